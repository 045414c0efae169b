"""PaymentMethods: card input checked as Stripe checks it, retrieval, the pm_card_* shorthands."""

from __future__ import annotations

import datetime

import pytest
import stripe
from emulator_support import FUTURE_YEAR, Api, card_data

from stripe_emulator import RunningEmulator

TODAY = datetime.date.today()
# Card input Stripe refuses before any charge: card fields, error code, param, message.
BAD_CARD_INPUT = [
    pytest.param(
        {"number": "4242424242424241"},
        "incorrect_number",
        "number",
        "Your card number is incorrect.",
        id="fails-luhn",
    ),
    pytest.param(
        {"number": "4242abcd42424242"},
        "invalid_number",
        "number",
        "Your card number is invalid.",
        id="not-digits",
    ),
    pytest.param(
        {"number": "42424242"},
        "invalid_number",
        "number",
        "Your card number is invalid.",
        id="too-short",
    ),
    pytest.param(
        {"exp_year": TODAY.year - 1},
        "invalid_expiry_year",
        "exp_year",
        "Your card's expiration year is invalid.",
        id="past-year",
    ),
    pytest.param(
        {"exp_year": (TODAY.year - 1) % 100},
        "invalid_expiry_year",
        "exp_year",
        "Your card's expiration year is invalid.",
        id="past-two-digit-year",
    ),
    pytest.param(
        {"exp_month": 13},
        "invalid_expiry_month",
        "exp_month",
        "Your card's expiration month is invalid.",
        id="month-13",
    ),
    pytest.param(
        {"cvc": "12"},
        "invalid_cvc",
        "cvc",
        "Your card's security code is invalid.",
        id="short-cvc",
    ),
    pytest.param(
        {"number": "378282246310005", "cvc": "123"},
        "invalid_cvc",
        "cvc",
        "Your card's security code is invalid.",
        id="amex-needs-four-digits",
    ),
]
if TODAY.month > 1:
    BAD_CARD_INPUT.append(
        pytest.param(
            {"exp_month": TODAY.month - 1, "exp_year": TODAY.year},
            "invalid_expiry_month",
            "exp_month",
            "Your card's expiration month is invalid.",
            id="last-month",
        )
    )


def test_create_card_payment_method_and_retrieve_it(client: stripe.StripeClient) -> None:
    data = card_data("5555555555554444")
    data["billing_details"] = {"email": "a@b.test", "address": {"postal_code": "12345"}}

    created = client.v1.payment_methods.create(params=data)
    found = client.v1.payment_methods.retrieve(created.id)

    assert created.id.startswith("pm_") and created.type == "card"
    assert (found.card.brand, found.card.last4) == ("mastercard", "4444")
    assert (found.card.exp_month, found.card.exp_year) == (12, FUTURE_YEAR)
    assert found.billing_details.email == "a@b.test"
    assert found.billing_details.address.postal_code == "12345"
    assert found.card.checks.cvc_check == "pass"


def test_two_digit_expiry_year_is_read_as_this_century(client: stripe.StripeClient) -> None:
    created = client.v1.payment_methods.create(
        params=card_data("4242424242424242", exp_year=FUTURE_YEAR % 100)
    )

    assert created.card.exp_year == FUTURE_YEAR


@pytest.mark.parametrize(("card", "code", "param", "message"), BAD_CARD_INPUT)
def test_bad_card_input_is_a_card_error(
    client: stripe.StripeClient, card: dict[str, object], code: str, param: str, message: str
) -> None:
    data = card_data(str(card.get("number", "4242424242424242")), **card)

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_methods.create(params=data)

    assert raised.value.http_status == 402
    assert (raised.value.code, raised.value.param, raised.value.user_message) == (
        code,
        param,
        message,
    )


@pytest.mark.parametrize(("card", "code", "param", "message"), BAD_CARD_INPUT)
def test_bad_card_input_on_confirm_leaves_the_intent_waiting_without_a_charge(
    client: stripe.StripeClient, card: dict[str, object], code: str, param: str, message: str
) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    data = card_data(str(card.get("number", "4242424242424242")), **card)

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method_data": data})

    assert raised.value.code == code
    assert raised.value.error.payment_intent.id == intent.id
    found = client.v1.payment_intents.retrieve(intent.id)
    assert found.status == "requires_payment_method"
    assert found.last_payment_error.code == code
    assert found.latest_charge is None


@pytest.mark.parametrize(
    ("shorthand", "brand", "last4"),
    [
        ("pm_card_visa", "visa", "4242"),
        ("pm_card_mastercard", "mastercard", "4444"),
        ("pm_card_amex", "amex", "0005"),
        ("pm_card_chargeDeclined", "visa", "0002"),
        ("pm_card_threeDSecure2Required", "visa", "3220"),
    ],
)
def test_test_shorthands_name_cards(
    client: stripe.StripeClient, shorthand: str, brand: str, last4: str
) -> None:
    found = client.v1.payment_methods.retrieve(shorthand)

    assert found.id.startswith("pm_") and found.id != shorthand
    assert (found.card.brand, found.card.last4) == (brand, last4)


def test_publishable_key_creates_a_payment_method(emulator: RunningEmulator) -> None:
    api = Api(emulator, key=None)

    response = api.post(
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": "4242 4242 4242 4242",
            "card[exp_month]": "12",
            "card[exp_year]": str(FUTURE_YEAR),
            "card[cvc]": "123",
            "key": emulator.publishable_key,
        },
    )

    assert response.status_code == 200
    assert response.json()["card"]["last4"] == "4242"


@pytest.mark.parametrize(
    "params",
    [
        {"type": "card"},
        {"type": "sepa_debit", "card": {"number": "4242424242424242"}},
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12}},
    ],
    ids=["no-card", "other-type", "no-expiry-year"],
)
def test_incomplete_payment_method_is_refused(
    client: stripe.StripeClient, params: dict[str, object]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_methods.create(params=params)

    assert raised.value.http_status == 400


def test_unknown_payment_method_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_methods.retrieve("pm_nope")

    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
