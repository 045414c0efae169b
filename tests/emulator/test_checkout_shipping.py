"""Hosted Checkout for a shop that ships: address, shipping options, payment_intent_data, expiry."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests
import stripe
from emulator_support import (
    FUTURE_YEAR,
    advance_clock,
    event_types,
    set_faults,
    wait_until,
)

from stripe_emulator import RunningEmulator

SUCCESS_URL = "https://shop.test/thanks?session={CHECKOUT_SESSION_ID}"
STANDARD = {
    "shipping_rate_data": {
        "type": "fixed_amount",
        "fixed_amount": {"amount": 500, "currency": "sgd"},
        "display_name": "Standard",
        "delivery_estimate": {
            "minimum": {"unit": "business_day", "value": 3},
            "maximum": {"unit": "business_day", "value": 5},
        },
    }
}
EXPRESS = {
    "shipping_rate_data": {
        "type": "fixed_amount",
        "fixed_amount": {"amount": 1500, "currency": "sgd"},
        "display_name": "Express",
    }
}
ADDRESS = {
    "shipping_name": "Ada Reader",
    "shipping_line1": "1 Fusionopolis Way",
    "shipping_line2": "#10-01",
    "shipping_city": "Singapore",
    "shipping_postal_code": "138632",
    "shipping_country": "SG",
}


def new_session(client: stripe.StripeClient, **params: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "sgd",
                        "unit_amount": 2300,
                        "product_data": {"name": "Working in Public"},
                    },
                    "quantity": 2,
                }
            ],
            "success_url": SUCCESS_URL,
            **params,
        }
    )


def shipping_session(client: stripe.StripeClient, **params: Any) -> stripe.checkout.Session:
    return new_session(
        client,
        shipping_address_collection={"allowed_countries": ["SG", "MY"]},
        shipping_options=[STANDARD, EXPRESS],
        **params,
    )


def pay_on_page(
    session: stripe.checkout.Session, number: str = "4242424242424242", **fields: str
) -> requests.Response:
    form = {
        "email": "reader@example.test",
        "card_number": number,
        "card_expiry": f"12 / {FUTURE_YEAR % 100}",
        "card_cvc": "123",
        "cardholder_name": "Ada Reader",
        "postal_code": "138632",
        **fields,
    }
    return requests.post(session.url, data=form, allow_redirects=False, timeout=10)


def test_shipping_options_are_priced_and_the_first_is_chosen_until_the_buyer_picks(
    client: stripe.StripeClient,
) -> None:
    session = shipping_session(client)

    assert session.shipping_address_collection.allowed_countries == ["SG", "MY"]
    assert [option.shipping_amount for option in session.shipping_options] == [500, 1500]
    standard = session.shipping_options[0].shipping_rate
    assert session.shipping_cost.to_dict() == {
        "amount_subtotal": 500,
        "amount_tax": 0,
        "amount_total": 500,
        "shipping_rate": standard,
    }
    assert session.total_details.amount_shipping == 500
    assert (session.amount_subtotal, session.amount_total) == (4600, 5100)
    assert session.shipping_details is None
    rate = client.v1.shipping_rates.retrieve(standard)
    assert (rate.display_name, rate.fixed_amount.amount, rate.type) == (
        "Standard",
        500,
        "fixed_amount",
    )
    assert rate.delivery_estimate.maximum.value == 5


def test_shipping_rates_made_ahead_are_offered_by_id(client: stripe.StripeClient) -> None:
    rate = client.v1.shipping_rates.create(params=STANDARD["shipping_rate_data"])

    session = new_session(client, shipping_options=[{"shipping_rate": rate.id}])

    assert session.shipping_options[0].shipping_rate == rate.id
    assert session.amount_total == 5100
    assert rate.id in [found.id for found in client.v1.shipping_rates.list().data]


def test_the_hosted_page_asks_for_an_address_in_allowed_countries_and_a_shipping_option(
    client: stripe.StripeClient,
) -> None:
    session = shipping_session(client)

    page = requests.get(session.url, timeout=10).text

    countries = re.findall(r'<option value="([A-Z]{2})"', page)
    assert countries == ["SG", "MY"]
    for field in ("shipping_name", "shipping_line1", "shipping_city", "shipping_postal_code"):
        assert re.search(rf'name="{field}"[^>]*required', page, re.S), field
    assert page.count('data-testid="checkout-shipping-option"') == 2
    assert "Standard" in page and "3–5 business days" in page and "S$51.00" in page
    # Nothing inline, so that a strict Content-Security-Policy does not break the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page and "<style" not in page
    script = requests.get(f"{session.url.split('/c/')[0]}/_emulator/static/checkout.js", timeout=10)
    assert script.status_code == 200 and "shipping_rate" in script.text


def test_paying_with_an_address_and_express_shipping(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    session = shipping_session(client, client_reference_id="cart-7")
    express = session.shipping_options[1].shipping_rate

    response = pay_on_page(session, shipping_rate=express, **ADDRESS)

    assert response.status_code == 303
    assert response.headers["Location"] == f"https://shop.test/thanks?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert (done.status, done.payment_status, done.client_reference_id) == (
        "complete",
        "paid",
        "cart-7",
    )
    address = {
        "line1": "1 Fusionopolis Way",
        "line2": "#10-01",
        "city": "Singapore",
        "state": None,
        "postal_code": "138632",
        "country": "SG",
    }
    assert done.shipping_details.to_dict() == {
        "name": "Ada Reader",
        "address": address,
        "carrier": None,
        "phone": None,
        "tracking_number": None,
    }
    assert done.collected_information.shipping_details.to_dict() == {
        "name": "Ada Reader",
        "address": address,
    }
    assert done.shipping_cost.shipping_rate == express
    assert (done.total_details.amount_shipping, done.amount_total) == (1500, 6100)
    intent = done.payment_intent
    assert (intent.amount, intent.amount_received) == (6100, 6100)
    assert intent.shipping.name == "Ada Reader" and intent.shipping.address.city == "Singapore"
    assert intent.latest_charge.shipping.address.postal_code == "138632"
    assert event_types(emulator, session.id) == ["checkout.session.completed"]


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"shipping_name": ""}, "Enter the name to ship to."),
        ({"shipping_line1": " "}, "Enter the shipping address."),
        ({"shipping_city": ""}, "Enter the city."),
        ({"shipping_postal_code": ""}, "Enter the postal code."),
        ({"shipping_country": "US"}, "We cannot ship to that country."),
    ],
)
def test_an_incomplete_or_unshippable_address_is_refused_on_the_page(
    client: stripe.StripeClient, changed: dict[str, str], message: str
) -> None:
    session = shipping_session(client)

    response = pay_on_page(session, **{**ADDRESS, **changed})

    assert response.status_code == 400
    assert message in response.text
    found = client.v1.checkout.sessions.retrieve(session.id)
    assert (found.status, found.payment_intent) == ("open", None)


def test_after_a_decline_another_shipping_choice_changes_the_intent(
    client: stripe.StripeClient,
) -> None:
    session = shipping_session(client)
    express = session.shipping_options[1].shipping_rate
    declined = pay_on_page(session, "4000000000000002", **ADDRESS)
    assert declined.status_code == 402
    first = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert client.v1.payment_intents.retrieve(first).amount == 5100

    paid = pay_on_page(session, shipping_rate=express, **{**ADDRESS, "shipping_country": "MY"})

    assert paid.status_code == 303
    intent = client.v1.payment_intents.retrieve(first)
    assert (intent.status, intent.amount, intent.shipping.address.country) == (
        "succeeded",
        6100,
        "MY",
    )


def test_payment_intent_data_reaches_the_intent_and_manual_capture_holds(
    client: stripe.StripeClient,
) -> None:
    shipping = {"name": "Grace Hopper", "address": {"line1": "2 Orchard Road", "country": "SG"}}
    session = new_session(
        client,
        customer_email="grace@example.test",
        payment_intent_data={
            "capture_method": "manual",
            "metadata": {"order": "12"},
            "receipt_email": "receipts@example.test",
            "description": "Order 12",
            "shipping": shipping,
        },
    )

    assert pay_on_page(session, email="grace@example.test").status_code == 303

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    intent = done.payment_intent
    assert (intent.status, intent.amount_capturable) == ("requires_capture", 4600)
    assert intent.metadata.to_dict() == {"order": "12"}
    assert (intent.receipt_email, intent.description) == ("receipts@example.test", "Order 12")
    assert (intent.shipping.name, intent.shipping.address.line1) == (
        "Grace Hopper",
        "2 Orchard Road",
    )
    assert done.customer_details.email == "grace@example.test"


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (29 * 60, "must be at least 30 minutes from Checkout Session creation."),
        (24 * 3600 + 120, "must be less than 24 hours from Checkout Session creation."),
    ],
)
def test_expires_at_outside_half_an_hour_to_a_day_is_refused(
    client: stripe.StripeClient, offset: int, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        new_session(client, expires_at=int(time.time()) + offset)

    assert raised.value.user_message == f"The `expires_at` timestamp {message}"
    assert raised.value.param == "expires_at"


@pytest.mark.parametrize(
    "options",
    [
        [{**STANDARD, "shipping_rate": "shr_x"}],
        [
            {
                "shipping_rate_data": {
                    **EXPRESS["shipping_rate_data"],
                    "fixed_amount": {"amount": 1, "currency": "usd"},
                }
            }
        ],
        [STANDARD] * 6,
        [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 1, "currency": "sgd"},
                }
            }
        ],
    ],
    ids=["both", "other-currency", "six", "no-name"],
)
def test_bad_shipping_options_are_refused(
    fresh_client: stripe.StripeClient, options: list[dict[str, Any]]
) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        new_session(fresh_client, shipping_options=options)

    assert fresh_client.v1.checkout.sessions.list().data == []


def test_unknown_shipping_rate_and_country_are_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        new_session(client, shipping_options=[{"shipping_rate": "shr_missing"}])
    with pytest.raises(stripe.InvalidRequestError) as country:
        new_session(client, shipping_address_collection={"allowed_countries": ["XX"]})

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert country.value.param == "shipping_address_collection[allowed_countries][0]"


def test_an_open_session_expires_when_the_clock_passes_expires_at(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    session = new_session(fresh_client, expires_at=int(time.time()) + 3600)
    declined = pay_on_page(session, "4000000000000002")
    assert declined.status_code == 402

    advance_clock(fresh, 3600)

    expired = fresh_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert (expired.status, expired.url) == ("expired", None)
    assert expired.payment_intent.status == "canceled"
    assert event_types(fresh, session.id) == ["checkout.session.expired"]
    assert requests.get(session.url, timeout=10).status_code == 410


def test_a_payment_settling_later_fails_after_the_session_completed(
    fresh: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    set_faults(fresh, {"payments": {"settle_seconds": 60}})
    session = new_session(fresh_client)
    assert pay_on_page(session, "4000000000000002").status_code == 303
    assert fresh_client.v1.checkout.sessions.retrieve(session.id).status == "complete"

    advance_clock(fresh, 60)

    wait_until(lambda: "checkout.session.async_payment_failed" in event_types(fresh, session.id))
    found = fresh_client.v1.checkout.sessions.retrieve(session.id)
    assert (found.status, found.payment_status) == ("complete", "unpaid")
    assert event_types(fresh, session.id) == [
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
    ]
