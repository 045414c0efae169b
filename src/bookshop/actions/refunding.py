"""Refunding: the customer asks for money back, and refunds whose call to Stripe got no answer
are asked for again with the same idempotency key."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order, Refund
from ..orders import OrderError, RefundStatus

log = logging.getLogger(__name__)


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
    deadline = orders.refund_deadline(order, window_days)
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
        orders.refund_status_changed(session, row, RefundStatus.FAILED)
        session.commit()
        raise OrderError("We could not make this refund. Please contact us.") from exc
    orders.refund_updated(session, refund)
    session.commit()
    log.info("order %s: refund %s %s", row.order.reference, refund.id, refund.status)
    return row


def retry_pending_refunds(session: Session, order: Order) -> None:
    """Finish refunds whose call to Stripe never got an answer (same idempotency key)."""
    for row in list(order.refunds):
        if row.status == RefundStatus.PENDING and row.stripe_refund_id is None:
            if row.idempotency_key:
                try:
                    submit_refund(session, row)
                except (payments.PaymentError, OrderError) as exc:
                    log.warning("refund %s still pending: %s", row.id, exc)
