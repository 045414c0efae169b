"""Webhook delivery: signed, subscribed types only, in the background, retried, and each fault."""

from __future__ import annotations

import time

import pytest
import requests
import stripe
from emulator_support import WebhookReceiver, deliveries, flush, set_faults, wait_until

from stripe_emulator import RunningEmulator


def subscribe(client: stripe.StripeClient, receiver: WebhookReceiver, *events: str) -> str:
    """Register the receiver for events (all by default); returns the signing secret."""
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": list(events) or ["*"]}
    )
    return endpoint.secret


def pay(client: stripe.StripeClient) -> stripe.PaymentIntent:
    """A payment: payment_intent.created, charge.succeeded, payment_intent.succeeded."""
    return client.v1.payment_intents.create(
        params={
            "amount": 1200,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )


def new_intent(client: stripe.StripeClient) -> stripe.PaymentIntent:
    """One event: payment_intent.created."""
    return client.v1.payment_intents.create(params={"amount": 1200, "currency": "usd"})


def test_events_are_delivered_signed_so_the_sdk_verifies_them(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    secret = subscribe(fresh_client, receiver)

    intent = pay(fresh_client)
    flush(fresh)

    received = receiver.wait_for(3)
    events = [request.event(secret) for request in received]
    assert sorted(event.type for event in events) == [
        "charge.succeeded",
        "payment_intent.created",
        "payment_intent.succeeded",
    ]
    assert all(request.content_type.startswith("application/json") for request in received)
    succeeded = next(event for event in events if event.type == "payment_intent.succeeded")
    assert succeeded.data.object.id == intent.id
    assert succeeded.data.object.status == "succeeded"
    stored = fresh_client.v1.events.retrieve(succeeded.id)
    assert stored.pending_webhooks == 0


def test_a_wrong_secret_or_a_changed_body_fails_verification(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    secret = subscribe(fresh_client, receiver)
    new_intent(fresh_client)
    flush(fresh)
    [request] = receiver.wait_for(1)

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.body, request.signature, "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.body + b" ", request.signature, secret)


def test_endpoints_get_only_the_events_they_subscribe_to(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    narrow, wide = WebhookReceiver(), WebhookReceiver()
    try:
        narrow_secret = subscribe(fresh_client, narrow, "payment_intent.succeeded")
        subscribe(fresh_client, wide)

        pay(fresh_client)
        flush(fresh)

        wide.wait_for(3)
        assert [request.event(narrow_secret).type for request in narrow.received] == [
            "payment_intent.succeeded"
        ]
    finally:
        narrow.close()
        wide.close()


def test_disabled_and_deleted_endpoints_get_nothing(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    disabled = fresh_client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["*"]}
    )
    deleted = fresh_client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["*"]}
    )
    fresh_client.v1.webhook_endpoints.update(disabled.id, params={"disabled": True})
    fresh_client.v1.webhook_endpoints.delete(deleted.id)

    pay(fresh_client)
    flush(fresh)

    assert receiver.received == []


def test_deliveries_and_their_attempts_are_visible(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    subscribe(fresh_client, receiver)
    new_intent(fresh_client)
    flush(fresh)

    [delivery] = deliveries(fresh)

    event = fresh_client.v1.events.list().data[0]
    assert delivery["event_id"] == event.id
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == (
        "succeeded",
        1,
        200,
    )
    assert [attempt["status"] for attempt in delivery["attempt_log"]] == [200]
    assert deliveries(fresh, event=event.id, status="succeeded") == [delivery]
    assert deliveries(fresh, status="failed") == []


def test_failed_deliveries_are_retried_with_growing_delays(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"retry_base_seconds": 0.15}})
    secret = subscribe(fresh_client, receiver)
    receiver.statuses = [500, 503, 500]

    new_intent(fresh_client)
    received = receiver.wait_for(4)

    assert len({request.event(secret).id for request in received}) == 1
    gaps = [later.at - earlier.at for earlier, later in zip(received, received[1:], strict=False)]
    assert gaps[0] >= 0.14 and gaps[1] >= 0.29 and gaps[2] >= 0.59  # 0.15, 0.3, 0.6 s
    delivery = wait_until(lambda: deliveries(fresh, status="succeeded"))[0]
    assert delivery["attempts"] == 4
    assert [attempt["status"] for attempt in delivery["attempt_log"]] == [500, 503, 500, 200]


def test_a_slow_endpoint_times_out_and_is_retried(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"retry_base_seconds": 0.1, "timeout_seconds": 0.2}})
    subscribe(fresh_client, receiver)
    receiver.delay = 0.5

    new_intent(fresh_client)
    receiver.wait_for(2)
    receiver.delay = 0

    delivery = wait_until(lambda: deliveries(fresh, status="succeeded"))[0]
    assert delivery["attempts"] >= 2
    assert "Timeout" in delivery["attempt_log"][0]["error"]


def test_delivery_never_holds_up_the_api(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    subscribe(fresh_client, receiver)
    receiver.delay = 2.0

    started = time.monotonic()
    for _ in range(3):
        pay(fresh_client)
    took = time.monotonic() - started

    assert took < 1.5  # nine deliveries of two seconds each are under way meanwhile
    receiver.delay = 0


def test_duplicate_fault_sends_each_event_n_times(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"duplicate": 3}})
    secret = subscribe(fresh_client, receiver)

    new_intent(fresh_client)
    flush(fresh)

    received = receiver.wait_for(3)
    assert len({request.event(secret).id for request in received}) == 1
    [delivery] = deliveries(fresh)
    assert len(delivery["attempt_log"]) == 3


def test_drop_fault_loses_deliveries(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"drop_next": 1}})
    secret = subscribe(fresh_client, receiver)

    first = new_intent(fresh_client)
    second = new_intent(fresh_client)
    flush(fresh)

    [request] = receiver.wait_for(1)
    assert request.event(secret).data.object.id == second.id
    assert [delivery["status"] for delivery in deliveries(fresh)] == ["succeeded", "dropped"]
    assert first.id


def test_drop_everything_fault(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"drop": 1.0}})
    subscribe(fresh_client, receiver)

    pay(fresh_client)
    flush(fresh)

    assert receiver.received == []
    assert {delivery["status"] for delivery in deliveries(fresh)} == {"dropped"}


def test_paused_deliveries_wait_until_resumed(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    assert requests.post(f"{fresh.url}/_emulator/webhooks/pause", timeout=5).status_code == 200
    subscribe(fresh_client, receiver)

    pay(fresh_client)
    flush(fresh)
    time.sleep(0.3)
    held = list(receiver.received)
    requests.post(f"{fresh.url}/_emulator/webhooks/resume", timeout=5)
    flush(fresh)

    assert held == []
    assert len(receiver.wait_for(3)) == 3


def test_delayed_deliveries_arrive_after_the_delay(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"delay_seconds": 0.5}})
    subscribe(fresh_client, receiver)

    started = time.monotonic()
    new_intent(fresh_client)
    [request] = receiver.wait_for(1)

    assert request.at - started >= 0.5


def test_shuffled_deliveries_arrive_out_of_order(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    requests.post(f"{fresh.url}/_emulator/webhooks/pause", timeout=5)
    subscribe(fresh_client, receiver)
    made = [new_intent(fresh_client).id for _ in range(12)]
    set_faults(fresh, {"webhooks": {"shuffle": True, "paused": False}})

    received = receiver.wait_for(12)

    order = [request.event_id for request in received]
    events = {
        event.id: event.data.object.id
        for event in fresh_client.v1.events.list(params={"limit": 12}).data
    }
    assert sorted(events[event_id] for event_id in order) == sorted(made)
    assert [events[event_id] for event_id in order] != made


def test_flush_says_when_deliveries_are_still_under_way(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    subscribe(fresh_client, receiver)
    receiver.delay = 1.0
    new_intent(fresh_client)

    response = requests.post(f"{fresh.url}/_emulator/webhooks/flush?timeout=0.2", timeout=5)

    assert response.status_code == 504
    assert response.json() == {"flushed": False}


def test_flush_refuses_a_bad_timeout(fresh: RunningEmulator) -> None:
    response = requests.post(f"{fresh.url}/_emulator/webhooks/flush?timeout=abc", timeout=5)

    assert response.status_code == 400
