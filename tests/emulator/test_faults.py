"""Injected faults: latency, 500 / 429 / dropped connections against the SDK's retries, reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import stripe
from emulator_support import Api, control, object_counts, sdk, set_faults

from stripe_emulator import EmulatorServer, RunningEmulator


@pytest.fixture(autouse=True)
def quick_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's backoff starts at half a second; these tests need it shorter."""
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.05)


def create(client: stripe.StripeClient) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})


def timed(call: Any) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_fixed_latency_slows_only_the_matching_endpoint(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(fresh, {"latency": {"path": "/v1/payment_intents", "ms": 500}})

    slow = timed(lambda: create(fresh_client))
    fast = timed(lambda: fresh_client.v1.events.list())

    assert slow >= 0.5
    assert fast < 0.45


def test_random_latency_stays_within_its_bounds(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(fresh, {"latency": {"path": "/v1/events*", "min_ms": 100, "max_ms": 200}})

    took = [timed(lambda: fresh_client.v1.events.list()) for _ in range(3)]

    assert all(0.1 <= seconds < 0.7 for seconds in took)  # 0.2 s at most, and some slack


@pytest.mark.parametrize("status", [500, 429])
def test_sdk_retries_through_injected_errors(fresh: RunningEmulator, status: int) -> None:
    set_faults(fresh, {"errors": {"status": status, "count": 2, "method": "POST"}})

    intent = create(sdk(fresh, retries=2))

    assert intent.status == "requires_payment_method"
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}
    assert control(fresh, "GET", "faults").json()["errors"][0]["count"] == 0


@pytest.mark.parametrize(
    ("status", "error"), [(500, stripe.APIError), (429, stripe.RateLimitError)]
)
def test_without_retries_the_sdk_sees_the_error(
    fresh: RunningEmulator, status: int, error: type[stripe.StripeError]
) -> None:
    set_faults(fresh, {"errors": {"status": status, "count": 1}})
    client = sdk(fresh)

    with pytest.raises(error) as raised:
        create(client)
    after = create(client)

    assert raised.value.http_status == status
    assert after.status == "requires_payment_method"
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}


def test_dropped_connection_is_a_connection_error_without_retries(fresh: RunningEmulator) -> None:
    set_faults(fresh, {"errors": {"status": "drop", "count": 1}})

    with pytest.raises(stripe.APIConnectionError):
        create(sdk(fresh))

    assert object_counts(fresh) == {}


def test_connection_dropped_before_any_answer_is_retried_by_the_sdk(
    in_process: EmulatorServer,
) -> None:
    # The in-process server cuts the connection before the status line, so the SDK may retry;
    # granian (python -m stripe_emulator) cuts it after, which the SDK does not retry.
    set_faults(in_process, {"errors": {"status": "drop", "count": 1}})

    intent = create(sdk(in_process, retries=1))

    assert intent.id.startswith("pi_")


def test_error_rules_match_method_and_path(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(fresh, {"errors": {"status": 500, "path": "/v1/refunds*", "method": "POST"}})

    intent = fresh_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    listed = fresh_client.v1.refunds.list()
    with pytest.raises(stripe.APIError):
        fresh_client.v1.refunds.create(params={"payment_intent": intent.id})

    assert listed.data == []


def test_a_fraction_of_requests_fail(fresh: RunningEmulator) -> None:
    set_faults(fresh, {"errors": {"status": 500, "fraction": 0.5, "path": "/v1/events"}})
    session = requests.Session()
    headers = {"Authorization": f"Bearer {fresh.secret_key}"}

    statuses = [
        session.get(f"{fresh.url}/v1/events", headers=headers, timeout=5).status_code
        for _ in range(60)
    ]

    assert set(statuses) == {200, 500}


def test_clearing_faults_restores_normal_service(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(
        fresh,
        {
            "errors": {"status": 500},
            "latency": {"ms": 1000},
            "webhooks": {"paused": True},
            "payments": {"settle_seconds": 5},
        },
    )

    cleared = control(fresh, "DELETE", "faults").json()

    assert cleared["errors"] == [] and cleared["latency"] == []
    assert cleared["webhooks"]["paused"] is False
    assert cleared["payments"]["settle_seconds"] == 0
    assert timed(lambda: create(fresh_client)) < 0.8


def test_reset_forgets_every_object_and_fault(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    create(fresh_client)
    set_faults(fresh, {"latency": {"ms": 200}})

    response = control(fresh, "POST", "reset")

    assert response.status_code == 200
    assert object_counts(fresh) == {}
    assert control(fresh, "GET", "faults").json()["latency"] == []
    assert fresh_client.v1.payment_intents.list().data == []


@pytest.mark.parametrize(
    "spec",
    [
        [],
        {"earthquake": {}},
        {"errors": {"status": 418}},
        {"errors": {"status": 500, "count": 0}},
        {"errors": {"status": 500, "fraction": 2}},
        {"errors": {"status": 500, "bogus": 1}},
        {"latency": {"min_ms": 300, "max_ms": 100}},
        {"latency": {"ms": -1}},
        {"webhooks": {"duplicate": "two"}},
        {"webhooks": {"drop": 1.5}},
        {"webhooks": {"paused": "yes"}},
        {"webhooks": {"timeout_seconds": 0}},
        {"webhooks": {"explode": True}},
        {"payments": {"settle_seconds": -1}},
        {"payments": {"other": 1}},
    ],
    ids=str,
)
def test_bad_fault_specs_are_refused_and_change_nothing(fresh: RunningEmulator, spec: Any) -> None:
    before = control(fresh, "GET", "faults").json()

    response = control(fresh, "POST", "faults", spec)

    assert response.status_code == 400
    assert "message" in response.json()["error"]
    assert control(fresh, "GET", "faults").json() == before


def test_summary_shows_keys_counts_and_faults(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    create(fresh_client)

    summary = control(fresh, "GET", "").json()

    assert summary["secret_key"] == fresh.secret_key
    assert summary["publishable_key"] == fresh.publishable_key
    assert summary["objects"] == {"payment_intent": 1, "event": 1}
    assert set(summary["faults"]) == {"latency", "errors", "webhooks", "payments", "rate_limit"}


def test_rate_limit_answers_429_beyond_the_requests_a_second_allows(
    fresh: RunningEmulator,
) -> None:
    set_faults(fresh, {"rate_limit": {"per_second": 3}})
    api = Api(fresh)

    answers = [api.get("/v1/payment_intents") for _ in range(4)]
    control_call = control(fresh, "GET", "")  # the control API is never limited
    time.sleep(1.05)
    later = api.get("/v1/payment_intents")

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    error = answers[-1].json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert error["message"] == (
        "Too many requests hit the API too quickly. We recommend an exponential backoff of "
        "your requests."
    )
    assert answers[-1].headers["Stripe-Should-Retry"] == "true"
    assert control_call.status_code == 200
    assert later.status_code == 200


def test_the_sdk_backs_off_through_the_rate_limit(fresh: RunningEmulator) -> None:
    set_faults(fresh, {"rate_limit": {"per_second": 2}})
    client = sdk(fresh, retries=60)

    took = timed(lambda: [create(client) for _ in range(5)])

    assert object_counts(fresh)["payment_intent"] == 5
    assert took >= 1.0


def test_rate_limit_defaults_to_the_sandbox_limit_and_clears(fresh: RunningEmulator) -> None:
    assert set_faults(fresh, {"rate_limit": {}})["rate_limit"] == {"per_second": 25}

    control(fresh, "DELETE", "faults")

    assert control(fresh, "GET", "faults").json()["rate_limit"] == {"per_second": 0}


@pytest.mark.parametrize(
    "spec",
    [
        {"rate_limit": {"per_second": -1}},
        {"rate_limit": {"per_second": "25"}},
        {"rate_limit": {"per_second": True}},
        {"rate_limit": {"burst": 5}},
        {"rate_limit": 25},
        {"errors": {"status": 500, "should_retry": "no"}},
    ],
)
def test_bad_rate_limits_are_refused(fresh: RunningEmulator, spec: dict[str, Any]) -> None:
    response = control(fresh, "POST", "faults", spec)

    assert response.status_code == 400
    assert control(fresh, "GET", "faults").json()["rate_limit"] == {"per_second": 0}
