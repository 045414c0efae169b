"""PaymentIntents through the official SDK: every state path, test cards, capture, cancel, lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe
from emulator_support import card_data, event_types

from stripe_emulator import RunningEmulator

SUCCEEDING_CARDS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
# Stripe's decline test cards: number, error code, decline code, message.
DECLINING_CARDS = [
    ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    (
        "4000000000009995",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    ("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    ("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    ("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
    (
        "4000000000000127",
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    (
        "4000000000000119",
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
]
THREE_D_SECURE_CARDS = ["4000002500003155", "4000002760003184", "4000000000003220"]


def new_intent(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd", **params})


def authenticate(server: RunningEmulator, intent: stripe.PaymentIntent, outcome: str) -> str:
    """Answer the 3-D Secure page as the customer would; returns where it redirects."""
    url = intent.next_action.redirect_to_url.url
    assert requests.get(url, timeout=10).status_code == 200
    response = requests.post(url, data={"outcome": outcome}, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    return response.headers["Location"]


def test_created_intent_waits_for_a_payment_method(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(client, metadata={"order": "42"}, description="Two books")

    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount, intent.currency, intent.amount_received) == (2300, "sgd", 0)
    assert intent.metadata.to_dict() == {"order": "42"}
    assert intent.latest_charge is None and intent.next_action is None
    assert event_types(emulator, intent.id) == ["payment_intent.created"]


def test_intent_created_with_a_payment_method_waits_for_confirmation(
    client: stripe.StripeClient,
) -> None:
    intent = new_intent(client, payment_method="pm_card_visa")

    assert intent.status == "requires_confirmation"
    assert intent.payment_method.startswith("pm_")


def test_retrieve_returns_the_same_intent(client: stripe.StripeClient) -> None:
    intent = new_intent(client)

    found = client.v1.payment_intents.retrieve(intent.id)

    assert found.id == intent.id and found.client_secret == intent.client_secret


def test_update_merges_metadata_and_an_empty_value_removes_a_key(
    client: stripe.StripeClient,
) -> None:
    intent = new_intent(client, metadata={"a": "1", "b": "2"})

    updated = client.v1.payment_intents.update(
        intent.id, params={"metadata": {"b": "", "c": "3"}, "amount": 4600, "description": "x"}
    )

    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    assert (updated.amount, updated.description) == (4600, "x")


def test_update_with_a_payment_method_waits_for_confirmation(client: stripe.StripeClient) -> None:
    intent = new_intent(client)

    updated = client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    confirmed = client.v1.payment_intents.confirm(intent.id)

    assert updated.status == "requires_confirmation"
    assert confirmed.status == "succeeded"


@pytest.mark.parametrize("number", SUCCEEDING_CARDS)
def test_good_card_succeeds_with_a_paid_charge(
    client: stripe.StripeClient, number: str, emulator: RunningEmulator
) -> None:
    intent = new_intent(client)
    cvc = "1234" if number.startswith("37") else "123"

    paid = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method_data": card_data(number, cvc=cvc)}
    )

    assert paid.status == "succeeded"
    assert paid.amount_received == 2300 and paid.last_payment_error is None
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.status, charge.paid, charge.captured) == ("succeeded", True, True)
    assert (charge.amount, charge.amount_captured, charge.payment_intent) == (2300, 2300, intent.id)
    assert charge.payment_method_details.card.last4 == number[-4:]
    assert event_types(emulator, intent.id) == [
        "payment_intent.created",
        "payment_intent.succeeded",
    ]
    assert event_types(emulator, charge.id) == ["charge.succeeded"]


def test_create_and_confirm_in_one_call(client: stripe.StripeClient) -> None:
    intent = new_intent(client, confirm=True, payment_method="pm_card_mastercard")

    assert intent.status == "succeeded"
    assert intent.amount_received == 2300


@pytest.mark.parametrize(("number", "code", "decline_code", "message"), DECLINING_CARDS)
def test_declined_card_is_a_402_and_the_intent_asks_for_another_card(
    client: stripe.StripeClient,
    number: str,
    code: str,
    decline_code: str,
    message: str,
    emulator: RunningEmulator,
) -> None:
    intent = new_intent(client)

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method_data": card_data(number)}
        )

    error = raised.value
    assert error.http_status == 402
    assert (error.code, error.error.decline_code, error.user_message) == (
        code,
        decline_code,
        message,
    )
    assert error.error.payment_intent.id == intent.id
    assert error.error.payment_intent.status == "requires_payment_method"
    found = client.v1.payment_intents.retrieve(intent.id)
    assert found.status == "requires_payment_method"
    assert found.last_payment_error.code == code
    assert found.last_payment_error.decline_code == decline_code
    assert found.last_payment_error.message == message
    assert found.last_payment_error.payment_method.card.last4 == number[-4:]
    charge = client.v1.charges.retrieve(found.latest_charge)
    assert (charge.status, charge.paid, charge.failure_code) == ("failed", False, code)
    assert event_types(emulator, charge.id) == ["charge.failed"]
    assert event_types(emulator, intent.id)[-1] == "payment_intent.payment_failed"


def test_after_a_decline_another_card_pays(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}
        )

    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert paid.status == "succeeded" and paid.last_payment_error is None
    charges = client.v1.charges.list(params={"payment_intent": intent.id})
    assert [charge.status for charge in charges.data] == ["succeeded", "failed"]


def test_confirm_without_a_payment_method_is_refused(client: stripe.StripeClient) -> None:
    intent = new_intent(client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.confirm(intent.id)

    assert raised.value.http_status == 400
    assert raised.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize("number", THREE_D_SECURE_CARDS)
def test_three_d_secure_card_needs_action_then_completing_it_pays(
    client: stripe.StripeClient, emulator: RunningEmulator, number: str
) -> None:
    intent = new_intent(client)

    pending = client.v1.payment_intents.confirm(
        intent.id,
        params={
            "payment_method_data": card_data(number),
            "return_url": "https://shop.test/done?x=1",
        },
    )

    assert pending.status == "requires_action"
    assert pending.next_action.type == "redirect_to_url"
    assert pending.next_action.redirect_to_url.url.startswith(
        f"{emulator.url}/_emulator/3ds/{intent.id}"
    )
    assert pending.next_action.redirect_to_url.return_url == "https://shop.test/done?x=1"
    back = authenticate(emulator, pending, "complete")
    assert back.startswith("https://shop.test/done?x=1&")
    query = parse_qs(urlsplit(back).query)
    assert query["payment_intent"] == [intent.id]
    assert query["payment_intent_client_secret"] == [intent.client_secret]
    assert query["redirect_status"] == ["succeeded"]
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded" and paid.next_action is None
    assert event_types(emulator, intent.id) == [
        "payment_intent.created",
        "payment_intent.requires_action",
        "payment_intent.succeeded",
    ]


def test_failing_three_d_secure_asks_for_another_payment_method(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(client)
    pending = client.v1.payment_intents.confirm(
        intent.id,
        params={
            "payment_method": "pm_card_threeDSecure2Required",
            "return_url": "https://s.test/r",
        },
    )

    back = authenticate(emulator, pending, "fail")

    assert parse_qs(urlsplit(back).query)["redirect_status"] == ["failed"]
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert failed.latest_charge is None
    assert event_types(emulator, intent.id)[-1] == "payment_intent.payment_failed"


def test_three_d_secure_card_that_declines_after_authentication(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(client)
    pending = client.v1.payment_intents.confirm(
        intent.id,
        params={
            "payment_method_data": card_data("4000008260003178"),
            "return_url": "https://s.test/r",
        },
    )

    back = authenticate(emulator, pending, "complete")

    assert parse_qs(urlsplit(back).query)["redirect_status"] == ["failed"]
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.decline_code == "insufficient_funds"


def test_answering_the_three_d_secure_page_twice_charges_once(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(
        client,
        confirm=True,
        payment_method="pm_card_threeDSecure2Required",
        return_url="https://s.test/r",
    )

    first = authenticate(emulator, intent, "complete")
    second = authenticate(emulator, intent, "fail")

    assert "redirect_status=succeeded" in first and "redirect_status=succeeded" in second
    assert len(client.v1.charges.list(params={"payment_intent": intent.id}).data) == 1


def test_a_new_payment_method_on_an_intent_needing_action_asks_for_confirmation(
    client: stripe.StripeClient,
) -> None:
    intent = new_intent(client, confirm=True, payment_method="pm_card_threeDSecure2Required")

    updated = client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})

    assert (updated.status, updated.next_action) == ("requires_confirmation", None)
    assert client.v1.payment_intents.confirm(intent.id).status == "succeeded"


def test_three_d_secure_page_needs_the_client_secret(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(client, confirm=True, payment_method="pm_card_threeDSecure2Required")

    response = requests.get(f"{emulator.url}/_emulator/3ds/{intent.id}?client_secret=x", timeout=5)

    assert intent.status == "requires_action"
    assert response.status_code == 404


def test_manual_capture_holds_then_captures_all(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(
        client, capture_method="manual", confirm=True, payment_method="pm_card_visa"
    )

    assert intent.status == "requires_capture"
    assert (intent.amount_capturable, intent.amount_received) == (2300, 0)
    held = client.v1.charges.retrieve(intent.latest_charge)
    assert (held.captured, held.amount_captured) == (False, 0)

    captured = client.v1.payment_intents.capture(intent.id)

    assert captured.status == "succeeded"
    assert (captured.amount_capturable, captured.amount_received) == (0, 2300)
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded) == (True, 2300, 0)
    assert event_types(emulator, intent.id) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
    ]
    assert event_types(emulator, charge.id) == ["charge.succeeded", "charge.captured"]


def test_partial_capture_releases_the_rest(client: stripe.StripeClient) -> None:
    intent = new_intent(
        client, capture_method="manual", confirm=True, payment_method="pm_card_visa"
    )

    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})

    assert captured.amount_received == 1500
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded, charge.refunded) == (1500, 800, False)


def test_capture_above_the_capturable_amount_is_refused(client: stripe.StripeClient) -> None:
    intent = new_intent(
        client, capture_method="manual", confirm=True, payment_method="pm_card_visa"
    )

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 2301})

    assert raised.value.code == "amount_too_large"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def _intent_in(client: stripe.StripeClient, status: str) -> stripe.PaymentIntent:
    if status == "requires_payment_method":
        return new_intent(client)
    if status == "requires_confirmation":
        return new_intent(client, payment_method="pm_card_visa")
    if status == "requires_action":
        return new_intent(client, confirm=True, payment_method="pm_card_threeDSecure2Required")
    if status == "requires_capture":
        return new_intent(
            client, capture_method="manual", confirm=True, payment_method="pm_card_visa"
        )
    if status == "succeeded":
        return new_intent(client, confirm=True, payment_method="pm_card_visa")
    intent = new_intent(client)
    return client.v1.payment_intents.cancel(intent.id)


@pytest.mark.parametrize(
    "status",
    ["requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"],
)
def test_cancel_from_each_cancelable_state(
    client: stripe.StripeClient, status: str, emulator: RunningEmulator
) -> None:
    intent = _intent_in(client, status)
    assert intent.status == status

    canceled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "requested_by_customer"}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    assert canceled.canceled_at is not None and canceled.next_action is None
    assert event_types(emulator, intent.id)[-1] == "payment_intent.canceled"


def test_canceling_a_held_payment_releases_its_charge(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = _intent_in(client, "requires_capture")

    client.v1.payment_intents.cancel(intent.id)

    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, 2300)
    assert event_types(emulator, charge.id)[-1] == "charge.refunded"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("succeeded", "cancel"),
        ("succeeded", "confirm"),
        ("succeeded", "capture"),
        ("succeeded", "update"),
        ("canceled", "cancel"),
        ("canceled", "confirm"),
        ("canceled", "update"),
        ("requires_payment_method", "capture"),
    ],
)
def test_actions_a_state_does_not_allow_are_refused(
    client: stripe.StripeClient, status: str, action: str
) -> None:
    intent = _intent_in(client, status)
    calls = {
        "cancel": lambda: client.v1.payment_intents.cancel(intent.id),
        "confirm": lambda: client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        ),
        "capture": lambda: client.v1.payment_intents.capture(intent.id),
        "update": lambda: client.v1.payment_intents.update(
            intent.id, params={"metadata": {"a": "b"}}
        ),
    }

    with pytest.raises(stripe.InvalidRequestError) as raised:
        calls[action]()

    assert raised.value.http_status == 400
    assert raised.value.code == "payment_intent_unexpected_state"
    assert raised.value.error.payment_intent.status == status
    assert client.v1.payment_intents.retrieve(intent.id).status == status


def test_expand_latest_charge_its_intent_and_payment_method(client: stripe.StripeClient) -> None:
    intent = new_intent(client, confirm=True, payment_method="pm_card_visa")

    found = client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge.payment_intent", "payment_method"]}
    )

    assert isinstance(found.latest_charge, stripe.Charge)
    assert found.latest_charge.id == intent.latest_charge
    assert found.latest_charge.payment_intent.id == intent.id
    assert found.payment_method.card.brand == "visa"


def test_confirm_answers_with_expanded_latest_charge(client: stripe.StripeClient) -> None:
    intent = new_intent(client)

    paid = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa", "expand": ["latest_charge"]}
    )

    assert paid.latest_charge.object == "charge" and paid.latest_charge.paid is True


def test_expanding_what_cannot_be_expanded_is_refused(client: stripe.StripeClient) -> None:
    intent = new_intent(client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve(intent.id, params={"expand": ["amount"]})

    assert raised.value.param == "expand"


def test_unknown_intent_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve("pi_doesnotexist")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert "pi_doesnotexist" in raised.value.user_message


def test_list_is_newest_first_and_pages_both_ways(fresh_client: stripe.StripeClient) -> None:
    made = [new_intent(fresh_client).id for _ in range(5)]
    newest_first = made[::-1]

    first = fresh_client.v1.payment_intents.list(params={"limit": 2})
    second = fresh_client.v1.payment_intents.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    last = fresh_client.v1.payment_intents.list(
        params={"limit": 2, "starting_after": second.data[-1].id}
    )
    back = fresh_client.v1.payment_intents.list(
        params={"limit": 2, "ending_before": last.data[0].id}
    )

    assert [pi.id for pi in first.data] == newest_first[:2] and first.has_more
    assert [pi.id for pi in second.data] == newest_first[2:4] and second.has_more
    assert [pi.id for pi in last.data] == newest_first[4:] and not last.has_more
    assert [pi.id for pi in back.data] == newest_first[2:4] and back.has_more
    assert first.url == "/v1/payment_intents"


def test_list_auto_pagination_sees_every_intent(fresh_client: stripe.StripeClient) -> None:
    made = {new_intent(fresh_client).id for _ in range(7)}

    pages = fresh_client.v1.payment_intents.list(params={"limit": 3})

    assert {pi.id for pi in pages.auto_paging_iter()} == made


def test_list_filters_by_creation_time(fresh_client: stripe.StripeClient) -> None:
    intent = new_intent(fresh_client)

    same = fresh_client.v1.payment_intents.list(params={"created": {"gte": intent.created}})
    later = fresh_client.v1.payment_intents.list(params={"created": {"gt": intent.created}})
    exact = fresh_client.v1.payment_intents.list(params={"created": intent.created})

    assert [pi.id for pi in same.data] == [intent.id]
    assert later.data == []
    assert [pi.id for pi in exact.data] == [intent.id]
