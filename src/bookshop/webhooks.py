"""Stripe webhook events: recorded before acting, each handled once, dispatched by type."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from . import orders, payments
from .models import StripeEvent

log = logging.getLogger(__name__)


def handle_event(session: Session, event: payments.Event) -> bool:
    """Record the event and act on it; False when this event id was handled before."""
    if session.get(StripeEvent, event.id) is not None:
        return False
    session.add(StripeEvent(id=event.id, type=event.type, object_id=event.object_id))
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(session, event)
    return True


def _payment_intent_changed(session: Session, event: payments.Event) -> None:
    if not event.object_id:
        return
    payment = orders.find_payment(session, event.object_id)
    if payment is None:
        log.info("event %s: payment %s is not the shop's", event.id, event.object_id)
        return
    # Events can arrive late, twice or out of order: act on the PaymentIntent as it is now.
    intent = payments.retrieve_payment_intent(event.object_id)
    order = orders.payment_updated(session, payment, intent)
    log.info("event %s (%s): order %s is %s", event.id, event.type, order.reference, order.status)


HANDLERS: dict[str, Callable[[Session, payments.Event], None]] = {
    "payment_intent.succeeded": _payment_intent_changed,
    "payment_intent.processing": _payment_intent_changed,
    "payment_intent.payment_failed": _payment_intent_changed,
    "payment_intent.canceled": _payment_intent_changed,
}
