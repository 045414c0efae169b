"""Order and refund-ledger statuses, the one function that moves an order, and the order lock."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..database import rows_matched
from ..models import Order, OrderEvent, Refund
from .errors import IllegalTransition, OrderChanged


class OrderStatus(StrEnum):
    """Where an order's money stands (its financial status); every change goes through
    transition()."""

    PENDING_PAYMENT = "pending_payment"  # placed, stock reserved, waiting for the customer to pay
    PROCESSING = "processing"  # payment submitted, the bank has not confirmed it yet
    AUTHORIZED = "authorized"  # the card is held for the total; charged when the books ship
    PAID = "paid"  # the money was received; the stock is sold
    CANCELED = "canceled"  # voided before any money was taken (customer, expiry, hold ran out)
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part of the money was returned
    REFUNDED = "refunded"  # paid, then all of the money was returned
    DISPUTED = "disputed"  # the cardholder disputed the payment; the bank holds the money
    WON = "won"  # the dispute was decided for the shop: the money stays
    LOST = "lost"  # the dispute was decided for the cardholder: the money is gone


# The legal moves. Anything else is a bug or an out-of-order message and is refused.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PROCESSING, OrderStatus.AUTHORIZED, OrderStatus.PAID, OrderStatus.CANCELED}
    ),
    OrderStatus.PROCESSING: frozenset(
        {
            OrderStatus.AUTHORIZED,
            OrderStatus.PAID,
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.CANCELED,
        }
    ),
    # Captured (the books shipped), or the hold released: canceled, expired or refused.
    OrderStatus.AUTHORIZED: frozenset({OrderStatus.PAID, OrderStatus.CANCELED}),
    OrderStatus.PAID: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.DISPUTED}
    ),
    # A refund that fails after it had succeeded moves the order back to what the ledger says.
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
            OrderStatus.DISPUTED,
            OrderStatus.PAID,
        }
    ),
    OrderStatus.DISPUTED: frozenset({OrderStatus.WON, OrderStatus.LOST}),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.REFUNDED: frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED}),
    OrderStatus.WON: frozenset(),
    OrderStatus.LOST: frozenset(),
}
# Waiting for money: the stock is reserved and the order may still be paid, canceled or expire.
UNPAID = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING})
# The money is held or taken: the books may ship.
SHIPPABLE = frozenset({OrderStatus.AUTHORIZED, OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})
# Money was taken and may be (partly) returned.
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


class FulfilmentStatus(StrEnum):
    """Where an order's books stand, apart from its money; every change goes through
    fulfilment_transition()."""

    UNFULFILLED = "unfulfilled"  # nothing has left the shelf yet
    PARTIALLY_SHIPPED = "partially_shipped"  # some books shipped, others still to come
    SHIPPED = "shipped"  # every book still ordered is on its way
    DELIVERED = "delivered"  # the carrier delivered it


FULFILMENT_TRANSITIONS: dict[FulfilmentStatus, frozenset[FulfilmentStatus]] = {
    FulfilmentStatus.UNFULFILLED: frozenset(
        {FulfilmentStatus.PARTIALLY_SHIPPED, FulfilmentStatus.SHIPPED}
    ),
    FulfilmentStatus.PARTIALLY_SHIPPED: frozenset(
        {FulfilmentStatus.PARTIALLY_SHIPPED, FulfilmentStatus.SHIPPED}
    ),
    FulfilmentStatus.SHIPPED: frozenset({FulfilmentStatus.DELIVERED}),
    FulfilmentStatus.DELIVERED: frozenset(),
}
# The timeline's two tracks: the money and the books.
PAYMENT_TRACK = "payment"
FULFILMENT_TRACK = "fulfilment"


class RefundStatus(StrEnum):
    """A refund ledger row's state (Stripe's requires_action counts as pending)."""

    PENDING = "pending"  # asked for; counts against what is refundable until it settles
    SUCCEEDED = "succeeded"  # the money went back
    FAILED = "failed"  # the money could not be returned
    CANCELED = "canceled"  # withdrawn before it happened


def compare_and_set_status(
    session: Session, row: Order | Refund, current: str, to: str, column: str = "status"
) -> bool:
    """Move a status column in the database only if it still is `current`; False (row refreshed)
    when someone else moved it first, so that the side effects of a move happen once."""
    session.flush()
    model = type(row)
    result = session.execute(
        update(model)
        .where(model.id == row.id, getattr(model, column) == current)
        .values({column: to})
        .execution_options(synchronize_session="evaluate")
    )
    if rows_matched(result) != 1:
        session.refresh(row)
        return False
    return True


def transition(session: Session, order: Order, to: OrderStatus, note: str = "") -> bool:
    """Move an order's financial status and record it; False when it is already there.

    The move is a compare-and-set on the stored status, so two processes racing to move the
    same order cannot both win: the loser gets OrderChanged and changes nothing.
    """
    return _move(session, order, OrderStatus(order.status), to, TRANSITIONS, PAYMENT_TRACK, note)


def fulfilment_transition(
    session: Session, order: Order, to: FulfilmentStatus, note: str = ""
) -> bool:
    """Move an order's fulfilment status and record it on the timeline; False when it is already
    there. A compare-and-set, like transition(): of two racing moves, one wins."""
    current = FulfilmentStatus(order.fulfilment_status)
    return _move(session, order, current, to, FULFILMENT_TRANSITIONS, FULFILMENT_TRACK, note)


def _move(
    session: Session,
    order: Order,
    current: StrEnum,
    to: StrEnum,
    transitions: Mapping[Any, frozenset[Any]],
    track: str,
    note: str,
) -> bool:
    if current == to and to not in transitions[current]:
        return False
    if to not in transitions[current]:
        raise IllegalTransition(f"order {order.reference}: {current} -> {to} is not allowed")
    column = "status" if track == PAYMENT_TRACK else "fulfilment_status"
    if not compare_and_set_status(session, order, current, to, column):
        raise OrderChanged()
    session.add(
        OrderEvent(order=order, track=track, from_status=current, to_status=to, note=note[:500])
    )
    return True


def lock_order(session: Session, order: Order) -> Order:
    """Hold the order's row until commit (a no-op UPDATE works as SELECT … FOR UPDATE on both
    databases), then reload it so amounts are computed from the latest ledger."""
    session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(updated_at=Order.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.expire(order)
    return order
