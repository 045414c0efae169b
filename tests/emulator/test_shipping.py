"""Shipping on PaymentIntents (create, update, confirm) and their charges; amount updates."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from emulator_support import FUTURE_YEAR, Api

from stripe_emulator import RunningEmulator

SHIPPING = {
    "name": "Ada Lovelace",
    "phone": "+65 6123 4567",
    "carrier": "SingPost",
    "tracking_number": "RR123456789SG",
    "address": {
        "line1": "1 Fusionopolis Way",
        "line2": "#10-01",
        "city": "Singapore",
        "state": "",
        "postal_code": "138632",
        "country": "SG",
    },
}
SHIPPING_FORM = {
    "shipping[name]": "Grace Hopper",
    "shipping[address][line1]": "2 Orchard Road",
    "shipping[address][postal_code]": "238801",
    "shipping[address][country]": "SG",
}


def new_intent(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd", **params})


def test_shipping_given_at_create_is_kept_whole_and_reaches_the_charge(
    client: stripe.StripeClient,
) -> None:
    intent = new_intent(client, shipping=SHIPPING, confirm=True, payment_method="pm_card_visa")

    assert intent.shipping.to_dict() == SHIPPING
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.shipping.to_dict() == SHIPPING


def test_missing_shipping_fields_are_null(client: stripe.StripeClient) -> None:
    intent = new_intent(
        client, shipping={"name": "Grace Hopper", "address": {"line1": "2 Orchard Road"}}
    )

    assert intent.shipping.to_dict() == {
        "name": "Grace Hopper",
        "phone": None,
        "carrier": None,
        "tracking_number": None,
        "address": {
            "line1": "2 Orchard Road",
            "line2": None,
            "city": None,
            "state": None,
            "postal_code": None,
            "country": None,
        },
    }


def test_update_sets_and_an_empty_value_clears_shipping(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    assert intent.shipping is None

    updated = client.v1.payment_intents.update(intent.id, params={"shipping": SHIPPING})
    assert updated.shipping.name == "Ada Lovelace"

    cleared = client.v1.payment_intents.update(intent.id, params={"shipping": ""})
    assert cleared.shipping is None


def test_confirm_with_the_publishable_key_takes_shipping_as_stripe_js_sends_it(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = new_intent(client)

    response = Api(emulator).post(
        f"/v1/payment_intents/{intent.id}/confirm",
        {
            **SHIPPING_FORM,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": str(FUTURE_YEAR),
            "payment_method_data[card][cvc]": "123",
            "client_secret": intent.client_secret,
            "key": emulator.publishable_key,
        },
        key=None,
    )

    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "succeeded"
    assert confirmed["shipping"]["name"] == "Grace Hopper"
    assert confirmed["shipping"]["address"]["postal_code"] == "238801"
    charge = client.v1.charges.retrieve(confirmed["latest_charge"])
    assert charge.shipping.address.line1 == "2 Orchard Road"


def test_confirm_through_the_sdk_replaces_shipping(client: stripe.StripeClient) -> None:
    intent = new_intent(client, shipping=SHIPPING, payment_method="pm_card_visa")

    confirmed = client.v1.payment_intents.confirm(
        intent.id, params={"shipping": {"name": "B", "address": {"line1": "3 Road"}}}
    )

    assert (confirmed.shipping.name, confirmed.shipping.address.line1) == ("B", "3 Road")
    assert confirmed.shipping.carrier is None


@pytest.mark.parametrize(
    ("shipping", "param"),
    [
        ({"address": {"line1": "2 Orchard Road"}}, "shipping[name]"),
        ({"name": "Grace Hopper"}, "shipping[address]"),
        ({"name": "Grace Hopper", "address": {"city": "Singapore"}}, "shipping[address][line1]"),
    ],
)
@pytest.mark.parametrize("call", ["create", "update", "confirm"])
def test_shipping_without_its_required_fields_is_refused(
    client: stripe.StripeClient, shipping: dict[str, Any], param: str, call: str
) -> None:
    intent = new_intent(client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        if call == "create":
            new_intent(client, shipping=shipping)
        elif call == "update":
            client.v1.payment_intents.update(intent.id, params={"shipping": shipping})
        else:
            client.v1.payment_intents.confirm(
                intent.id, params={"shipping": shipping, "payment_method": "pm_card_visa"}
            )

    assert raised.value.http_status == 400
    assert raised.value.code == "parameter_missing"
    assert raised.value.param == param
    assert raised.value.user_message == f"Missing required param: {param}."
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"payment_method": "pm_card_visa"},
        {"payment_method": "pm_card_threeDSecure2Required", "confirm": True},
    ],
    ids=["requires_payment_method", "requires_confirmation", "requires_action"],
)
def test_amount_changes_before_the_payment_is_taken(
    client: stripe.StripeClient, params: dict[str, Any]
) -> None:
    intent = new_intent(client, **params)

    updated = client.v1.payment_intents.update(intent.id, params={"amount": 3100})

    assert updated.amount == 3100


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"capture_method": "manual", "confirm": True}, "requires_capture"),
        ({"confirm": True}, "succeeded"),
    ],
)
def test_amount_cannot_change_once_the_payment_is_taken(
    client: stripe.StripeClient, params: dict[str, Any], status: str
) -> None:
    intent = new_intent(client, payment_method="pm_card_visa", **params)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.update(intent.id, params={"amount": 3100})

    assert (raised.value.code, raised.value.param) == ("payment_intent_unexpected_state", "amount")
    assert raised.value.user_message == (
        f"This PaymentIntent's amount could not be updated because it has a status of {status}. "
        "You may only update the amount of a PaymentIntent with one of the following statuses: "
        "requires_payment_method, requires_confirmation, requires_action."
    )
    assert client.v1.payment_intents.retrieve(intent.id).amount == 2300


def test_amount_cannot_change_on_a_canceled_intent(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.cancel(new_intent(client).id)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.update(intent.id, params={"amount": 3100})

    assert raised.value.param == "amount"
    assert "has a status of canceled" in raised.value.user_message
