"""Canceling: the customer gives up an unpaid order, or an unpaid order expires; either way its
PaymentIntents are canceled at Stripe before its stock goes back on the shelf."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order
from ..orders import OrderChanged, OrderError, OrderStatus
from ..payments import IntentStatus
from .hosted_checkout import close_checkout

log = logging.getLogger(__name__)

SWEEP_LIMIT = 10  # overdue orders of anyone's expired on the side of a page view


def cancel_order(session: Session, order: Order) -> Order:
    """The customer gives up an unpaid order: its PaymentIntent canceled, its stock released."""
    if order.status == OrderStatus.CANCELED:
        raise OrderError("This order is already canceled.")
    if order.status == OrderStatus.PROCESSING:
        raise OrderError("Your bank is still confirming this payment, so it cannot be canceled.")
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError("This order is paid, so it cannot be canceled. You can ask for a refund.")
    close_checkout(session, order)  # paid on Stripe's hosted page: its session first
    unpaid = cancel_payment_intents(session, order, reason="requested_by_customer")
    if not unpaid:
        session.commit()
        raise OrderError("This order was paid meanwhile, so it was not canceled.")
    orders.order_canceled(session, order, "canceled by the customer")
    session.commit()
    log.info("order %s canceled by the customer", order.reference)
    return order


def expire_unpaid_orders(
    session: Session,
    now: datetime,
    *,
    limit: int = 100,
    order_ids: Iterable[int] | None = None,
) -> list[Order]:
    """Cancel unpaid orders past their expiry: PaymentIntents canceled at Stripe, stock released.

    Commits after each order, so no transaction stays open across a call to Stripe. An order
    whose PaymentIntent turns out to have succeeded is marked paid instead. Stops early (leaving
    the rest for the next run) when Stripe is unavailable.
    """
    query = select(Order.id).where(
        Order.status == OrderStatus.PENDING_PAYMENT,
        Order.expires_at.is_not(None),
        Order.expires_at <= now,
    )
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    due = list(session.scalars(query.order_by(Order.expires_at).limit(limit)))
    session.commit()
    expired: list[Order] = []
    for order_id in due:
        # Read again: one loaded earlier in this session may have been paid elsewhere since.
        order = session.get(Order, order_id, populate_existing=True)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            continue
        try:
            close_checkout(session, order)
            still_unpaid = cancel_payment_intents(session, order, reason="abandoned")
            if still_unpaid:
                orders.order_expired(session, order)
                expired.append(order)
            session.commit()
        except payments.PaymentUnavailable as exc:
            session.rollback()
            log.warning("expiry stopped, Stripe is unavailable: %s", exc)
            break
        except payments.PaymentError as exc:
            session.rollback()
            log.error("order %s not expired: %s", order_id, exc)
        except OrderChanged:
            session.rollback()  # paid or canceled meanwhile by someone else: nothing to do
    if expired:
        log.info("expired %d unpaid orders", len(expired))
    return expired


def expire_due(session: Session, now: datetime, order_ids: Iterable[int] = ()) -> None:
    """Expire these orders if their time is up, and a few of anyone's overdue orders too, so that
    abandoned stock returns between runs of the expiry job. Stripe being down stops it early."""
    ids = list(order_ids)
    if ids:
        expire_unpaid_orders(session, now, order_ids=ids)
    expire_unpaid_orders(session, now, limit=SWEEP_LIMIT)


def cancel_payment_intents(session: Session, order: Order, reason: str) -> bool:
    """Cancel every PaymentIntent of the order at Stripe, whatever the shop's record says (a
    record can be wrong; Stripe's answer is not); False when one had succeeded, is authorized
    or is processing (the order then follows it, and must not be canceled)."""
    for payment in order.payments:
        if payment.status == IntentStatus.CANCELED and payment.problem is None:
            continue  # Stripe said so itself: a canceled PaymentIntent never changes again
        try:
            intent = payments.cancel_payment_intent(
                payment.payment_intent_id,
                reason=reason,
                idempotency_key=f"cancel-{payment.payment_intent_id}",
            )
        except payments.PaymentNotFound:
            # Unknown to Stripe, so it can never take money.
            log.warning("payment %s is unknown to Stripe", payment.payment_intent_id)
            payment.status = IntentStatus.CANCELED
            continue
        except payments.InvalidPaymentRequest:
            # Too late to cancel (it succeeded or is processing): act on what Stripe has now.
            intent = payments.retrieve_payment_intent(payment.payment_intent_id)
        if intent.status in (
            IntentStatus.SUCCEEDED,
            IntentStatus.PROCESSING,
            IntentStatus.REQUIRES_CAPTURE,
        ):
            orders.payment_updated(session, payment, intent)
            return False
        orders.payment_mirrored(payment, intent)
    return True
