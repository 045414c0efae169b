"""Fulfilment, as the shop's staff do it: ship an order (capturing its authorization for what
ships), mark it delivered; and a customer letting books go before they ship."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order, Payment, Shipment
from ..orders import FulfilmentStatus, OrderError, OrderStatus
from ..payments import IntentStatus
from .canceling import cancel_payment_intents

log = logging.getLogger(__name__)


def ship_order(
    session: Session,
    order: Order,
    quantities: Mapping[int, int] | None,
    carrier: object,
    tracking_number: object,
    tracking_url: object = None,
) -> Shipment:
    """Ship these copies (None: all that are left). An authorized order is captured first, for
    what ships plus delivery, and the rest of the hold released; a failed capture marks nothing.
    Two ship actions at once capture once (one idempotency key per order) and ship once."""
    carrier_text, number, url = orders.parse_tracking(carrier, tracking_number, tracking_url)
    plan = orders.plan_shipment(order, quantities)
    authorization = _authorization(order) if plan.capture_amount is not None else None
    session.commit()  # no transaction stays open across the call to Stripe
    intent = None
    if plan.capture_amount is not None:
        if authorization is None:
            raise OrderError(f"Order {order.reference} has no authorized payment to capture.")
        try:
            intent = payments.capture_payment_intent(
                authorization.payment_intent_id,
                plan.capture_amount,
                idempotency_key=f"capture-{order.reference}",
            )
        except payments.PaymentError as exc:
            log.error("order %s: capture refused: %s", order.reference, exc)
            raise OrderError(
                f"The payment for {order.reference} could not be captured, so nothing was "
                f"marked shipped: {exc.user_message}"
            ) from exc
    orders.lock_order(session, order)
    # Planned again as the order is now that the lock is held (another ship action may have won).
    plan = orders.plan_shipment(order, quantities, capturing=intent is not None)
    shipment = orders.shipment_recorded(session, order, plan, carrier_text, number, url)
    if intent is not None and authorization is not None:
        orders.payment_updated(session, authorization, intent, order_locked=True)
    session.commit()
    log.info("order %s shipped with %s %s", order.reference, carrier_text, number)
    return shipment


def mark_delivered(session: Session, order: Order) -> Order:
    """The carrier delivered the order."""
    orders.lock_order(session, order)
    orders.order_delivered(session, order)
    session.commit()
    return order


def let_go_books(session: Session, order: Order, quantities: Mapping[int, int] | None) -> Order:
    """Before the books ship, the customer no longer wants some (None: all): nothing was charged,
    so instead of a refund the books go back on the shelf and the card's hold is captured for
    less when the rest ships, or released at once when nothing is left."""
    if order.status != OrderStatus.AUTHORIZED or (
        order.fulfilment_status != FulfilmentStatus.UNFULFILLED
    ):
        raise OrderError("These books can no longer be canceled.")
    left = {line.id: line.to_ship for line in order.lines if line.to_ship > 0}
    chosen = left if quantities is None else {i: q for i, q in quantities.items() if q}
    if not chosen:
        raise OrderError("Please choose at least one copy.", field="quantity")
    for line_id, quantity in chosen.items():
        if line_id not in left or not 0 < quantity <= left[line_id]:
            raise OrderError("That is more than is left of this book.", field="quantity")
    if chosen == left:
        if not cancel_payment_intents(session, order, reason="requested_by_customer"):
            session.commit()
            raise OrderError("This order was charged meanwhile, so it was not canceled.")
        orders.order_canceled(session, order, "canceled by the customer before shipping")
    else:
        orders.lock_order(session, order)
        orders.books_let_go(session, order, chosen, "canceled by the customer before shipping")
    session.commit()
    return order


def _authorization(order: Order) -> Payment | None:
    for payment in order.payments:
        if payment.status == IntentStatus.REQUIRES_CAPTURE:
            return payment
    return None
