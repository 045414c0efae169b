"""Stripe's objects applied to the orders: a PaymentIntent, a refund, a dispute or a Checkout
Session as Stripe has it, mirrored onto the shop's records through the orders domain. Shared by
the webhook handlers and reconciliation; never commits."""

from __future__ import annotations

import logging
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from . import orders, payments
from .database import rows_matched
from .models import Order, Payment
from .orders.attempts import attempt_failed
from .payments import IntentStatus

log = logging.getLogger(__name__)

# A row lock on the order of a PaymentIntent (on SQLite, the database's write lock), taken
# without loading anything; no row: the PaymentIntent is not the shop's.
_ORDERS, _PAYMENTS = cast(Table, Order.__table__), cast(Table, Payment.__table__)
_LOCK_ORDER_OF_PAYMENT = (
    update(_ORDERS)
    .where(
        _ORDERS.c.id
        == select(_PAYMENTS.c.order_id)
        .where(_PAYMENTS.c.payment_intent_id == bindparam("payment_intent_id"))
        .scalar_subquery()
    )
    .values(updated_at=_ORDERS.c.updated_at)
)


def apply_payment_intent(session: Session, intent: payments.PaymentIntent) -> Order | None:
    """Mirror a PaymentIntent onto the shop's payment and order; None if it is not the shop's."""
    # Lock the order first (the return page may be applying the same payment right now), then
    # read the payment as it is once the lock is held.
    locked = session.execute(_LOCK_ORDER_OF_PAYMENT, {"payment_intent_id": intent.id})
    if rows_matched(locked) != 1:
        return None
    # The payment and its order in one query, both read under the lock just taken.
    payment = session.scalars(
        select(Payment)
        .where(Payment.payment_intent_id == intent.id)
        .options(joinedload(Payment.order))
        .execution_options(populate_existing=True)
    ).one()
    order = orders.payment_updated(session, payment, intent, order_locked=True)
    # A decline the customer never came back from shows on the order's timeline all the same.
    attempt_failed(payment, intent)
    return order


def apply_refund(
    session: Session, refund: payments.Refund, intent: payments.PaymentIntent | None = None
) -> Order | None:
    """Record a refund (the shop's own or one made outside it); None if not the shop's.

    `intent`, when given, is applied first: the refund may arrive before the news that the
    payment succeeded, and the order must be paid before it can be refunded.
    """
    if not _payment_applied_first(session, refund.payment_intent, intent):
        return None
    return orders.refund_updated(session, refund)  # it locks the order


def apply_dispute(
    session: Session, dispute: payments.Dispute, intent: payments.PaymentIntent | None = None
) -> Order | None:
    """Record a dispute and move the order (disputed, then won or lost); None if not the shop's.

    `intent`, when given, is applied first, as for refunds.
    """
    if not _payment_applied_first(session, dispute.payment_intent, intent):
        return None
    return orders.dispute_updated(session, dispute)  # it locks the order


def _payment_applied_first(
    session: Session, payment_intent_id: str | None, intent: payments.PaymentIntent | None
) -> bool:
    """Whether the PaymentIntent is the shop's; if so, `intent` (when given) is applied first."""
    if not is_ours(session, payment_intent_id):
        return False
    if intent is not None:
        apply_payment_intent(session, intent)
    return True


def apply_checkout_session(session: Session, checkout: payments.CheckoutSession) -> Order | None:
    """A hosted Checkout Session as Stripe has it now (read back with its PaymentIntent) applied
    to the order it names; None if it names none of the shop's."""
    reference = checkout.client_reference_id
    order = orders.find_order_by_reference(session, reference) if reference else None
    if order is None:
        return None
    return orders.checkout_session_updated(session, order, checkout)


def checkout_is_ours(session: Session, checkout_session_id: str | None, reference: object) -> bool:
    """Whether a Checkout Session was opened for one of the shop's orders: the order's latest
    session, or the order its client_reference_id names."""
    if not checkout_session_id:
        return False
    found = select(Order.id).where(Order.checkout_session_id == checkout_session_id)
    if isinstance(reference, str) and reference:
        found = select(Order.id).where(
            (Order.checkout_session_id == checkout_session_id) | (Order.reference == reference)
        )
    return session.scalar(found.limit(1)) is not None


def payment_if_unrecorded(
    session: Session, payment_intent_id: str
) -> payments.PaymentIntent | None:
    """The PaymentIntent from Stripe when the shop has not yet recorded that it succeeded.

    A refund or dispute means the payment succeeded; its own event may still be on its way.
    """
    if recorded_status(session, payment_intent_id) == IntentStatus.SUCCEEDED:
        return None
    return payments.retrieve_payment_intent(payment_intent_id)


def recorded_status(session: Session, payment_intent_id: str | None) -> str | None:
    """The shop's last known status of a PaymentIntent; None when it is not the shop's."""
    if not payment_intent_id:
        return None
    return session.scalar(
        select(Payment.status).where(Payment.payment_intent_id == payment_intent_id)
    )


def is_ours(session: Session, payment_intent_id: str | None) -> bool:
    """Whether the shop created this PaymentIntent (and so cares about what happens to it)."""
    return recorded_status(session, payment_intent_id) is not None
