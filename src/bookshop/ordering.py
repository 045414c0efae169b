"""What a customer does with an order (place and pay, resume, cancel, ask for a refund): each
step calls Stripe outside any database transaction, then records the outcome through orders.py
and commits."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import orders, payments
from .models import Order, Refund
from .orders import LineRequest, OrderError, OrderStatus

log = logging.getLogger(__name__)

# PaymentIntent statuses in which the customer can still pay it.
REUSABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Started:
    """An order with a PaymentIntent the customer can pay now."""

    order: Order
    intent: payments.PaymentIntent


def reference_for(checkout_id: str, secret: str) -> str:
    """The order reference for a checkout page: the same page always names the same order, so a
    double submit finds the order it already placed instead of placing another."""
    digest = hmac.new(secret.encode(), checkout_id.encode(), hashlib.sha256).digest()
    chars = "".join(_REFERENCE_ALPHABET[b % len(_REFERENCE_ALPHABET)] for b in digest[:8])
    return f"BK-{chars[:4]}-{chars[4:]}"


def place_and_start_payment(
    session: Session,
    lines: Sequence[LineRequest],
    email: str,
    *,
    reference: str,
    browser_id: str | None,
    expires_at: datetime,
) -> Started:
    """Create the PaymentIntent, then place the order (reserving stock) in one short transaction.

    A Stripe failure leaves nothing behind. Out of stock: the new PaymentIntent is canceled and
    OutOfStock raised. The same reference twice (a double submit) returns the first order.
    """
    lines = orders.merge_lines(lines)
    total, currency = orders.price_lines(lines)
    for line in lines:  # a quick check first, so most sold-out attempts never reach Stripe
        if orders.stock_left(session, line.book.id) < line.quantity:
            session.rollback()
            _raise_out_of_stock(session, line)
    existing = _order_by_reference(session, reference)
    if existing is not None:
        return _already_placed(session, existing, browser_id)
    session.rollback()  # end the read transaction: nothing is held across the network call

    items = orders.describe_lines(lines)
    intent = payments.create_payment_intent(
        amount=total,
        currency=currency,
        metadata={"order_reference": reference, "items": items},
        receipt_email=email,
        idempotency_key=orders.payment_key(reference, total, currency, 1),
        description=f"Bookshop order {reference}: {items}"[:1000],
    )
    try:
        order = orders.place_order(
            session, lines, email, reference, browser_id=browser_id, expires_at=expires_at
        )
        orders.payment_started(session, order, intent)
        session.commit()
    except orders.OutOfStock:
        session.rollback()
        _cancel_quietly(intent.id)
        raise
    except IntegrityError:
        # The same checkout submitted twice at once: the other request placed the order.
        session.rollback()
        existing = _order_by_reference(session, reference)
        if existing is None:
            raise
        return _already_placed(session, existing, browser_id)
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
        session.commit()
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise OrderError(_not_payable_message(order))
        if (
            intent.status in REUSABLE
            and intent.amount == order.total_amount
            and intent.currency == order.currency
        ):
            return intent
    session.commit()
    attempt = len(order.payments) + 1
    items = ", ".join(f"{line.book.slug} x{line.quantity}" for line in order.lines)[:500]
    intent = payments.create_payment_intent(
        amount=order.total_amount,
        currency=order.currency,
        metadata={"order_reference": order.reference, "items": items},
        receipt_email=order.email,
        idempotency_key=orders.payment_key(
            order.reference, order.total_amount, order.currency, attempt
        ),
        description=f"Bookshop order {order.reference}: {items}"[:1000],
    )
    orders.payment_started(session, order, intent)
    session.commit()
    if current is not None and current.status in REUSABLE:
        # Replaced: cancel the old one so it can never take money as well.
        try:
            old = payments.cancel_payment_intent(
                current.payment_intent_id,
                reason="duplicate",
                idempotency_key=f"cancel-{current.payment_intent_id}",
            )
            current.status = old.status
            session.commit()
        except payments.PaymentError as exc:
            log.warning("order %s: old payment %s not canceled: %s", order.reference, current, exc)
    log.info("order %s: new payment %s (attempt %d)", order.reference, intent.id, attempt)
    return intent


def cancel_order(session: Session, order: Order) -> Order:
    """The customer gives up an unpaid order: its PaymentIntent canceled, its stock released."""
    if order.status == OrderStatus.CANCELED:
        raise OrderError("This order is already canceled.")
    if order.status == OrderStatus.PROCESSING:
        raise OrderError("Your bank is still confirming this payment, so it cannot be canceled.")
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError("This order is paid, so it cannot be canceled. You can ask for a refund.")
    unpaid = orders.cancel_payment_intents(session, order, reason="requested_by_customer")
    if not unpaid:
        session.commit()
        raise OrderError("This order was paid meanwhile, so it was not canceled.")
    orders.order_canceled(session, order, "canceled by the customer")
    session.commit()
    log.info("order %s canceled by the customer", order.reference)
    return order


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
    """Whether the order page offers a refund."""
    deadline = refund_deadline(order, window_days)
    return (
        order.status in orders.REFUNDABLE
        and deadline is not None
        and now <= deadline
        and orders.balance(order).refundable > 0
    )


def request_refund(
    session: Session,
    order: Order,
    quantities: Mapping[int, int] | None,
    request_id: str,
    *,
    window_days: int,
    now: datetime,
    expected_amount: int | None = None,
) -> Refund:
    """The customer asks for money back (everything left, or chosen lines and quantities).

    The ledger row is written first (so it counts against what is left, and the request id makes
    a double submit find it), then Stripe is asked; the row follows Stripe's answer.
    """
    deadline = refund_deadline(order, window_days)
    if deadline is not None and now > deadline:
        raise OrderError(f"Refunds can be requested up to {window_days} days after payment.")
    key = f"refund-{order.reference}-{request_id}"
    if session.scalar(select(Refund.id).where(Refund.idempotency_key == key)) is not None:
        raise OrderError("This refund was already requested.")
    orders.lock_order(session, order)  # one refund request per order at a time
    plan = orders.plan_refund(order, quantities)
    if expected_amount is not None and plan.amount != expected_amount:
        raise OrderError("What is left to refund changed meanwhile. Please review it again.")
    row = orders.refund_requested(session, order, plan, idempotency_key=key)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise OrderError("This refund was already requested.") from None
    return submit_refund(session, row)


def submit_refund(session: Session, row: Refund) -> Refund:
    """Ask Stripe for a pending ledger row's refund (again, with the same idempotency key)."""
    assert row.idempotency_key is not None
    try:
        refund = payments.create_refund(
            row.payment.payment_intent_id,
            row.amount,
            idempotency_key=row.idempotency_key,
            metadata={"order_reference": row.order.reference, "refund_id": str(row.id)},
            reason=row.reason,
        )
    except payments.PaymentUnavailable:
        raise  # outcome unknown: the row stays pending and is retried with the same key
    except payments.PaymentError as exc:
        log.error("order %s: refund %s refused by Stripe: %s", row.order.reference, row.id, exc)
        orders.refund_status_changed(session, row, orders.RefundStatus.FAILED)
        session.commit()
        raise OrderError("We could not make this refund. Please contact us.") from exc
    orders.refund_updated(session, refund)
    session.commit()
    log.info("order %s: refund %s %s", row.order.reference, refund.id, refund.status)
    return row


def retry_pending_refunds(session: Session, order: Order) -> None:
    """Finish refunds whose call to Stripe never got an answer (same idempotency key)."""
    for row in list(order.refunds):
        if row.status == orders.RefundStatus.PENDING and row.stripe_refund_id is None:
            if row.idempotency_key:
                try:
                    submit_refund(session, row)
                except (payments.PaymentError, OrderError) as exc:
                    log.warning("refund %s still pending: %s", row.id, exc)


def _already_placed(session: Session, order: Order, browser_id: str | None) -> Started:
    if order.browser_id != browser_id:
        raise OrderError("Please reload the page and try again.")
    return Started(order, resume_payment(session, order))


def _order_by_reference(session: Session, reference: str) -> Order | None:
    return session.scalars(select(Order).where(Order.reference == reference)).one_or_none()


def _raise_out_of_stock(session: Session, line: LineRequest) -> None:
    left = orders.stock_left(session, line.book.id)
    if left <= 0:
        raise orders.OutOfStock(f"Sorry, “{line.book.title}” is sold out.", field="quantity")
    copies = "copy is" if left == 1 else "copies are"
    raise orders.OutOfStock(f"Only {left} {copies} left of “{line.book.title}”.", field="quantity")


def _cancel_quietly(payment_intent_id: str) -> None:
    try:
        payments.cancel_payment_intent(payment_intent_id, reason="abandoned")
    except payments.PaymentError as exc:
        log.warning("payment %s for a sold-out order not canceled: %s", payment_intent_id, exc)


def _not_payable_message(order: Order) -> str:
    status = OrderStatus(order.status)
    if status == OrderStatus.CANCELED:
        return "This order was canceled, so it can no longer be paid."
    if status == OrderStatus.PROCESSING:
        return "Your bank is still confirming the payment for this order."
    return "This order is already paid."
