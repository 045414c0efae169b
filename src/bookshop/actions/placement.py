"""Placing an order around a call to Stripe, the same for the shop's own checkout page and for
Stripe's hosted Checkout: what is checked before Stripe is asked, and how the order is then
committed, undone or found placed already."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import orders
from ..models import Order
from ..orders import LineRequest


class AlreadyPlaced(Exception):
    """The same checkout was submitted twice at once: the other request placed `order`."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.reference)
        self.order = order


def check_before_stripe(session: Session, lines: Sequence[LineRequest], reference: str) -> None:
    """Refuse lines sold out already (most sold-out attempts never reach Stripe), and raise
    AlreadyPlaced when this checkout placed its order before (a reload, a double click); then
    end the read transaction, so no connection is held across the call to Stripe."""
    for line in lines:
        if orders.stock_left(session, line.book.id) < line.quantity:
            error = orders.out_of_stock(session, line.book)
            session.rollback()
            raise error
    existing = orders.find_order_by_reference(session, reference)
    if existing is not None:
        raise AlreadyPlaced(existing)
    # A commit, not a rollback: the books stay loaded (a rollback would expire them, and reading
    # their titles for Stripe would open a new transaction for the whole call).
    session.commit()


@contextmanager
def placing(session: Session, reference: str, undo_at_stripe: Callable[[], None]) -> Iterator[None]:
    """Commit the order the block places. A refusal (sold out, or a book taken off sale, since
    the check) rolls back and undoes what Stripe holds for it; the same checkout placed by a
    request running at the same time raises AlreadyPlaced with that order."""
    try:
        yield
        session.commit()
    except orders.OrderError:
        session.rollback()
        undo_at_stripe()
        raise
    except IntegrityError:
        session.rollback()
        existing = orders.find_order_by_reference(session, reference)
        if existing is None:
            raise
        raise AlreadyPlaced(existing) from None
