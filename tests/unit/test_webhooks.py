"""The webhook endpoint: signed events only, each handled once, acting on the current state."""

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from bookshop.models import Order, StripeEvent

BOOK = "the-art-of-doing-science-and-engineering"


def signed(payload: dict, secret: str, timestamp: int | None = None):
    body = json.dumps(payload).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={signature}", "Content-Type": "application/json"}


def event(event_id, event_type, object_id):
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": {"id": object_id, "object": "payment_intent"}},
    }


@pytest.fixture
def pending_payment(client, csrf_headers, fake_stripe):
    response = client.post(
        f"/checkout/{BOOK}/payment-intent", json={"email": "r@example.com"}, headers=csrf_headers
    )
    return response.json["clientSecret"].split("_secret")[0]


def post(client, payload, secret=None, **kwargs):
    secret = secret or client.application.config["STRIPE_WEBHOOK_SECRET"] or "whsec_unset"
    body, headers = signed(payload, secret, **kwargs)
    return client.post("/webhooks/stripe", data=body, headers=headers)


def test_a_signed_succeeded_event_marks_the_order_paid(
    client, fake_stripe, pending_payment, session
):
    fake_stripe.set_status(pending_payment, "succeeded")
    response = post(client, event("evt_1", "payment_intent.succeeded", pending_payment))
    assert response.status_code == 200
    assert session.scalars(select(Order)).one().status == "paid"
    assert session.get(StripeEvent, "evt_1").object_id == pending_payment


def test_the_order_follows_stripes_current_state_not_the_events_claim(
    client, fake_stripe, pending_payment, session
):
    # An old "succeeded" event for a payment that has since failed changes nothing.
    fake_stripe.set_status(pending_payment, "requires_payment_method")
    post(client, event("evt_2", "payment_intent.succeeded", pending_payment))
    assert session.scalars(select(Order)).one().status == "pending_payment"


def test_a_repeated_event_is_acknowledged_and_handled_once(
    client, fake_stripe, pending_payment, session
):
    fake_stripe.set_status(pending_payment, "succeeded")
    first = post(client, event("evt_3", "payment_intent.succeeded", pending_payment))
    second = post(client, event("evt_3", "payment_intent.succeeded", pending_payment))
    assert first.json == {"received": True, "duplicate": False}
    assert second.json == {"received": True, "duplicate": True}
    assert fake_stripe.retrieved.count(pending_payment) == 1


def test_events_for_other_payments_and_unknown_types_are_recorded_and_ignored(client, session):
    assert (
        post(client, event("evt_4", "payment_intent.succeeded", "pi_not_ours")).status_code == 200
    )
    assert post(client, event("evt_5", "customer.created", "cus_1")).status_code == 200
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 2


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "whsec_someone_else"},
        {"timestamp": 1_000_000_000},  # far outside the tolerance: a replay
    ],
)
def test_events_with_a_bad_signature_are_refused(client, session, tamper):
    response = post(client, event("evt_6", "payment_intent.succeeded", "pi_x"), **tamper)
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{}", {}),
        (b"not json", {"Stripe-Signature": "t=1,v1=abc"}),
        (b"{}", {"Stripe-Signature": "garbage"}),
    ],
)
def test_unsigned_or_garbled_requests_are_refused(client, body, headers):
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400


def test_a_signed_but_malformed_event_is_refused(client):
    body, headers = signed({"hello": "world"}, client.application.config["STRIPE_WEBHOOK_SECRET"])
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400


def test_without_a_configured_secret_every_event_is_refused(app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    response = post(client, event("evt_7", "payment_intent.succeeded", "pi_x"))
    assert response.status_code == 503
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_webhooks_need_no_csrf_token(client):
    # The signature is the proof of origin; a CSRF failure would be a 400 with another message.
    response = post(client, event("evt_8", "customer.created", "cus_1"))
    assert response.status_code == 200
