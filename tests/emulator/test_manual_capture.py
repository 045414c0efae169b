"""`capture_method=manual`: a hold, captured in full or in part, released, or left to expire."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from emulator_support import advance_clock, event_types

from stripe_emulator import RunningEmulator

WEEK = 7 * 86_400


def held(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2300,
            "currency": "sgd",
            "capture_method": "manual",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **params,
        }
    )


def capture_refused(client: stripe.StripeClient, intent_id: str, status: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(intent_id)

    assert raised.value.http_status == 400
    assert raised.value.error.type == "invalid_request_error"
    assert raised.value.code == "payment_intent_unexpected_state"
    assert raised.value.user_message == (
        f"This PaymentIntent could not be captured because it has a status of {status}. "
        "Only a PaymentIntent with one of the following statuses may be captured: "
        "requires_capture."
    )
    assert raised.value.error.payment_intent.status == status


def test_an_authorization_is_held_for_seven_days(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = held(client)

    assert (intent.status, intent.amount_capturable, intent.amount_received) == (
        "requires_capture",
        2300,
        0,
    )
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.paid) == (False, 0, True)
    assert charge.balance_transaction is None
    card = charge.payment_method_details.card
    assert card.capture_before == charge.created + WEEK
    assert card.amount_authorized == 2300
    assert event_types(emulator, intent.id) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
    ]


def test_capturing_less_releases_the_rest_and_refunds_stop_at_what_was_captured(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = held(client)

    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})

    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded",
        1500,
        0,
    )
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded) == (True, 1500, 800)
    assert charge.refunded is False and charge.balance_transaction.startswith("txn_")
    assert event_types(emulator, charge.id) == ["charge.succeeded", "charge.captured"]
    assert event_types(emulator, intent.id)[-1] == "payment_intent.succeeded"

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1501})
    assert raised.value.code == "amount_too_large"
    assert raised.value.user_message == (
        "Refund amount (S$15.01) is greater than unrefunded amount on charge (S$15.00)"
    )

    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.amount == 1500
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2300, True)


def test_a_second_capture_is_refused(client: stripe.StripeClient) -> None:
    intent = held(client)
    client.v1.payment_intents.capture(intent.id)

    capture_refused(client, intent.id, "succeeded")

    assert client.v1.payment_intents.retrieve(intent.id).amount_received == 2300


def test_canceling_releases_the_hold_and_capture_is_refused_after(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = held(client)

    canceled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"}
    )

    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.amount_capturable == 0
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, 2300)
    capture_refused(client, intent.id, "canceled")


def test_an_uncaptured_hold_expires_after_seven_days(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = held(fresh_client)

    advance_clock(fresh, WEEK - 60)
    assert fresh_client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
    advance_clock(fresh, 60)

    expired = fresh_client.v1.payment_intents.retrieve(intent.id)
    assert (expired.status, expired.cancellation_reason) == ("canceled", "automatic")
    assert expired.amount_capturable == 0 and expired.canceled_at >= intent.created + WEEK
    charge = fresh_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, 2300)
    assert event_types(fresh, charge.id) == ["charge.succeeded", "charge.expired"]
    assert event_types(fresh, intent.id)[-1] == "payment_intent.canceled"
    capture_refused(fresh_client, intent.id, "canceled")


def test_a_hold_captured_in_time_does_not_expire(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = held(fresh_client)
    fresh_client.v1.payment_intents.capture(intent.id)

    advance_clock(fresh, WEEK + 60)

    assert fresh_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert "charge.expired" not in event_types(fresh, intent.latest_charge)


def test_a_three_d_secure_payment_is_held_once_authenticated(
    client: stripe.StripeClient,
) -> None:

    intent = held(client, payment_method="pm_card_threeDSecure2Required")
    assert intent.status == "requires_action"
    url = intent.next_action.redirect_to_url.url

    requests.post(url, data={"outcome": "complete"}, allow_redirects=False, timeout=10)

    found = client.v1.payment_intents.retrieve(intent.id)
    assert (found.status, found.amount_capturable) == ("requires_capture", 2300)
