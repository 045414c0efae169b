"""Events stored but never processed are applied by the reprocess_events job, once each."""

import json
from datetime import timedelta

from sqlalchemy import update

from bookshop import payments, webhooks
from bookshop.jobs import tasks
from bookshop.models import Email, OrderEvent, StripeEvent, utcnow
from shop_support import count, placed_order, the_order

IN_FLIGHT = webhooks.receiving.IN_FLIGHT


def stored_event(session, payload, age: timedelta, **fields) -> payments.Event:
    """The event as a delivery left it in the log `age` ago, without processing it."""
    event = payments.event_from_payload(json.dumps(payload))
    webhooks.record(session, event)
    session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == event.id)
        .values(received_at=utcnow() - age, **fields)
    )
    session.commit()
    return event


def test_an_event_left_unprocessed_past_its_delivery_time_is_applied(fake_stripe, pending, session):
    event = stored_event(session, fake_stripe.succeeded(pending), IN_FLIGHT + timedelta(seconds=1))

    results = webhooks.reprocess_stalled(session, utcnow())

    assert results == [(event.id, webhooks.Outcome.APPLIED)]
    assert the_order(session).status == "paid"
    assert session.get(StripeEvent, event.id).processed_at is not None
    assert fake_stripe.retrieved == [pending]  # Stripe's word, read now


def test_an_event_a_delivery_is_still_at_work_on_is_left_to_it(fake_stripe, pending, session):
    stored_event(session, fake_stripe.succeeded(pending), IN_FLIGHT - timedelta(seconds=1))

    assert webhooks.reprocess_stalled(session, utcnow()) == []
    assert the_order(session).status == "pending_payment"
    assert fake_stripe.retrieved == []


def test_an_event_that_failed_too_often_is_left_to_stripe_and_staff(fake_stripe, pending, session):
    limit = webhooks.receiving.JOB_ATTEMPTS
    payload = fake_stripe.succeeded(pending)
    stored_event(session, payload, timedelta(minutes=5), attempts=limit, last_error="E: boom")

    assert webhooks.reprocess_stalled(session, utcnow()) == []

    session.execute(update(StripeEvent).values(attempts=limit - 1))
    session.commit()
    assert [outcome for _, outcome in webhooks.reprocess_stalled(session, utcnow())] == [
        webhooks.Outcome.APPLIED
    ]


def test_processed_events_are_never_processed_again(fake_stripe, pending, session):
    event = stored_event(session, fake_stripe.succeeded(pending), timedelta(minutes=5))
    webhooks.reprocess_stalled(session, utcnow())

    assert webhooks.reprocess_stalled(session, utcnow() + timedelta(hours=1)) == []
    assert count(session, OrderEvent, OrderEvent.to_status == "paid") == 1
    assert session.get(StripeEvent, event.id).attempts == 1


def test_the_job_applies_stalled_events_oldest_first_and_sends_their_emails(
    app, fake_stripe, session
):
    first, second = placed_order(session).payment_intent, placed_order(session).payment_intent
    older = stored_event(
        session,
        fake_stripe.intent_event("evt_1", "payment_intent.succeeded", second),
        timedelta(minutes=2),
    )
    newer = stored_event(
        session,
        fake_stripe.intent_event("evt_2", "payment_intent.succeeded", first),
        timedelta(minutes=1),
    )
    fake_stripe.set_status(first, "succeeded")
    fake_stripe.set_status(second, "succeeded")

    assert tasks.run("reprocess_events", app) == 2

    assert fake_stripe.retrieved == [second, first]
    assert count(session, Email, Email.sent_at.is_not(None)) == 2
    assert {older.id, newer.id} == {
        e.id for e in session.query(StripeEvent).where(StripeEvent.processed_at.is_not(None))
    }
