"""The webhook endpoint: signed events only, stored before acting, each applied once."""

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from bookshop import orders, payments, webhooks
from bookshop.models import Email, OrderEvent, StripeEvent, utcnow
from shop_support import count, deliver, event, signed, the_order


def test_a_signed_succeeded_event_marks_the_order_paid_with_one_email(
    client, fake_stripe, pending, session
):
    response = deliver(client, fake_stripe.succeeded(pending))

    assert response.status_code == 200
    assert response.json == {"received": True, "duplicate": False}
    assert the_order(session).status == "paid"
    assert count(session, Email, Email.kind == "order_paid") == 1
    # Money state comes from Stripe's object read back, never from the event's body.
    assert fake_stripe.retrieved == [pending]


def test_a_signed_succeeded_event_that_stripe_does_not_confirm_changes_nothing(
    client, fake_stripe, pending, session
):
    forged = fake_stripe.succeeded(pending)
    fake_stripe.set_status(pending, "requires_payment_method")  # what Stripe says now

    response = deliver(client, forged)

    assert response.status_code == 200
    order = the_order(session)
    assert (order.status, order.payments[0].status) == (
        "pending_payment",
        "requires_payment_method",
    )
    assert count(session, Email, Email.kind == "order_paid") == 0


def test_a_short_payment_is_never_marked_succeeded_and_is_shown_to_staff(
    client, fake_stripe, pending, session
):
    fake_stripe.set_status(pending, "succeeded", amount_received=100)

    deliver(client, fake_stripe.intent_event("evt_short", "payment_intent.succeeded", pending))

    order = the_order(session)
    assert order.payments[0].status == "requires_payment_method"
    assert "Stripe reports 100 sgd succeeded for an order of 2300 sgd" in order.payments[0].problem
    assert order.status == "pending_payment"


def test_the_event_is_stored_with_what_stripe_sent(client, fake_stripe, pending, session):
    payload = fake_stripe.succeeded(pending)
    payload["created"] = 1_800_000_000

    deliver(client, payload)

    stored = session.get(StripeEvent, "evt_paid")
    assert stored.type == "payment_intent.succeeded"
    assert stored.object_id == pending
    assert int(stored.api_created.timestamp()) == 1_800_000_000
    assert json.loads(stored.payload) == payload
    assert stored.received_at is not None and stored.processed_at is not None
    assert (stored.attempts, stored.last_error) == (1, None)


def test_client_secrets_are_masked_before_the_event_is_stored(
    client, fake_stripe, pending, session
):
    payload = fake_stripe.succeeded(pending)
    payload["data"]["object"]["client_secret"] = f"{pending}_secret_AbC123xyz"

    deliver(client, payload)

    stored = json.loads(session.get(StripeEvent, "evt_paid").payload)
    assert stored["data"]["object"]["client_secret"] == f"{pending}_secret_***"
    stored["data"]["object"]["client_secret"] = payload["data"]["object"]["client_secret"]
    assert stored == payload  # nothing else is changed


def test_a_repeated_event_is_acknowledged_and_applied_once(client, fake_stripe, pending, session):
    payload = fake_stripe.succeeded(pending)

    responses = [deliver(client, payload) for _ in range(5)]

    assert [r.json["duplicate"] for r in responses] == [False, True, True, True, True]
    assert count(session, StripeEvent) == 1
    assert count(session, OrderEvent, OrderEvent.to_status == "paid") == 1
    assert count(session, Email) == 1
    assert session.get(StripeEvent, "evt_paid").attempts == 1


def test_a_failing_handler_rolls_back_keeps_the_error_and_answers_500(
    client, fake_stripe, pending, session, monkeypatch
):
    payload = fake_stripe.succeeded(pending)
    real = orders.payment_updated

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the order moves, then the handler fails: all of it is undone
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(orders, "payment_updated", crash)
    failed = deliver(client, payload)

    assert failed.status_code == 500
    stored = session.get(StripeEvent, "evt_paid")
    assert stored.processed_at is None
    assert stored.attempts == 1
    assert "RuntimeError: the disk is on fire" in stored.last_error
    assert the_order(session).status == "pending_payment"
    assert count(session, Email) == 0

    monkeypatch.setattr(orders, "payment_updated", real)
    again = deliver(client, payload)  # Stripe's retry

    assert again.status_code == 200
    session.expire_all()
    stored = session.get(StripeEvent, "evt_paid")
    assert stored.processed_at is not None
    assert (stored.attempts, stored.last_error) == (2, None)
    assert the_order(session).status == "paid"
    assert count(session, Email) == 1


def test_stripe_being_unreachable_while_fetching_is_a_retryable_failure(
    client, fake_stripe, pending, session
):
    # A non-final state is read back from Stripe, which is down.
    fake_stripe.fail_with = payments.PaymentUnavailable("connection refused")
    payload = event("evt_proc", "payment_intent.processing", {"id": pending})

    response = deliver(client, payload)

    assert response.status_code == 500
    assert "PaymentUnavailable" in session.get(StripeEvent, "evt_proc").last_error


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("customer.created", {"id": "cus_1", "object": "customer"}),
        ("payment_intent.succeeded", {"id": "pi_not_ours", "object": "payment_intent"}),
        ("charge.dispute.created", {"id": "dp_1", "object": "dispute", "payment_intent": "pi_x"}),
        ("refund.created", {"id": "re_1", "object": "refund", "payment_intent": "pi_x"}),
    ],
)
def test_unknown_types_and_other_payments_are_recorded_and_acknowledged(
    client, fake_stripe, session, event_type, obj
):
    response = deliver(client, event("evt_other", event_type, obj))

    assert response.status_code == 200
    stored = session.get(StripeEvent, "evt_other")
    assert stored.type == event_type and stored.processed_at is not None
    assert fake_stripe.retrieved == []  # nothing of the shop's: Stripe is not asked
    assert response.json == {"received": True, "duplicate": False}  # new, on every database


def test_recording_says_whether_the_event_was_new(session):
    payload = json.dumps(event("evt_rec", "customer.created", {"id": "cus_1"}))
    stored = payments.event_from_payload(payload)

    assert [webhooks.record(session, stored) for _ in range(2)] == [True, False]


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "whsec_someone_else"},
        {"timestamp": int(time.time()) - 301},  # just outside the 300 s tolerance: a replay
        {"timestamp": 1_000_000_000},
    ],
)
def test_events_with_a_bad_or_stale_signature_are_refused_and_nothing_is_written(
    client, fake_stripe, pending, session, tamper
):
    response = deliver(client, fake_stripe.succeeded(pending), **tamper)

    assert response.status_code == 400
    assert count(session, StripeEvent) == 0
    assert the_order(session).status == "pending_payment"


def test_a_signature_a_few_minutes_old_is_still_accepted(client, session):
    response = deliver(
        client,
        event("evt_late", "customer.created", {"id": "cus_1"}),
        timestamp=int(time.time()) - 240,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{}", {}),
        (b"not json", {"Stripe-Signature": "t=1,v1=abc"}),
        (b"{}", {"Stripe-Signature": "garbage"}),
        (b"\xff\xfe", {"Stripe-Signature": "t=1,v1=abc"}),
    ],
)
def test_unsigned_or_garbled_requests_are_refused(client, session, body, headers):
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400
    assert count(session, StripeEvent) == 0


def test_a_signed_but_malformed_event_is_refused(client, session):
    body, headers = signed({"hello": "world"}, client.application.config["STRIPE_WEBHOOK_SECRET"])
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400
    assert count(session, StripeEvent) == 0


@pytest.mark.parametrize("configured", [None, "", " , "])
def test_without_a_configured_secret_every_event_is_refused(app, client, session, configured):
    app.config["STRIPE_WEBHOOK_SECRET"] = configured
    response = deliver(client, event("evt_7", "customer.created", {"id": "cus_1"}))
    assert response.status_code == 503
    assert count(session, StripeEvent) == 0


def test_several_secrets_are_accepted_while_one_is_rotated(app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_old, whsec_new"

    old = deliver(client, event("evt_old", "customer.created", {"id": "c"}), secret="whsec_old")
    new = deliver(client, event("evt_new", "customer.created", {"id": "c"}), secret="whsec_new")
    other = deliver(client, event("evt_x", "customer.created", {"id": "c"}), secret="whsec_other")

    assert (old.status_code, new.status_code, other.status_code) == (200, 200, 400)
    assert count(session, StripeEvent) == 2


def test_the_webhook_is_the_only_route_exempt_from_csrf(app, client):
    # The signature is the proof of origin; every other POST needs the session's CSRF token.
    assert deliver(client, event("evt_8", "customer.created", {"id": "cus_1"})).status_code == 200
    others = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.endpoint != "webhooks.stripe_events"
    ]
    assert others, "the shop has other forms"
    for rule in others:
        url = rule.build({name: "1" for name in rule.arguments})[1]
        response = client.post(url, data={"quantity": "1"})
        assert response.status_code == 400, url
        assert "session has expired" in response.get_data(as_text=True), url


def test_a_copy_finding_the_event_at_work_in_another_delivery_is_acknowledged_at_once(
    client, fake_stripe, pending, session
):
    payload = fake_stripe.succeeded(pending)
    stored = payments.event_from_payload(json.dumps(payload))
    webhooks.record(session, stored)  # another delivery's, still at work

    copy = deliver(client, payload)
    again = deliver(client, payload)

    assert (copy.status_code, copy.json) == (200, {"received": True, "duplicate": True})
    assert again.status_code == 200
    assert fake_stripe.retrieved == []  # Stripe is not asked only to lose the claim
    session.expire_all()
    assert session.get(StripeEvent, stored.id).processed_at is None  # still the other's to do
    assert the_order(session).status == "pending_payment"


def test_an_acknowledged_copy_is_not_remembered_as_processed(client, fake_stripe, pending, session):
    payload = fake_stripe.succeeded(pending)
    stored = payments.event_from_payload(json.dumps(payload))
    webhooks.record(session, stored)
    deliver(client, payload)  # acknowledged while the other delivery was at work
    # That delivery died: once its time is up, Stripe's next copy processes the event.
    session.execute(
        update(StripeEvent)
        .where(StripeEvent.id == stored.id)
        .values(received_at=utcnow() - webhooks.receiving.IN_FLIGHT)
    )
    session.commit()

    retry = deliver(client, payload)

    assert (retry.status_code, retry.json["duplicate"]) == (200, False)
    assert the_order(session).status == "paid"


@pytest.mark.parametrize(
    "earlier",
    [
        {"last_error": "RuntimeError: boom"},  # an attempt that failed
        {"received_at": utcnow() - timedelta(minutes=1)},  # one that died without a word
    ],
)
def test_an_event_stored_by_an_attempt_that_ended_is_processed_at_once(
    fake_stripe, pending, session, earlier
):
    stored = payments.event_from_payload(json.dumps(fake_stripe.succeeded(pending)))
    webhooks.record(session, stored)
    session.execute(update(StripeEvent).where(StripeEvent.id == stored.id).values(**earlier))
    session.commit()

    started = time.monotonic()
    assert webhooks.receive(session, stored) == webhooks.Outcome.APPLIED
    assert time.monotonic() - started < webhooks.receiving.IN_FLIGHT.total_seconds() / 2
    assert fake_stripe.retrieved == [pending]


def test_the_memory_of_processed_events_keeps_only_the_most_recent():
    recent = webhooks.RecentlyProcessed(size=2)
    for event_id in ("evt_a", "evt_b", "evt_a", "evt_c"):
        recent.add(event_id)
    assert ("evt_a" in recent, "evt_b" in recent, "evt_c" in recent) == (True, False, True)
