"""Addresses and tracking details at their limits: the lengths allowed exactly and one past them,
what Stripe's hosted page collected kept within the shop's lengths, and the address an order has
only once it is complete enough to ship to."""

from __future__ import annotations

import pytest

from bookshop import orders
from bookshop.models import Order
from bookshop.orders import OrderError
from bookshop.payments import ShippingDetails

URL = "https://track.example/1"


# --- tracking ---------------------------------------------------------------------------------


def test_tracking_details_are_trimmed_and_an_empty_link_is_none():
    assert orders.parse_tracking(" DHL ", " 123 ", " ") == ("DHL", "123", None)
    assert orders.parse_tracking("DHL", "123", f" {URL} ") == ("DHL", "123", URL)
    assert orders.parse_tracking("DHL", "123", None) == ("DHL", "123", None)


def test_tracking_details_at_their_longest_are_kept():
    carrier, number, url = "c" * 60, "n" * 60, "http://t.example/" + "u" * 483
    assert orders.parse_tracking(carrier, number, url) == (carrier, number, url)


@pytest.mark.parametrize(
    ("carrier", "number", "url", "field"),
    [
        ("", "123", "", "carrier"),
        ("   ", "123", "", "carrier"),
        (None, "123", "", "carrier"),
        ("c" * 61, "123", "", "carrier"),
        ("D\tHL", "123", "", "carrier"),
        ("D\x00HL", "123", "", "carrier"),
        ("DHL", "", "", "tracking"),
        ("DHL", 123, "", "tracking"),
        ("DHL", "n" * 61, "", "tracking"),
        ("DHL", "1\x002", "", "tracking"),
        ("DHL", "123", "https://t.example/" + "u" * 483, "tracking_url"),
        ("DHL", "123", "ftp://t.example/1", "tracking_url"),
        ("DHL", "123", "javascript:alert(1)", "tracking_url"),
        ("DHL", "123", "https://t.example/a b", "tracking_url"),
        ("DHL", "123", "https://t.example/\x00", "tracking_url"),
    ],
)
def test_bad_tracking_details_are_refused_naming_the_field(carrier, number, url, field):
    with pytest.raises(OrderError) as refused:
        orders.parse_tracking(carrier, number, url)
    assert refused.value.field == field


def test_a_refused_tracking_detail_says_what_is_wanted():
    messages = []
    for args in (("", "1", ""), ("DHL", "", ""), ("DHL", "1", "x")):
        with pytest.raises(OrderError) as refused:
            orders.parse_tracking(*args)
        messages.append(refused.value.message)
    assert messages == [
        "Please name the carrier.",
        "Please enter the tracking number.",
        "The tracking link must be a web address.",
    ]


# --- what Stripe's hosted page collected --------------------------------------------------------


def details(**changes):
    fields = {
        "name": "Ada Reader",
        "phone": "+65 6123 4567",
        "line1": "1 Fusionopolis Way",
        "line2": "#10-01",
        "city": "Singapore",
        "state": "",
        "postal_code": "138632",
        "country": "SG",
    }
    return ShippingDetails(**{**fields, **changes})


def test_a_collected_address_is_kept_field_by_field():
    assert orders.address_collected(details(country=" sg ")) == orders.Address(
        name="Ada Reader",
        phone="+65 6123 4567",
        line1="1 Fusionopolis Way",
        line2="#10-01",
        city="Singapore",
        state="",
        postal_code="138632",
        country="SG",
    )


def test_a_collected_address_is_folded_to_one_line_and_cut_to_the_shops_lengths():
    collected = orders.address_collected(
        details(
            name="Ada\n  Reader " + "x" * 200,
            phone="1" * 40,
            line1="l" * 150,
            line2="m" * 150,
            city="c" * 80,
            state="s" * 80,
            postal_code="p" * 30,
            country="sgp",
        )
    )
    assert collected.name == ("Ada Reader " + "x" * 200)[:100]
    assert [len(getattr(collected, name)) for name in orders.delivery.FIELD_LIMITS] == [
        100,
        30,
        100,
        100,
        60,
        60,
        20,
    ]
    assert collected.country == "SG"


# --- the address an order has -------------------------------------------------------------------


def order_shipping_to(**fields):
    return Order(
        ship_to_name="Ada Reader",
        ship_to_line1="1 Fusionopolis Way",
        ship_to_country="SG",
        **fields,
    )


def test_an_order_has_the_address_it_was_given_with_blanks_for_missing_parts():
    assert orders.address_of(order_shipping_to()) == orders.Address(
        name="Ada Reader",
        phone="",
        line1="1 Fusionopolis Way",
        line2="",
        city="",
        state="",
        postal_code="",
        country="SG",
    )


def test_an_order_has_every_part_of_its_address():
    order = order_shipping_to(
        ship_to_phone="+1 503 555 0100",
        ship_to_line2="Suite 2",
        ship_to_city="Portland",
        ship_to_state="OR",
        ship_to_postal_code="97201",
    )
    assert orders.address_of(order) == orders.Address(
        name="Ada Reader",
        phone="+1 503 555 0100",
        line1="1 Fusionopolis Way",
        line2="Suite 2",
        city="Portland",
        state="OR",
        postal_code="97201",
        country="SG",
    )


@pytest.mark.parametrize("missing", ["ship_to_name", "ship_to_line1", "ship_to_country"])
def test_an_order_without_a_name_street_or_country_has_no_address_yet(missing):
    order = order_shipping_to()
    setattr(order, missing, None)
    assert orders.address_of(order) is None
