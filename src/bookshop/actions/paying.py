"""Paying: place an order and start its payment, resume paying an unpaid order, and the customer's
return from Stripe."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order
from ..orders import LineRequest, OrderError, OrderStatus
from ..orders.attempts import attempt_failed
from ..payments import PAYABLE_INTENT_STATUSES
from .delivery import shipping_of
from .placement import AlreadyPlaced, check_before_stripe, placing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    """An order with a PaymentIntent the customer can pay now."""

    order: Order
    intent: payments.PaymentIntent


@dataclass(frozen=True)
class Returned:
    """What the customer's return from Stripe shows: the PaymentIntent now, and its order."""

    order: Order
    intent: payments.PaymentIntent


def place_and_start_payment(
    session: Session,
    lines: Sequence[LineRequest],
    email: str,
    *,
    reference: str,
    browser_id: str | None,
    expires_at: datetime,
    capture_method: str = "automatic",
) -> Started:
    """Create the PaymentIntent, then place the order (reserving stock) in one short transaction.

    A Stripe failure leaves nothing behind. Out of stock: the new PaymentIntent is canceled and
    OutOfStock raised. The same reference twice (a double submit) returns the first order.
    """
    lines = orders.merge_lines(lines)
    total, currency = orders.price_lines(lines)
    try:
        check_before_stripe(session, lines, reference)
        intent = _create_intent(reference, lines, total, currency, email, 1, capture_method)
        with placing(session, reference, undo_at_stripe=lambda: _cancel_quietly(intent.id)):
            order = orders.place_order(
                session,
                lines,
                email,
                reference,
                browser_id=browser_id,
                expires_at=expires_at,
                capture_method=capture_method,
                intent=intent,
            )
    except AlreadyPlaced as placed:
        return _already_placed(session, placed.order, browser_id, email)
    log.info("order %s placed: %s %s, payment %s", reference, total, currency, intent.id)
    return Started(order, intent)


def resume_payment(session: Session, order: Order) -> payments.PaymentIntent:
    """A PaymentIntent the customer can pay for an unpaid order: the current one while Stripe
    lets it be paid and its amount is the order's total, otherwise a new one (the old one is
    canceled)."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError(_not_payable_message(order))
    current = order.payments[-1] if order.payments else None
    if current is not None:
        intent = payments.retrieve_payment_intent(current.payment_intent_id)
        orders.payment_updated(session, current, intent)
        attempt_failed(current, intent)
        session.commit()
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise OrderError(_not_payable_message(order))
        # The recorded status, not the read: a PaymentIntent known to be canceled is never reused.
        if (
            current.status in PAYABLE_INTENT_STATUSES
            and intent.amount == order.total_amount
            and intent.currency == order.currency
        ):
            return intent
    session.commit()
    attempt = len(order.payments) + 1
    lines = [LineRequest(line.book, line.quantity) for line in order.lines]
    intent = _create_intent(
        order.reference,
        lines,
        order.total_amount,
        order.currency,
        order.email,
        attempt,
        order.capture_method,
        shipping_of(orders.address_of(order)),
    )
    orders.payment_started(session, order, intent)
    session.commit()
    if current is not None and current.status in PAYABLE_INTENT_STATUSES:
        # Replaced: cancel the old one so it can never take money as well.
        try:
            old = payments.cancel_payment_intent(
                current.payment_intent_id,
                reason="duplicate",
                idempotency_key=f"cancel-{current.payment_intent_id}",
            )
            orders.payment_mirrored(current, old)
            session.commit()
        except payments.PaymentError as exc:
            log.warning("order %s: old payment %s not canceled: %s", order.reference, current, exc)
    log.info("order %s: new payment %s (attempt %d)", order.reference, intent.id, attempt)
    return intent


def payment_returned(
    session: Session, payment_intent_id: str, client_secret: str
) -> Returned | None:
    """The customer is back from paying: the PaymentIntent as Stripe reports it now (never the
    URL's redirect_status) applied to its order; None unless the id is the shop's and the client
    secret matches."""
    payment = orders.find_payment(session, payment_intent_id)
    session.commit()  # no transaction stays open across the call to Stripe
    if payment is None:
        return None
    intent = payments.retrieve_payment_intent(payment_intent_id)
    if not intent.client_secret or not hmac.compare_digest(
        client_secret.encode(), intent.client_secret.encode()
    ):
        return None
    order = orders.payment_updated(session, payment, intent)
    attempt_failed(payment, intent)
    session.commit()
    return Returned(order, intent)


def _create_intent(
    reference: str,
    lines: Sequence[LineRequest],
    total: int,
    currency: str,
    email: str,
    attempt: int,
    capture_method: str,
    shipping: dict[str, Any] | None = None,
) -> payments.PaymentIntent:
    metadata, description = orders.payment_description(reference, lines)
    return payments.create_payment_intent(
        amount=total,
        currency=currency,
        metadata=metadata,
        receipt_email=email,
        idempotency_key=orders.payment_key(reference, total, currency, attempt),
        description=description,
        capture_method=capture_method,
        shipping=shipping,
    )


def change_email(session: Session, order: Order, email: object) -> None:
    """The customer corrected the email before paying: the PaymentIntent's receipt_email first,
    then the order; OrderError (nothing changed) once the order is no longer waiting for payment."""
    address = orders.normalise_email(email)
    if address == order.email:
        return
    current = order.payments[-1] if order.payments else None
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError(_not_payable_message(order))
    session.commit()  # no transaction stays open across the call to Stripe
    if current is not None and current.status in PAYABLE_INTENT_STATUSES:
        try:
            payments.update_receipt_email(current.payment_intent_id, address)
        except payments.InvalidPaymentRequest as exc:
            log.warning("order %s: email not changed at Stripe: %s", order.reference, exc)
            raise OrderError("This order can no longer be changed.") from None
    orders.lock_order(session, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        session.rollback()
        raise OrderError(_not_payable_message(order))
    order.email = address
    session.commit()
    log.info("order %s: receipt email changed", order.reference)


def check_payment(session: Session, order: Order) -> Order:
    """Read the order's latest PaymentIntent from Stripe and apply it (after a decline shown on
    the checkout page, so the order's timeline has the attempt without waiting for a webhook)."""
    current = order.payments[-1] if order.payments else None
    session.commit()
    if current is None:
        return order
    intent = payments.retrieve_payment_intent(current.payment_intent_id)
    orders.payment_updated(session, current, intent)
    attempt_failed(current, intent)
    session.commit()
    return order


def _already_placed(
    session: Session, order: Order, browser_id: str | None, email: str | None = None
) -> Started:
    # The checkout page's own unguessable id named this order, so this is the same checkout
    # submitted again (a double click, a retry after a lost answer), cookie or not.
    intent = resume_payment(session, order)
    if email is not None and email != order.email:
        change_email(session, order, email)  # a reload with the email corrected
    return Started(order, intent)


def _cancel_quietly(payment_intent_id: str) -> None:
    try:
        payments.cancel_payment_intent(payment_intent_id, reason="abandoned")
    except payments.PaymentError as exc:
        log.warning(
            "payment %s for an order not placed was not canceled: %s", payment_intent_id, exc
        )


def _not_payable_message(order: Order) -> str:
    status = OrderStatus(order.status)
    if status == OrderStatus.CANCELED:
        return "This order was canceled, so it can no longer be paid."
    if status == OrderStatus.PROCESSING:
        return "Your bank is still confirming the payment for this order."
    return "This order is already paid."
