"""Finding an order or payment by what identifies it outside the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Order, Payment
from ..payments.objects import IntentStatus

MAX_TOKEN_LENGTH = 64


def find_payment(session: Session, payment_intent_id: str) -> Payment | None:
    """The shop's record of a PaymentIntent, if the shop created it."""
    return session.scalars(
        select(Payment).where(Payment.payment_intent_id == payment_intent_id)
    ).one_or_none()


def find_order_by_token(session: Session, token: str) -> Order | None:
    """The order behind a customer's private URL, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalars(select(Order).where(Order.token == token)).one_or_none()


def find_order_by_reference(session: Session, reference: str) -> Order | None:
    """The order with this reference (BK-…), or None."""
    return session.scalars(select(Order).where(Order.reference == reference)).one_or_none()


def find_order_by_checkout(session: Session, checkout_session_id: str) -> Order | None:
    """The order a hosted Checkout Session was last opened for, or None."""
    return session.scalars(
        select(Order).where(Order.checkout_session_id == checkout_session_id)
    ).one_or_none()


def paid_payment(order: Order) -> Payment | None:
    """The payment that took the order's money."""
    for payment in order.payments:
        if payment.status == IntentStatus.SUCCEEDED:
            return payment
    return None
