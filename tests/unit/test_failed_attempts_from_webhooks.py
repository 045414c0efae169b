"""A declined attempt reported only by Stripe's webhook (the customer closed the page) is on the
order's timeline, once however often the event comes."""

from __future__ import annotations

from bookshop.wording import timeline
from shop_support import deliver, the_order


def attempts_shown(session) -> list[str]:
    order = the_order(session)
    session.refresh(order)
    return [entry.detail for entry in timeline(order) if entry.kind == "attempt-failed"]


def test_a_decline_reported_by_webhook_is_on_the_timeline_once(
    client, fake_stripe, pending, session
):
    fake_stripe.set_status(
        pending, "requires_payment_method", last_error_message="Your card was declined."
    )
    failed = fake_stripe.intent_event("evt_f", "payment_intent.payment_failed", pending)

    deliver(client, failed)
    deliver(client, {**failed, "id": "evt_f_again"})  # the same news in another event

    assert attempts_shown(session) == ["Your card was declined."]
    assert the_order(session).status == "pending_payment"


def test_a_failure_without_a_message_adds_nothing(client, fake_stripe, pending, session):
    fake_stripe.set_status(pending, "requires_payment_method")

    deliver(client, fake_stripe.intent_event("evt_f", "payment_intent.payment_failed", pending))

    assert attempts_shown(session) == []
