"""Stripe's response headers: Request-Id, Stripe-Version, Idempotency-Key, Stripe-Should-Retry."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from emulator_support import Api, control, object_counts, sdk, set_faults

from stripe_emulator import RunningEmulator


@pytest.fixture(autouse=True)
def quick_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's backoff starts at half a second; these tests need it shorter."""
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.05)


def create(client: stripe.StripeClient) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})


def test_every_answer_has_a_request_id_and_the_account_api_version(
    emulator: RunningEmulator,
) -> None:
    api = Api(emulator)

    answers = [
        api.get("/v1/payment_intents"),
        api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd"}),
        api.post("/v1/payment_intents", {"amount": "1"}),
        api.get("/v1/charges/ch_missing"),
        api.get("/v1/nowhere"),
        api.get("/v1/payment_intents", key="sk_test_wrong"),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 400, 404, 404, 401]
    for answer in answers:
        assert answer.headers["Request-Id"].startswith("req_")
        assert answer.headers["Stripe-Version"] == "2026-10-28.endive"
    assert len({answer.headers["Request-Id"] for answer in answers}) == len(answers)


def test_the_requested_api_version_is_echoed(emulator: RunningEmulator) -> None:
    response = Api(emulator).get("/v1/payment_intents", headers={"Stripe-Version": "2024-06-20"})

    assert response.headers["Stripe-Version"] == "2024-06-20"


def test_idempotency_key_is_echoed_on_posts_whatever_the_outcome(emulator: RunningEmulator) -> None:
    api = Api(emulator)

    created = api.post(
        "/v1/payment_intents",
        {"amount": "1000", "currency": "usd"},
        headers={"Idempotency-Key": "echo-1"},
    )
    replayed = api.post(
        "/v1/payment_intents",
        {"amount": "1000", "currency": "usd"},
        headers={"Idempotency-Key": "echo-1"},
    )
    refused = api.post("/v1/payment_intents", {"amount": "x"}, headers={"Idempotency-Key": "e-2"})
    without = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd"})

    assert created.headers["Idempotency-Key"] == "echo-1"
    assert "Idempotent-Replayed" not in created.headers
    assert replayed.headers["Idempotency-Key"] == "echo-1"
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert refused.headers["Idempotency-Key"] == "e-2"
    assert "Idempotency-Key" not in without.headers


def test_the_sdk_sends_an_idempotency_key_that_comes_back(emulator: RunningEmulator) -> None:
    intent = create(sdk(emulator, retries=1))

    headers = intent.last_response.headers
    assert headers["Idempotency-Key"]
    assert intent.last_response.request_id == headers["Request-Id"]


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda api: api.post("/v1/payment_intents", {"amount": "1"}), 400),
        (lambda api: api.get("/v1/payment_intents", key="sk_test_wrong"), 401),
        (
            lambda api: api.post(
                "/v1/payment_intents",
                {
                    "amount": "1000",
                    "currency": "usd",
                    "confirm": "true",
                    "payment_method": "pm_card_chargeDeclined",
                },
            ),
            402,
        ),
        (lambda api: api.get("/v1/refunds/re_missing"), 404),
    ],
    ids=["400", "401", "402", "404"],
)
def test_client_errors_say_not_to_retry(emulator: RunningEmulator, call: Any, status: int) -> None:
    response = call(Api(emulator))

    assert response.status_code == status
    assert response.headers["Stripe-Should-Retry"] == "false"


def test_successes_carry_no_retry_advice(emulator: RunningEmulator) -> None:
    assert "Stripe-Should-Retry" not in Api(emulator).get("/v1/payment_intents").headers


@pytest.mark.parametrize("status", [500, 429, 409])
def test_injected_failures_say_to_retry(fresh: RunningEmulator, status: int) -> None:
    set_faults(fresh, {"errors": {"status": status, "count": 1}})

    response = Api(fresh).post(
        "/v1/payment_intents",
        {"amount": "1000", "currency": "usd"},
        headers={"Idempotency-Key": "k-9"},
    )

    assert response.status_code == status
    assert response.headers["Stripe-Should-Retry"] == "true"
    assert response.headers["Idempotency-Key"] == "k-9"
    if status == 409:
        error = response.json()["error"]
        assert error["type"] == "idempotency_error"
        assert error["message"].startswith(
            "There is currently another in-progress request using this Idempotent Key"
        )


@pytest.mark.parametrize("status", [500, 409])
def test_the_sdk_retries_when_told_to(fresh: RunningEmulator, status: int) -> None:
    set_faults(fresh, {"errors": {"status": status, "count": 1, "should_retry": True}})

    intent = create(sdk(fresh, retries=2))

    assert intent.id.startswith("pi_")
    assert control(fresh, "GET", "faults").json()["errors"][0]["count"] == 0


@pytest.mark.parametrize("status", [500, 409])
def test_the_sdk_does_not_retry_when_told_not_to(fresh: RunningEmulator, status: int) -> None:
    set_faults(fresh, {"errors": {"status": status, "count": 2, "should_retry": False}})

    with pytest.raises(stripe.APIError) as raised:  # the SDK's class for a 409 as for a 500
        create(sdk(fresh, retries=2))

    assert raised.value.http_status == status
    assert raised.value.headers["Stripe-Should-Retry"] == "false"
    # One request was refused; the second refusal is still owed, so no retry was sent.
    assert control(fresh, "GET", "faults").json()["errors"][0]["count"] == 1
    assert object_counts(fresh) == {}


def test_the_sdk_gives_up_on_a_decline_at_once(fresh: RunningEmulator) -> None:
    client = sdk(fresh, retries=3)

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_chargeDeclined",
            }
        )

    assert raised.value.headers["Stripe-Should-Retry"] == "false"
    assert object_counts(fresh)["payment_intent"] == 1
