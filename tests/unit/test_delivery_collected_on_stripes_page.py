"""Delivery collected on Stripe's hosted page, in the domain: the shipping line is what Stripe
charged, named after the shop's option the rate came from (by its code, else by its name and
price), the total follows, and staff are warned of an option chosen for a country it does not
serve."""

from __future__ import annotations

import logging

import pytest

from bookshop import orders
from bookshop.models import ShippingOption
from bookshop.orders import OrderError, OrderStatus
from bookshop.payments import ChosenShipping
from shop_support import HAMMING, PUBLIC, new_order, paid_order, shipping_line, shipping_option

SINGAPORE = orders.Address(
    name="Ada Reader",
    phone="+65 6123 4567",
    line1="1 Fusionopolis Way",
    line2="#10-01",
    city="Singapore",
    state="",
    postal_code="138632",
    country="SG",
)


def rate(amount, name="", code=None):
    return ChosenShipping("shr_unit", amount, name, code)


def test_a_rate_carrying_the_shops_code_is_that_option(session):
    order = new_order(session, (HAMMING, 1))  # S$23.00 of books

    orders.delivery_collected(session, order, rate(1000, "Singapore express", "sg-express"), None)

    assert shipping_line(order) == (
        "sg-express",
        "Singapore express",
        "1 business day",
        1000,
        3300,
    )


def test_the_code_wins_over_a_name_another_option_has(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(1000, "Singapore standard", "sg-express"), None)

    assert (order.shipping_option, order.shipping_estimate) == ("sg-express", "1 business day")
    assert order.shipping_label == "Singapore standard"  # the name the customer saw on the page


def test_the_amount_is_what_stripe_charged_whatever_the_option_costs(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(700, "", "sg-express"), None)

    assert shipping_line(order) == (
        "sg-express",
        "Singapore express",  # a rate without a name takes the option's
        "1 business day",
        700,
        3000,
    )


@pytest.mark.parametrize(
    ("books", "amount", "option"),
    [
        ([(HAMMING, 1)], 400, "sg-standard"),  # S$23.00: standard costs S$4.00
        ([(HAMMING, 2), (PUBLIC, 1)], 0, "sg-standard"),  # S$74.00: standard is free
        ([(HAMMING, 2), (PUBLIC, 1)], 400, None),  # the price it had below the threshold
        ([(HAMMING, 1)], 0, None),
    ],
)
def test_a_rate_without_a_code_is_the_option_of_its_name_at_its_price(
    session, books, amount, option
):
    order = new_order(session, *books)

    orders.delivery_collected(session, order, rate(amount, "Singapore standard"), None)

    assert order.shipping_option == option
    assert order.shipping_estimate == ("2–4 business days" if option else None)
    assert (order.shipping_label, order.shipping_amount) == ("Singapore standard", amount)
    assert order.total_amount == order.items_amount + amount


def test_a_rate_of_no_option_of_the_shops_is_kept_as_charged(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(1234, "", "gone"), None)

    assert shipping_line(order) == (None, "Delivery", None, 1234, 3534)


def test_a_long_rate_name_is_cut_to_the_label_length(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(500, "x" * 150), None)

    assert order.shipping_label == "x" * 100


def test_an_option_no_longer_offered_is_not_matched(session):
    express = session.query(ShippingOption).filter_by(code="sg-express").one()
    express.active = False
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(1000, "Singapore express", "sg-express"), None)

    assert (order.shipping_option, order.shipping_estimate) == (None, None)
    assert (order.shipping_label, order.total_amount) == ("Singapore express", 3300)


def test_an_option_priced_in_another_currency_is_not_matched(session):
    session.add(
        shipping_option("sg-dollars", name="Dollar post", amount=100, currency="usd", max_days=1)
    )
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(100, "Dollar post", "sg-dollars"), None)

    assert (order.shipping_option, order.shipping_estimate) == (None, None)


def test_the_collected_address_is_stored_with_the_delivery(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, rate(1000, "", "sg-express"), SINGAPORE)

    assert orders.address_of(order) == SINGAPORE
    assert order.shipping_option == "sg-express"


def test_an_address_alone_leaves_the_shipping_line_as_it_was(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, None, SINGAPORE)

    assert shipping_line(order) == (None, None, None, 0, 2300)
    assert orders.address_of(order) == SINGAPORE


def test_nothing_collected_changes_nothing(session):
    order = new_order(session, (HAMMING, 1))

    orders.delivery_collected(session, order, None, None)

    assert shipping_line(order) == (None, None, None, 0, 2300)
    assert orders.address_of(order) is None


@pytest.mark.parametrize("status", [OrderStatus.PROCESSING, OrderStatus.PAID])
def test_an_order_no_longer_waiting_for_payment_keeps_its_delivery(session, status):
    order = paid_order(session, (HAMMING, 1))
    order.status = status

    with pytest.raises(OrderError) as refused:
        orders.delivery_collected(session, order, rate(1000, "", "sg-express"), SINGAPORE)

    assert refused.value.message == "This order can no longer be changed."
    assert shipping_line(order) == (None, None, None, 0, 2300)
    assert orders.address_of(order) is None


def warnings(caplog):
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bookshop.orders.delivery" and r.levelno == logging.WARNING
    ]


def test_staff_are_warned_of_an_option_chosen_for_a_country_it_does_not_serve(session, caplog):
    order = new_order(session, (HAMMING, 1))
    caplog.set_level(logging.WARNING, logger="bookshop.orders.delivery")
    in_japan = orders.Address(**{**SINGAPORE.__dict__, "country": "JP"})

    orders.delivery_collected(session, order, rate(1000, "", "sg-express"), in_japan)

    assert warnings(caplog) == [f"order {order.reference}: sg-express chosen for an address in JP"]
    assert order.ship_to_country == "JP"  # kept as collected: the money is taken for it


@pytest.mark.parametrize(
    ("chosen", "address"),
    [
        (rate(1000, "", "sg-express"), SINGAPORE),  # served there
        (rate(1234, "", "gone"), SINGAPORE),  # no option of the shop's to check
        (rate(1000, "", "sg-express"), None),  # no address to check
    ],
)
def test_no_warning_when_nothing_is_amiss(session, caplog, chosen, address):
    order = new_order(session, (HAMMING, 1))
    caplog.set_level(logging.WARNING, logger="bookshop.orders.delivery")

    orders.delivery_collected(session, order, chosen, address)

    assert warnings(caplog) == []
