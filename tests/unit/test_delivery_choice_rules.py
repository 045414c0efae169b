"""The customer's choice of delivery on an unpaid order, in the domain: the shipping line and the
total follow the shop's price for the option, the address lands field by field, and a refused
choice names what is wrong and changes nothing."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from bookshop import orders
from bookshop.models import ShippingOption
from bookshop.orders import OrderError, OrderStatus
from shop_support import (
    HAMMING,
    PUBLIC,
    SINGAPORE_DETAILS,
    new_order,
    paid_order,
    shipping_line,
    shipping_option,
)

PORTLAND = orders.Address(
    name="Ada Reader",
    phone="+1 503 555 0100",
    line1="1 Main St",
    line2="Suite 2",
    city="Portland",
    state="OR",
    postal_code="97201",
    country="US",
)
SINGAPORE = orders.Address(**asdict(SINGAPORE_DETAILS))


def ship_to(order):
    return (
        order.ship_to_name,
        order.ship_to_phone,
        order.ship_to_line1,
        order.ship_to_line2,
        order.ship_to_city,
        order.ship_to_state,
        order.ship_to_postal_code,
        order.ship_to_country,
    )


def test_choosing_an_option_prices_the_shipping_line_and_the_total(session):
    order = new_order(session, (HAMMING, 1))  # S$23.00 of books

    chosen = orders.delivery_chosen(session, order, "sg-express", "SG", None)

    assert chosen == orders.Quote("sg-express", "Singapore express", 1000, "1 business day")
    assert shipping_line(order) == (
        "sg-express",
        "Singapore express",
        "1 business day",
        1000,
        3300,
    )
    assert order.ship_to_country == "SG"
    assert order.ship_to_name is None  # no address given yet


def test_an_option_free_for_the_books_adds_nothing_to_the_total(session):
    order = new_order(session, (HAMMING, 2), (PUBLIC, 1))  # S$74.00: standard is free from S$60

    orders.delivery_chosen(session, order, "sg-standard", "SG", None)

    assert shipping_line(order) == (
        "sg-standard",
        "Singapore standard",
        "2–4 business days",
        0,
        7400,
    )


def test_choosing_again_replaces_the_shipping_line(session):
    order = new_order(session, (HAMMING, 1))
    orders.delivery_chosen(session, order, "sg-express", "SG", None)

    orders.delivery_chosen(session, order, "world", "US", None)

    assert shipping_line(order) == (
        "world",
        "Rest of the world",
        "7–21 business days",
        2500,
        4800,
    )
    assert order.ship_to_country == "US"


def test_an_address_given_with_the_choice_is_stored_field_by_field(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_chosen(session, order, "world", "US", PORTLAND)

    assert ship_to(order) == (
        "Ada Reader",
        "+1 503 555 0100",
        "1 Main St",
        "Suite 2",
        "Portland",
        "OR",
        "97201",
        "US",
    )
    assert orders.address_of(order) == PORTLAND


def test_the_parts_an_address_leaves_out_are_stored_as_missing(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_chosen(session, order, "sg-standard", "SG", SINGAPORE)

    assert ship_to(order) == (
        "Ada Reader",
        None,
        "1 Fusionopolis Way",
        None,
        None,
        None,
        "138632",
        "SG",
    )
    assert orders.address_of(order) == SINGAPORE


NOT_OFFERED = "Please choose a delivery option offered for this address."


@pytest.mark.parametrize(
    ("option", "country", "message", "field"),
    [
        ("sg-express", "KP", "Sorry, we do not deliver to that country.", "country"),
        ("world", "SG", NOT_OFFERED, "shipping"),
        ("nope", "SG", NOT_OFFERED, "shipping"),
        (None, "SG", NOT_OFFERED, "shipping"),
        (["sg-express"], "SG", NOT_OFFERED, "shipping"),
    ],
)
def test_a_refused_choice_names_what_is_wrong_and_changes_nothing(
    session, option, country, message, field
):
    order = new_order(session, (HAMMING, 1))

    with pytest.raises(OrderError) as refused:
        orders.delivery_chosen(session, order, option, country, SINGAPORE)

    assert (refused.value.message, refused.value.field) == (message, field)
    assert shipping_line(order) == (None, None, None, 0, 2300)
    assert ship_to(order) == (None,) * 8


@pytest.mark.parametrize("status", [OrderStatus.PROCESSING, OrderStatus.PAID])
def test_an_order_no_longer_waiting_for_payment_keeps_its_delivery(session, status):
    order = paid_order(session, (HAMMING, 1))
    order.status = status
    session.flush()

    with pytest.raises(OrderError) as refused:
        orders.delivery_chosen(session, order, "sg-express", "SG", SINGAPORE)

    assert (refused.value.message, refused.value.field) == (
        "This order can no longer be changed.",
        None,
    )
    assert shipping_line(order) == (None, None, None, 0, 2300)
    assert order.ship_to_name is None


def test_an_option_priced_in_another_currency_is_not_offered(session):
    session.add(
        shipping_option(
            "sg-dollars", name="Priced in US dollars", amount=100, currency="usd", max_days=1
        )
    )
    order = new_order(session, (HAMMING, 1))

    with pytest.raises(OrderError, match="Please choose a delivery option offered"):
        orders.delivery_chosen(session, order, "sg-dollars", "SG", None)

    assert [q.code for q in orders.quotes_for(session, "SG", 2300, "sgd")] == [
        "sg-standard",
        "sg-express",
    ]


def test_options_are_offered_in_the_order_the_shop_set(session):
    options = {o.code: o for o in session.query(ShippingOption)}
    options["sg-express"].position, options["sg-standard"].position = 0, 1
    session.flush()

    assert [q.code for q in orders.quotes_for(session, "SG", 2300, "sgd")] == [
        "sg-express",
        "sg-standard",
    ]


@pytest.mark.parametrize("raw", [None, 65, "", "KP", "SGP"])
def test_a_country_the_shop_does_not_deliver_to_is_refused(raw):
    with pytest.raises(OrderError) as refused:
        orders.parse_country(raw, frozenset({"SG", "US"}))

    assert (refused.value.field, refused.value.message) == (
        "country",
        "Sorry, we do not deliver to that country.",
    )


def test_a_country_code_is_read_trimmed_and_in_capitals():
    assert orders.parse_country(" sg ", frozenset({"SG", "US"})) == "SG"
