"""The test clock: the emulator's time moves forward on request, and what fell due happens."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import stripe
from emulator_support import (
    WebhookReceiver,
    advance_clock,
    control,
    deliveries,
    flush,
    sdk,
    set_faults,
)

from stripe_emulator import RunningEmulator

DAY = 86_400


def test_the_clock_starts_at_the_real_time(fresh: RunningEmulator) -> None:
    found = control(fresh, "GET", "clock").json()

    assert found["advanced_seconds"] == 0
    assert abs(found["now"] - time.time()) < 5


def test_advancing_moves_every_new_timestamp(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    before = fresh_client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})

    answer = advance_clock(fresh, 2 * DAY)
    after = fresh_client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})

    assert answer["advanced_seconds"] == 2 * DAY
    assert answer == control(fresh, "GET", "clock").json() | {"now": answer["now"]}
    assert 2 * DAY <= after.created - before.created < 2 * DAY + 5
    [event] = fresh_client.v1.events.list(params={"limit": 1}).data
    assert event.created == after.created
    newer = fresh_client.v1.payment_intents.list(params={"created": {"gte": after.created}})
    assert [intent.id for intent in newer.data] == [after.id]


def test_steps_add_up_and_a_reset_returns_to_the_real_time(fresh: RunningEmulator) -> None:
    advance_clock(fresh, 60)
    advance_clock(fresh, 30.5)
    assert control(fresh, "GET", "clock").json()["advanced_seconds"] == 90.5
    assert control(fresh, "GET", "").json()["clock"]["advanced_seconds"] == 90.5

    control(fresh, "POST", "reset")

    assert control(fresh, "GET", "clock").json()["advanced_seconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"seconds": 0},
        {"seconds": -5},
        {"seconds": "x"},
        {"seconds": True},
        {"seconds": 400 * DAY},
        [1],
    ],
)
def test_bad_advances_are_refused_and_change_nothing(fresh: RunningEmulator, body: Any) -> None:
    response = control(fresh, "POST", "clock/advance", body)

    assert response.status_code == 400
    assert "seconds" in response.json()["error"]["message"]
    assert control(fresh, "GET", "clock").json()["advanced_seconds"] == 0


def test_seconds_may_come_as_a_form_field(fresh: RunningEmulator) -> None:

    response = requests.post(f"{fresh.url}/_emulator/clock/advance", data={"seconds": "5"})

    assert response.status_code == 200
    assert response.json()["advanced_seconds"] == 5


def test_a_webhook_retry_an_hour_away_is_sent_when_the_clock_gets_there(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    set_faults(fresh, {"webhooks": {"retry_base_seconds": 3600}})
    fresh_client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["payment_intent.created"]}
    )
    receiver.statuses = [500]
    fresh_client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})
    receiver.wait_for(1)
    flush(fresh)
    [pending] = deliveries(fresh)
    assert (pending["status"], pending["attempts"]) == ("pending", 1)
    assert pending["next_attempt_at"] - pending["created"] >= 3600

    advance_clock(fresh, 3600)
    flush(fresh)

    receiver.wait_for(2)
    [delivered] = deliveries(fresh)
    assert (delivered["status"], delivered["attempts"]) == ("succeeded", 2)


def test_a_payment_settling_in_a_day_settles_when_the_clock_gets_there(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(fresh, {"payments": {"settle_seconds": 3600}})
    intent = fresh_client.v1.payment_intents.create(
        params={
            "amount": 2300,
            "currency": "sgd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    assert intent.status == "processing"

    advance_clock(fresh, 3600)

    assert fresh_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_the_clock_stays_advanced_across_a_restart(
    start_emulator: Callable[..., RunningEmulator],
) -> None:
    first = start_emulator()
    advance_clock(first, DAY)
    first.stop()

    second = start_emulator()

    assert control(second, "GET", "clock").json()["advanced_seconds"] == DAY
    intent = sdk(second).v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})
    assert intent.created >= time.time() + DAY - 5
