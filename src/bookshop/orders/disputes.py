"""Disputes: a cardholder's dispute recorded against the order, which follows it to won or lost."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Dispute, Order
from ..payments.objects import Dispute as StripeDispute
from ..payments.objects import DisputeStatus
from .lookup import find_payment
from .statuses import REFUNDABLE, OrderStatus, lock_order, transition

# Stripe's dispute statuses that end it; anything else keeps the order disputed.
_OUTCOMES: dict[str, OrderStatus] = {
    DisputeStatus.WON: OrderStatus.WON,
    DisputeStatus.LOST: OrderStatus.LOST,
}
# An early warning (inquiry) that never became a dispute.
_NOT_A_DISPUTE = frozenset({DisputeStatus.WARNING_CLOSED})


def dispute_updated(session: Session, dispute: StripeDispute) -> Order | None:
    """Stripe reported a dispute: record it and its due date; opened → disputed, closed → won or
    lost."""
    payment = find_payment(session, dispute.payment_intent) if dispute.payment_intent else None
    if payment is None:
        return None
    lock_order(session, payment.order)
    row = session.scalars(
        select(Dispute).where(Dispute.stripe_dispute_id == dispute.id)
    ).one_or_none()
    if row is None:
        row = Dispute(
            order=payment.order,
            payment=payment,
            stripe_dispute_id=dispute.id,
            amount=dispute.amount,
            currency=dispute.currency,
            reason=dispute.reason,
            status=dispute.status,
        )
        session.add(row)
    else:
        row.status, row.amount, row.reason = dispute.status, dispute.amount, dispute.reason
    if dispute.evidence_due_by:
        row.evidence_due_by = datetime.fromtimestamp(dispute.evidence_due_by, UTC)
    order = payment.order
    if dispute.status in _NOT_A_DISPUTE:
        return order
    status = OrderStatus(order.status)
    if status in REFUNDABLE:
        transition(
            session, order, OrderStatus.DISPUTED, f"dispute {dispute.id} opened ({dispute.reason})"
        )
    outcome = _OUTCOMES.get(dispute.status)
    if outcome is not None and order.status == OrderStatus.DISPUTED:
        transition(session, order, outcome, f"dispute {dispute.id} {dispute.status}")
    return order
