"""Refunds as ledger rows: asked for by the shop or made at Stripe, each row's status moved once,
with stock and the order following a refund that succeeded."""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import emails
from ..models import Order, Refund, RefundLine
from ..payments.objects import Refund as StripeRefund
from ..payments.objects import StripeRefundStatus
from .errors import OrderError
from .ledger import RefundPlan, balance
from .lookup import find_payment, paid_payment
from .statuses import (
    REFUNDABLE,
    OrderStatus,
    RefundStatus,
    compare_and_set_status,
    lock_order,
    transition,
)
from .stock import release_stock, reserve_stock

log = logging.getLogger(__name__)

# Stripe's refund statuses in the ledger's words (requires_action: the money has not gone back).
_LEDGER_STATUS: dict[str, RefundStatus] = {
    StripeRefundStatus.PENDING: RefundStatus.PENDING,
    StripeRefundStatus.REQUIRES_ACTION: RefundStatus.PENDING,
    StripeRefundStatus.SUCCEEDED: RefundStatus.SUCCEEDED,
    StripeRefundStatus.FAILED: RefundStatus.FAILED,
    StripeRefundStatus.CANCELED: RefundStatus.CANCELED,
}


def refund_requested(
    session: Session,
    order: Order,
    plan: RefundPlan,
    idempotency_key: str | None = None,
    reason: str = "requested_by_customer",
) -> Refund:
    """The customer asked for money back: a pending ledger row (counting against what is left)
    with its own idempotency key, before Stripe is called."""
    payment = paid_payment(order)
    if payment is None:
        raise OrderError("This order has no payment to refund.")
    refund = Refund(
        order=order,
        payment=payment,
        amount=plan.amount,
        currency=order.currency,
        status=RefundStatus.PENDING,
        reason=reason,
        idempotency_key=idempotency_key or f"refund-{order.reference}-{secrets.token_hex(8)}",
        lines=[
            RefundLine(order_line_id=line_id, quantity=q) for line_id, q in plan.quantities.items()
        ],
    )
    session.add(refund)
    session.flush()
    return refund


def refund_updated(session: Session, refund: StripeRefund) -> Order | None:
    """Stripe reported a refund's state: record or update its ledger row and move the order.

    Matched by Stripe's refund id, then by the ledger id the shop put in its metadata; a refund
    made outside the shop gets a new row on the payment it refunds. None when the payment is
    not the shop's.
    """
    known = find_payment(session, refund.payment_intent) if refund.payment_intent else None
    if known is not None:
        lock_order(session, known.order)  # the shop's own call and a webhook may race
    row = session.scalars(select(Refund).where(Refund.stripe_refund_id == refund.id)).one_or_none()
    if row is None:
        row = _refund_by_metadata(session, refund)
    if row is None:
        payment = find_payment(session, refund.payment_intent) if refund.payment_intent else None
        if payment is None:
            return None
        row = Refund(
            order=payment.order,
            payment=payment,
            amount=refund.amount,
            currency=refund.currency,
            status=RefundStatus.PENDING,
            reason=refund.reason,
        )
        session.add(row)
        session.flush()
    row.stripe_refund_id = refund.id
    new_status = _LEDGER_STATUS.get(refund.status, RefundStatus.PENDING)
    refund_status_changed(session, row, new_status)
    return row.order


def _refund_by_metadata(session: Session, refund: StripeRefund) -> Refund | None:
    raw = refund.metadata.get("refund_id", "")
    if not raw.isdigit():
        return None
    row = session.get(Refund, int(raw))
    if row is None or row.stripe_refund_id not in (None, refund.id):
        return None
    if refund.payment_intent and row.payment.payment_intent_id != refund.payment_intent:
        return None
    return row


def refund_status_changed(session: Session, row: Refund, to: RefundStatus) -> None:
    """Move a ledger row to a new status; on success the stock goes back and the order follows.

    A compare-and-set on the row's status makes the side effects happen once, whoever reports
    the refund first (the shop's own call, a webhook or reconciliation).
    """
    current = RefundStatus(row.status)
    if current == to:
        return
    if not compare_and_set_status(session, row, current, to):
        return  # someone else recorded this change first
    order = row.order
    if to == RefundStatus.SUCCEEDED:
        for refund_line in row.lines:
            release_stock(session, refund_line.order_line.book_id, refund_line.quantity)
        session.expire(order, ["refunds"])
        _order_follows_refunds(session, order, row)
        emails.queue_order_refunded(session, order, row)
    elif current == RefundStatus.SUCCEEDED:
        # Stripe can fail a refund after reporting success: the money did not go back.
        _refund_undone(session, order, row)


def _order_follows_refunds(session: Session, order: Order, row: Refund) -> None:
    status = OrderStatus(order.status)
    if status not in REFUNDABLE:
        log.warning("order %s is %s: refund %s recorded only", order.reference, status, row.id)
        return
    money = balance(order)
    to = OrderStatus.REFUNDED if money.refunded >= money.paid else OrderStatus.PARTIALLY_REFUNDED
    transition(session, order, to, f"refund {row.stripe_refund_id or row.id} succeeded")


def _refund_undone(session: Session, order: Order, row: Refund) -> None:
    """A refund that had succeeded failed after all: its copies come off the shelf again, the
    order goes back to what the ledger now says, the customer is told, and the amount can be
    refunded again. Logged at ERROR so staff look at it."""
    log.error(
        "order %s: refund %s went from succeeded to %s; the money did not go back",
        order.reference,
        row.stripe_refund_id or row.id,
        row.status,
    )
    for refund_line in row.lines:
        book = refund_line.order_line.book
        if not reserve_stock(session, book, refund_line.quantity):
            log.error(
                "order %s: %d of %s sold meanwhile, not taken back for the failed refund",
                order.reference,
                refund_line.quantity,
                book.slug,
            )
    session.expire(order, ["refunds"])
    if order.status in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
        money = balance(order)
        to = OrderStatus.PAID if money.refunded == 0 else OrderStatus.PARTIALLY_REFUNDED
        transition(session, order, to, f"refund {row.stripe_refund_id or row.id} failed")
    emails.queue_refund_failed(session, order, row)
