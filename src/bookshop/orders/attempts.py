"""Failed attempts to pay: what the card issuer or the 3-D Secure check said, kept on the payment
so the order's timeline can show that an attempt failed and why."""

from __future__ import annotations

from ..models import Payment, utcnow
from ..payments import IntentStatus, PaymentIntent


def attempt_failed(payment: Payment, intent: PaymentIntent) -> bool:
    """Record the PaymentIntent's last failure on its payment row when it is news; True if so.
    The message is Stripe's own for customers (payments keeps only those)."""
    message = intent.last_error_message
    if intent.status != IntentStatus.REQUIRES_PAYMENT_METHOD or not message:
        return False
    if payment.failure_message == message[:300] and payment.failed_at is not None:
        return False  # the same failure, reported again (the return page and a check)
    payment.failure_message = message[:300]
    payment.failed_at = utcnow()
    return True
