"""The refund ledger's arithmetic: what was paid, refunded and can still be refunded, per order
and per line, computed from the payments and refund rows; and the refund window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Order
from ..payments.objects import IntentStatus
from .errors import OrderError
from .statuses import REFUNDABLE, OrderStatus, RefundStatus


@dataclass(frozen=True)
class Balance:
    """An order's money, computed from the ledger (payments and refunds), in minor units."""

    paid: int  # received by succeeded payments
    refunded: int  # returned by succeeded refunds
    pending_refunds: int  # asked for, not yet settled

    @property
    def refundable(self) -> int:
        """What can still be returned: pending refunds already count against it."""
        return max(self.paid - self.refunded - self.pending_refunds, 0)

    @property
    def net(self) -> int:
        """What the shop keeps once settled refunds are taken off."""
        return self.paid - self.refunded


def balance(order: Order) -> Balance:
    """Paid, refunded and pending amounts from the order's payments and refunds."""
    paid = sum(p.amount_received for p in order.payments if p.status == IntentStatus.SUCCEEDED)
    refunded = sum(r.amount for r in order.refunds if r.status == RefundStatus.SUCCEEDED)
    pending = sum(r.amount for r in order.refunds if r.status == RefundStatus.PENDING)
    return Balance(paid=paid, refunded=refunded, pending_refunds=pending)


def refunded_quantities(order: Order) -> dict[int, int]:
    """Copies per order line already returned or being returned (pending refunds count)."""
    counts = {line.id: 0 for line in order.lines}
    for refund in order.refunds:
        if refund.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED):
            for refund_line in refund.lines:
                counts[refund_line.order_line_id] = (
                    counts.get(refund_line.order_line_id, 0) + refund_line.quantity
                )
    return counts


def refundable_quantities(order: Order) -> dict[int, int]:
    """Copies per order line that can still be refunded."""
    taken = refunded_quantities(order)
    return {line.id: line.kept_quantity - taken.get(line.id, 0) for line in order.lines}


@dataclass(frozen=True)
class RefundPlan:
    """What a refund request comes to: the amount and the copies per order line."""

    amount: int
    quantities: Mapping[int, int]  # order line id -> copies


def plan_refund(order: Order, quantities: Mapping[int, int] | None) -> RefundPlan:
    """Price a refund of chosen lines (or, with None, of everything left); OrderError if it
    asks for more than is left."""
    if OrderStatus(order.status) not in REFUNDABLE:
        raise OrderError("This order cannot be refunded.")
    left = balance(order).refundable
    remaining = refundable_quantities(order)
    lines = {line.id: line for line in order.lines}
    if quantities is None:
        chosen = {line_id: q for line_id, q in remaining.items() if q > 0}
        if left <= 0:
            raise OrderError("Everything in this order has already been refunded.")
        return RefundPlan(amount=left, quantities=chosen)
    chosen = {line_id: q for line_id, q in quantities.items() if q}
    if not chosen:
        raise OrderError("Please choose at least one copy to refund.", field="quantity")
    for line_id, quantity in chosen.items():
        if line_id not in lines:
            raise OrderError("That book is not part of this order.", field="quantity")
        if quantity < 0 or quantity > remaining.get(line_id, 0):
            title = lines[line_id].title
            raise OrderError(
                f"You can refund at most {remaining.get(line_id, 0)} of “{title}”.",
                field="quantity",
            )
    amount = sum(lines[line_id].unit_amount * q for line_id, q in chosen.items())
    if amount > left:
        raise OrderError("That is more than is left to refund on this order.", field="quantity")
    return RefundPlan(amount=amount, quantities=chosen)


def paid_at(order: Order) -> datetime | None:
    """When the order became paid (from its timeline)."""
    for event in order.events:
        if event.to_status == OrderStatus.PAID:
            return event.created_at
    return None


def refund_deadline(order: Order, window_days: int) -> datetime | None:
    """The last moment the customer may ask for a refund."""
    when = paid_at(order)
    return when + timedelta(days=window_days) if when else None


def can_request_refund(order: Order, window_days: int, now: datetime) -> bool:
    """Whether the customer may ask for a refund now: refundable, in time, money left."""
    deadline = refund_deadline(order, window_days)
    return (
        order.status in REFUNDABLE
        and deadline is not None
        and now <= deadline
        and balance(order).refundable > 0
    )
