"""Placing an order, and what follows from Stripe's news of its payment: paid, processing,
failed, canceled; and canceling or expiring an unpaid order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from .. import emails
from ..models import Order, OrderEvent, OrderLine, Payment
from ..payments.objects import FINAL_INTENT_STATUSES, IntentStatus, PaymentIntent
from .lines import LineRequest, merge_lines, price_lines
from .statuses import UNPAID, OrderStatus, lock_order, transition
from .stock import out_of_stock, release_stock, reserve_stock

log = logging.getLogger(__name__)

# Waiting for the money to be taken: unpaid, or authorized and held on the card.
AWAITING_MONEY = UNPAID | {OrderStatus.AUTHORIZED}
# Stripe's statuses in which money is taken or held on the card for the order.
MONEY_HELD = frozenset({IntentStatus.SUCCEEDED, IntentStatus.REQUIRES_CAPTURE})


def place_order(
    session: Session,
    lines: Sequence[LineRequest],
    email: str,
    reference: str,
    *,
    browser_id: str | None = None,
    expires_at: datetime | None = None,
    capture_method: str = "automatic",
    intent: PaymentIntent | None = None,
) -> Order:
    """A customer commits to buy: stock is reserved and the order waits for payment, with
    `intent` recorded as its payment when it was created first.

    Raises OutOfStock when a line cannot be reserved; the caller must then roll back, which
    returns the lines reserved before it.
    """
    lines = merge_lines(lines)
    total, currency = price_lines(lines)
    order = Order(
        reference=reference,
        email=email,
        currency=currency,
        total_amount=total,
        status=OrderStatus.PENDING_PAYMENT,
        browser_id=browser_id,
        expires_at=expires_at,
        capture_method=capture_method,
        lines=[
            OrderLine(
                book=line.book,
                title=line.book.title,
                unit_amount=line.book.price_amount,
                quantity=line.quantity,
            )
            for line in lines
        ],
    )
    session.add(order)
    session.add(OrderEvent(order=order, from_status=None, to_status=order.status, note="placed"))
    if intent is not None:
        payment_started(session, order, intent)
    # The rows first, the stock last: a book's row stays locked from its reservation to the
    # commit, and every buyer of that book waits for it, so nothing else happens in between.
    session.flush()
    # Reserve in book id order: two orders for the same books never wait on each other in a cycle.
    for line in sorted(lines, key=lambda line: line.book.id):
        if not reserve_stock(session, line.book, line.quantity):
            raise out_of_stock(session, line.book)
    return order


def payment_key(reference: str, amount: int, currency: str, attempt: int) -> str:
    """The idempotency key of an order's n-th PaymentIntent: the order, its amount, the attempt."""
    return f"order-{reference}-{amount}{currency}-pi-{attempt}"


def checkout_started(order: Order, checkout_session_id: str, expires_at: datetime) -> None:
    """A hosted Checkout Session was opened for the unpaid order: the order waits as long as the
    session can be paid."""
    order.checkout_session_id = checkout_session_id
    order.expires_at = expires_at


def payment_started(session: Session, order: Order, intent: PaymentIntent) -> Payment:
    """A PaymentIntent was created for the order."""
    payment = Payment(
        order=order,
        payment_intent_id=intent.id,
        amount=intent.amount,
        amount_received=intent.amount_received,
        currency=intent.currency,
        status=intent.status,
    )
    session.add(payment)
    return payment


def payment_updated(
    session: Session, payment: Payment, intent: PaymentIntent, *, order_locked: bool = False
) -> Order:
    """Stripe reported the PaymentIntent's state: mirror it and move the order.

    A payment never moves backwards: once succeeded or canceled (states Stripe never leaves),
    an older report read before that news arrived changes nothing, whichever path brings it
    (return page, webhook, reconciliation, resume).

    `order_locked`: the caller already holds the order's lock and read the payment and the order
    after taking it, so neither needs locking or reloading again.
    """
    # The return page and a webhook may report the same payment at once: they take turns on
    # the order (always locked before its payments, refunds and disputes, so never a deadlock).
    if not order_locked:
        lock_order(session, payment.order)
        session.expire(payment)  # read it again as it is now that the lock is held
    order = payment.order
    if intent.status in MONEY_HELD and not _covers_the_order(order, intent):
        # Never count a short or foreign-currency payment as paid: a person must look at it.
        payment.problem = _mismatch(order, intent)
        return order
    if not payment_mirrored(payment, intent):
        return order
    payment.problem = None
    current = OrderStatus(order.status)
    if intent.status == IntentStatus.SUCCEEDED:
        _payment_succeeded(session, order, intent)
    elif intent.status == IntentStatus.REQUIRES_CAPTURE and current in UNPAID:
        _payment_authorized(session, order, intent)
    elif intent.status == IntentStatus.PROCESSING and current == OrderStatus.PENDING_PAYMENT:
        transition(session, order, OrderStatus.PROCESSING, f"payment {intent.id} processing")
    elif (
        intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD and current == OrderStatus.PROCESSING
    ):
        transition(session, order, OrderStatus.PENDING_PAYMENT, f"payment {intent.id} failed")
    elif intent.status == IntentStatus.CANCELED and current in AWAITING_MONEY:
        # A PaymentIntent replaced by a newer one is canceled too: only the last one standing
        # cancels the order.
        if all(p.status == IntentStatus.CANCELED for p in order.payments):
            _payment_canceled(session, order, intent, current == OrderStatus.AUTHORIZED)
    return order


def _payment_authorized(session: Session, order: Order, intent: PaymentIntent) -> None:
    note = f"payment {intent.id} authorized: charged when the books ship"
    if transition(session, order, OrderStatus.AUTHORIZED, note):
        order.expires_at = None  # the books are the customer's now; the hold has its own end
        emails.queue_order_paid(session, order)


def _payment_canceled(
    session: Session, order: Order, intent: PaymentIntent, was_authorized: bool
) -> None:
    expired = was_authorized and intent.cancellation_reason == "automatic"
    cause = (
        f"payment {intent.id}: the card's hold ran out before the books shipped"
        if expired
        else f"payment {intent.id} canceled"
    )
    order_canceled(session, order, cause)
    if expired:
        emails.queue_hold_expired(session, order)


def payment_mirrored(payment: Payment, intent: PaymentIntent) -> bool:
    """Copy Stripe's state onto the payment row; False (nothing changed) when the row already
    holds a final state and the report is older."""
    if payment.status in FINAL_INTENT_STATUSES and intent.status != payment.status:
        log.info("payment %s is %s; %s is out of date", intent.id, payment.status, intent.status)
        return False
    payment.status = intent.status
    payment.amount = intent.amount  # changes while unpaid (delivery chosen)
    payment.amount_received = intent.amount_received
    payment.amount_capturable = intent.amount_capturable
    if intent.capture_before is not None:
        payment.capture_before = datetime.fromtimestamp(intent.capture_before, UTC)
    return True


def _payment_succeeded(session: Session, order: Order, intent: PaymentIntent) -> None:
    if OrderStatus(order.status) not in AWAITING_MONEY:
        if order.status == OrderStatus.CANCELED:
            # Money arrived for an order given up (and its stock released): a person must look.
            log.error("order %s: payment %s succeeded after cancel", order.reference, intent.id)
        return  # already paid (or later): a repeated confirmation changes nothing
    captured = order.status == OrderStatus.AUTHORIZED
    note = f"payment {intent.id} {'captured' if captured else 'succeeded'}"
    if transition(session, order, OrderStatus.PAID, note):
        # The reserved stock is now sold: nothing to move. One email, whoever got here first
        # (an authorized order had its confirmation already).
        order.expires_at = None
        emails.queue_order_paid(session, order)


def _covers_the_order(order: Order, intent: PaymentIntent) -> bool:
    """Whether the money Stripe holds or took is the order's total, in its currency."""
    amount = (
        intent.amount_capturable
        if intent.status == IntentStatus.REQUIRES_CAPTURE
        else intent.amount_received
    )
    return intent.currency == order.currency and amount >= order.total_amount


def _mismatch(order: Order, intent: PaymentIntent) -> str:
    """What is wrong with a payment that does not cover its order, logged for staff."""
    amount = (
        intent.amount_capturable
        if intent.status == IntentStatus.REQUIRES_CAPTURE
        else intent.amount_received
    )
    problem = (
        f"Stripe reports {amount} {intent.currency} {intent.status} for an order of "
        f"{order.total_amount} {order.currency}; not marked paid or authorized"
    )
    log.error("order %s: payment %s: %s", order.reference, intent.id, problem)
    return problem[:300]


def order_canceled(session: Session, order: Order, cause: str) -> Order:
    """The order was given up before payment: canceled, its stock back on the shelf."""
    if order.status == OrderStatus.CANCELED:
        return order
    transition(session, order, OrderStatus.CANCELED, cause)  # refuses paid orders; one winner
    for line in order.lines:
        release_stock(session, line.book_id, line.quantity)
    return order


def order_expired(session: Session, order: Order) -> Order:
    """The order was not paid in time: canceled by expiry, its stock back on the shelf."""
    return order_canceled(session, order, "expired: not paid in time")
