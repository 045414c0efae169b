"""Idempotency-Key: replays with the same parameters, refusals with others, kept 24 hours."""

from __future__ import annotations

import uuid

import pytest
import stripe
from emulator_support import Api, object_counts

from stripe_emulator import EmulatorServer, RunningEmulator

PARAMS = {"amount": "1500", "currency": "usd", "metadata[order]": "1"}


def key() -> str:
    return f"test-{uuid.uuid4()}"


def test_same_key_and_parameters_replay_the_first_answer(fresh: RunningEmulator) -> None:
    api, same = Api(fresh), key()

    first = api.post("/v1/payment_intents", PARAMS, headers={"Idempotency-Key": same})
    again = api.post(
        "/v1/payment_intents",
        dict(reversed(list(PARAMS.items()))),  # the order on the wire does not matter
        headers={"Idempotency-Key": same},
    )

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Idempotency-Key"] == same
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}


def test_sdk_idempotency_key_replays(client: stripe.StripeClient) -> None:
    same = key()

    first = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd"}, options={"idempotency_key": same}
    )
    again = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd"}, options={"idempotency_key": same}
    )

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/payment_intents", {**PARAMS, "amount": "1600"}),
        ("/v1/payment_intents", {**PARAMS, "metadata[order]": "2"}),
        ("/v1/payment_intents", {"amount": "1500", "currency": "usd"}),
        ("/v1/payment_methods", {"type": "card"}),
    ],
    ids=["other-amount", "other-metadata", "fewer-params", "other-endpoint"],
)
def test_same_key_with_other_parameters_is_an_idempotency_error(
    fresh: RunningEmulator, path: str, params: dict[str, str]
) -> None:
    api, same = Api(fresh), key()
    api.post("/v1/payment_intents", PARAMS, headers={"Idempotency-Key": same})

    response = api.post(path, params, headers={"Idempotency-Key": same})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "idempotency_error"
    assert same in error["message"]
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}


def test_sdk_raises_idempotency_error(client: stripe.StripeClient) -> None:
    same = key()
    client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd"}, options={"idempotency_key": same}
    )

    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={"amount": 9999, "currency": "usd"}, options={"idempotency_key": same}
        )


def test_a_decline_is_replayed_as_the_same_402(fresh: RunningEmulator) -> None:
    api, same = Api(fresh), key()
    intent = api.post("/v1/payment_intents", {"amount": "1500", "currency": "usd"}).json()
    confirm = {"payment_method": "pm_card_chargeDeclined"}

    first = api.post(
        f"/v1/payment_intents/{intent['id']}/confirm", confirm, headers={"Idempotency-Key": same}
    )
    again = api.post(
        f"/v1/payment_intents/{intent['id']}/confirm", confirm, headers={"Idempotency-Key": same}
    )

    assert first.status_code == again.status_code == 402
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert object_counts(fresh)["charge"] == 1


def test_a_refused_request_keeps_no_key(fresh: RunningEmulator) -> None:
    api, same = Api(fresh), key()

    refused = api.post(
        "/v1/payment_intents", {"amount": "1", "currency": "usd"}, headers={"Idempotency-Key": same}
    )
    accepted = api.post("/v1/payment_intents", PARAMS, headers={"Idempotency-Key": same})

    assert refused.status_code == 400 and accepted.status_code == 200


def test_keys_are_kept_for_24_hours_only(in_process: EmulatorServer) -> None:
    api, same = Api(in_process), key()
    first = api.post("/v1/payment_intents", PARAMS, headers={"Idempotency-Key": same})
    with in_process.runtime.store.transaction() as conn:  # a day and a second pass
        conn.execute("UPDATE idempotency_keys SET created = created - 86401")

    later = api.post(
        "/v1/payment_intents", {**PARAMS, "amount": "1700"}, headers={"Idempotency-Key": same}
    )

    assert later.status_code == 200
    assert later.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in later.headers


def test_keys_longer_than_255_characters_are_refused(fresh: RunningEmulator) -> None:
    response = Api(fresh).post(
        "/v1/payment_intents", PARAMS, headers={"Idempotency-Key": "k" * 256}
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"
    assert object_counts(fresh) == {}
