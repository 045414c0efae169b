"""What the shop refuses about an order: errors whose messages are safe to show to the customer."""

from __future__ import annotations


class OrderError(ValueError):
    """A request the shop refuses; the message is safe to show to the customer."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class OutOfStock(OrderError):
    """Not enough copies left for a line; nothing was reserved."""


class OrderChanged(OrderError):
    """The order moved on meanwhile (another tab, a webhook, expiry); nothing was changed."""

    def __init__(self, message: str = "This order changed meanwhile. Please look again.") -> None:
        super().__init__(message)


class IllegalTransition(RuntimeError):
    """An order was asked to move to a status it cannot reach from where it is."""
