"""Delivery at checkout: addresses checked, shipping priced by the shop, the order and its
PaymentIntent following the customer's choice, and refusals that change nothing."""

import pytest
from sqlalchemy import select

from bookshop import orders
from bookshop.models import ShippingOption
from bookshop.orders import OrderError
from shop_support import HAMMING, PUBLIC, checkout_cart, pay_with_fake, the_order

SERVED = frozenset({"SG", "US", "GB", "HK", "AU", "JP"})
SINGAPORE = {
    "name": "Ada Reader",
    "phone": "+65 6123 4567",
    "address": {"line1": "1 Fusionopolis Way", "postal_code": "138632", "country": "SG"},
}


def with_parts(**parts):
    return {**SINGAPORE, "address": {**SINGAPORE["address"], **parts}}


def test_a_singapore_address_needs_no_city_and_is_trimmed():
    address = orders.parse_address(
        {**SINGAPORE, "name": "  Ada   Reader ", "address": {**SINGAPORE["address"], "line2": ""}},
        SERVED,
    )
    assert address == orders.Address(
        name="Ada Reader",
        phone="+65 6123 4567",
        line1="1 Fusionopolis Way",
        line2="",
        city="",
        state="",
        postal_code="138632",
        country="SG",
    )


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (None, "address", "Please enter your delivery address."),
        ({"name": "Ada"}, "address", "Please enter your delivery address."),
        (with_parts(country="KP"), "country", "Sorry, we do not deliver to that country."),
        (with_parts(country=""), "country", "Sorry, we do not deliver to that country."),
        ({**SINGAPORE, "name": ""}, "name", "Please enter the recipient's name."),
        ({**SINGAPORE, "name": "x" * 101}, "name", "at most 100 characters"),
        ({**SINGAPORE, "name": "Ada\x00Reader"}, "name", "Please check the recipient's name."),
        ({**SINGAPORE, "name": "Ada\u202eReader"}, "name", "Please check the recipient's name."),
        ({**SINGAPORE, "name": 42}, "name", "Please check the recipient's name."),
        ({**SINGAPORE, "phone": ""}, "phone", "Please enter the phone number."),
        ({**SINGAPORE, "phone": "call me"}, "phone", "Please enter a phone number we can call."),
        ({**SINGAPORE, "phone": "+1 (2)"}, "phone", "Please enter a phone number we can call."),
        (with_parts(line1=" "), "line1", "Please enter the street address."),
        (with_parts(line1="x" * 101), "line1", "at most 100 characters"),
        (with_parts(postal_code=""), "postal_code", "Please enter the postal code."),
        (with_parts(postal_code="12345"), "postal_code", "Please check the postal code."),
        (
            with_parts(country="US", city="Portland", postal_code="97201"),
            "state",
            "Please enter the state or province.",
        ),
        (
            with_parts(country="US", city="Portland", state="OR", postal_code="9720"),
            "postal_code",
            "Please check the postal code.",
        ),
        (with_parts(country="GB", postal_code="SW1A 1AA"), "city", "Please enter the city."),
    ],
)
def test_a_bad_address_is_refused_naming_the_field(raw, field, message):
    with pytest.raises(OrderError) as refused:
        orders.parse_address(raw, SERVED)
    assert refused.value.field == field
    assert message in refused.value.message


@pytest.mark.parametrize(
    "parts",
    [
        {"country": "US", "city": "Portland", "state": "OR", "postal_code": "97201-1234"},
        {"country": "GB", "city": "London", "postal_code": "sw1a 1aa"},
        {"country": "HK", "city": "", "postal_code": ""},
        {"country": "JP", "city": "Tokyo", "postal_code": "100-0001"},
    ],
)
def test_addresses_are_checked_by_the_rules_of_their_country(parts):
    assert orders.parse_address(with_parts(**parts), SERVED).country == parts["country"]


@pytest.mark.parametrize(
    ("country", "items", "expected"),
    [
        ("SG", 5999, {"sg-standard": 400, "sg-express": 1000}),
        ("SG", 6000, {"sg-standard": 0, "sg-express": 1000}),
        ("JP", 2300, {"asia-pacific": 1500}),
        ("US", 9900, {"world": 2500}),
        ("KP", 2300, {}),
    ],
)
def test_shipping_is_priced_by_the_shop_free_from_its_threshold(session, country, items, expected):
    quotes = orders.quotes_for(session, country, items, "sgd")
    assert {quote.code: quote.amount for quote in quotes} == expected


def test_an_estimate_reads_as_business_days(session):
    estimates = {q.code: q.estimate for q in orders.quotes_for(session, "SG", 100, "sgd")}
    assert estimates == {"sg-standard": "2–4 business days", "sg-express": "1 business day"}


def test_inactive_options_are_not_offered(session):
    express = session.scalars(select(ShippingOption).where(ShippingOption.code == "sg-express"))
    express.one().active = False
    session.commit()
    assert [q.code for q in orders.quotes_for(session, "SG", 100, "sgd")] == ["sg-standard"]


def delivery_url(session) -> str:
    return f"/orders/{the_order(session).token}/delivery"


def choose(client, session, csrf_headers, body):
    return client.post(delivery_url(session), json=body, headers=csrf_headers)


def test_choosing_express_updates_the_order_and_its_payment_intent(
    client, session, fake_stripe, csrf_headers
):
    placed = checkout_cart(client, (HAMMING, 1))

    answer = choose(client, session, csrf_headers, {"option": "sg-express", "country": "SG"})

    assert answer.status_code == 200
    assert answer.json["totalText"] == "S$33.00"
    assert answer.json["shipping"] == {
        "code": "sg-express",
        "name": "Singapore express",
        "amountText": "S$10.00",
        "estimate": "1 business day",
    }
    order = the_order(session)
    assert (order.shipping_option, order.shipping_amount, order.total_amount) == (
        "sg-express",
        1000,
        3300,
    )
    assert fake_stripe.intents[placed.payment_intent].amount == 3300


def test_the_full_address_is_stored_and_sent_as_the_payment_intents_shipping(
    client, session, fake_stripe, csrf_headers
):
    placed = checkout_cart(client, (HAMMING, 2), (PUBLIC, 1))

    answer = choose(client, session, csrf_headers, {"option": "sg-standard", "address": SINGAPORE})

    assert answer.status_code == 200
    assert answer.json["shipping"]["amountText"] == "Free"  # S$74.00 of books
    order = the_order(session)
    assert (order.ship_to_name, order.ship_to_postal_code, order.ship_to_country) == (
        "Ada Reader",
        "138632",
        "SG",
    )
    assert fake_stripe.shipping[placed.payment_intent] == {
        "name": "Ada Reader",
        "phone": "+65 6123 4567",
        "address": {"line1": "1 Fusionopolis Way", "postal_code": "138632", "country": "SG"},
    }


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"option": "world", "country": "SG"}, 400, "Please choose a delivery option offered"),
        ({"option": "sg-express", "country": "KP"}, 400, "we do not deliver to that country"),
        ({"option": "nope", "country": "SG"}, 400, "Please choose a delivery option offered"),
        ({"option": ["sg-express"], "country": "SG"}, 400, "Please choose a delivery option"),
        ({"option": "sg-express"}, 400, "we do not deliver to that country"),
        ({"option": "sg-express", "address": "1 Main St"}, 400, "Please enter your delivery"),
        ({"option": "sg-express", "address": with_parts(postal_code="1")}, 400, "postal code"),
        ([], 400, "Please reload the page"),
    ],
)
def test_a_refused_choice_gets_a_clear_message_and_changes_nothing(
    client, session, fake_stripe, csrf_headers, body, status, message
):
    placed = checkout_cart(client, (HAMMING, 1))

    answer = choose(client, session, csrf_headers, body)

    assert answer.status_code == status
    assert message in answer.json["error"]["message"]
    order = the_order(session)
    assert (order.shipping_option, order.total_amount, order.ship_to_name) == (None, 2300, None)
    assert fake_stripe.intents[placed.payment_intent].amount == 2300
    assert fake_stripe.updated == []


def test_an_amount_from_the_browser_is_ignored(client, session, fake_stripe, csrf_headers):
    checkout_cart(client, (HAMMING, 1))

    choose(
        client,
        session,
        csrf_headers,
        {"option": "sg-express", "country": "SG", "amount": 1, "shipping_amount": 0},
    )

    assert the_order(session).total_amount == 3300


def test_a_paid_order_can_no_longer_change_its_delivery(client, session, fake_stripe, csrf_headers):
    checkout_cart(client, (HAMMING, 1))
    pay_with_fake(client, session, fake_stripe)

    answer = choose(client, session, csrf_headers, {"option": "sg-express", "country": "SG"})

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == "This order can no longer be changed."
    assert the_order(session).total_amount == 2300


def test_the_checkout_page_offers_the_options_for_the_shops_countries(client):
    client.post("/cart/add", data={"book": HAMMING, "quantity": 1})
    html = client.get("/checkout/" + HAMMING).get_data(as_text=True)
    assert html.count('data-testid="shipping-option"') == 4
    assert 'data-default-country="SG"' in html
    assert "We charge your card when your books ship." not in html  # automatic in these tests
