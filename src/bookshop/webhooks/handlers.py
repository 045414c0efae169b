"""What each type of Stripe event does: fetch what Stripe says now (no lock held), then apply it
through the sync layer in the transaction that claims the event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from .. import payments, stripe_sync
from ..models import Order


def _described(order: Order | None, what: str) -> str:
    if order is None:
        return f"{what} is not the shop's"
    return f"{what}: order {order.reference} is {order.status}"


@dataclass(frozen=True)
class Handler:
    """How one kind of event is acted on."""

    fetch: Callable[[Session, payments.Event], Any]  # what Stripe says now, or None: nothing to do
    apply: Callable[[Session, payments.Event, Any], str]  # the change; returns a note for the log


def _fetch_payment_intent(session: Session, event: payments.Event) -> payments.PaymentIntent | None:
    if not stripe_sync.is_ours(session, event.object_id):
        return None
    # Money state comes only from Stripe's object read back now, never from an event's body: a
    # signed event may be stale, and a leaked signing secret must not be able to mark orders paid.
    return payments.retrieve_payment_intent(str(event.object_id))


def _apply_payment_intent(
    session: Session, event: payments.Event, intent: payments.PaymentIntent | None
) -> str:
    if intent is None:
        return f"payment {event.object_id} is not the shop's"
    return _described(stripe_sync.apply_payment_intent(session, intent), f"payment {intent.id}")


def _fetch_charge_payment(session: Session, event: payments.Event) -> payments.PaymentIntent | None:
    # A charge captured or its authorization expired: what counts is its PaymentIntent, now.
    payment_intent_id = payments.id_of(event.object.get("payment_intent"))
    if not payment_intent_id or not stripe_sync.is_ours(session, payment_intent_id):
        return None
    return payments.retrieve_payment_intent(payment_intent_id)


@dataclass(frozen=True)
class AfterPayment:
    """Refunds or a dispute as Stripe has them now, and the payment if the shop lags behind."""

    objects: list[Any]
    intent: payments.PaymentIntent | None


def _fetch_refunds(session: Session, event: payments.Event) -> AfterPayment | None:
    obj = event.object
    payment_intent_id = payments.id_of(obj.get("payment_intent"))
    if not payment_intent_id or not stripe_sync.is_ours(session, payment_intent_id):
        return None
    if obj.get("object") == "refund":
        refunds = [payments.retrieve_refund(str(obj["id"]))]
    else:  # charge.refunded: every refund of the charge's PaymentIntent
        refunds = list(payments.list_refunds(payment_intent_id=payment_intent_id))
    return AfterPayment(refunds, stripe_sync.payment_if_unrecorded(session, payment_intent_id))


def _apply_refunds(session: Session, event: payments.Event, facts: AfterPayment | None) -> str:
    if facts is None or not facts.objects:
        return f"{event.object_id}: no refund of the shop's"
    notes = [
        _described(stripe_sync.apply_refund(session, refund, facts.intent), f"refund {refund.id}")
        for refund in facts.objects
    ]
    return "; ".join(notes)


def _fetch_dispute(session: Session, event: payments.Event) -> AfterPayment | None:
    payment_intent_id = payments.id_of(event.object.get("payment_intent"))
    if not payment_intent_id or not stripe_sync.is_ours(session, payment_intent_id):
        return None
    dispute = payments.retrieve_dispute(str(event.object_id))
    return AfterPayment([dispute], stripe_sync.payment_if_unrecorded(session, payment_intent_id))


def _apply_dispute(session: Session, event: payments.Event, facts: AfterPayment | None) -> str:
    if facts is None:
        return f"dispute {event.object_id} is not about the shop's payments"
    (dispute,) = facts.objects
    return _described(
        stripe_sync.apply_dispute(session, dispute, facts.intent), f"dispute {dispute.id}"
    )


def _fetch_checkout_session(
    session: Session, event: payments.Event
) -> payments.CheckoutSession | None:
    reference = event.object.get("client_reference_id")
    if not stripe_sync.checkout_is_ours(session, event.object_id, reference):
        return None
    # The session and its PaymentIntent read back now: the event only says which session.
    return payments.retrieve_checkout_session(str(event.object_id))


def _apply_checkout_session(
    session: Session, event: payments.Event, checkout: payments.CheckoutSession | None
) -> str:
    if checkout is None:
        return f"checkout {event.object_id} is not the shop's"
    order = stripe_sync.apply_checkout_session(session, checkout)
    return _described(order, f"checkout {checkout.id} ({checkout.status})")


_PAYMENT_INTENT = Handler(_fetch_payment_intent, _apply_payment_intent)
_CHARGE = Handler(_fetch_charge_payment, _apply_payment_intent)
_REFUNDS = Handler(_fetch_refunds, _apply_refunds)
_DISPUTE = Handler(_fetch_dispute, _apply_dispute)
_CHECKOUT = Handler(_fetch_checkout_session, _apply_checkout_session)

# Any other type is recorded and acknowledged.
HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _PAYMENT_INTENT,
    "payment_intent.processing": _PAYMENT_INTENT,
    "payment_intent.payment_failed": _PAYMENT_INTENT,
    "payment_intent.canceled": _PAYMENT_INTENT,
    "payment_intent.amount_capturable_updated": _PAYMENT_INTENT,
    "charge.captured": _CHARGE,
    "charge.expired": _CHARGE,
    "charge.refunded": _REFUNDS,
    "refund.created": _REFUNDS,
    "refund.updated": _REFUNDS,
    "refund.failed": _REFUNDS,
    "charge.refund.updated": _REFUNDS,
    "charge.dispute.created": _DISPUTE,
    "charge.dispute.updated": _DISPUTE,
    "charge.dispute.closed": _DISPUTE,
    "checkout.session.completed": _CHECKOUT,
    "checkout.session.async_payment_succeeded": _CHECKOUT,
    "checkout.session.async_payment_failed": _CHECKOUT,
    "checkout.session.expired": _CHECKOUT,
}
