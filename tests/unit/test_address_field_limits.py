"""A delivery address typed at checkout at its limits: each field exactly as long as the shop
stores it and one past that, the fewest digits a phone number may have, and postal codes of
countries the shop has no pattern for."""

from __future__ import annotations

import pytest

from bookshop import orders
from bookshop.orders import OrderError
from bookshop.orders.delivery import FIELD_LIMITS

SERVED = frozenset({"SG", "US", "NL", "HK"})
LABELS = {
    "name": "recipient's name",
    "phone": "phone number",
    "line1": "street address",
    "line2": "second address line",
    "city": "city",
    "state": "state or province",
    "postal_code": "postal code",
}


def portland(**changes):
    """An address in Portland, Oregon, with the fields given changed."""
    fields = {
        "name": "Ada Reader",
        "phone": "+1 503 555 0100",
        "line1": "1 Main St",
        "line2": "Suite 2",
        "city": "Portland",
        "state": "OR",
        "postal_code": "97201",
        "country": "US",
        **changes,
    }
    return {
        "name": fields.pop("name"),
        "phone": fields.pop("phone"),
        "address": fields,
    }


def at_length(name, length):
    """A value for a field, `length` characters long, that passes the field's other checks."""
    if name == "phone":
        return "1" * length
    if name == "postal_code":
        return "97201-1234" if length == 10 else "9" * length
    return "x" * length


@pytest.mark.parametrize("name", [n for n in FIELD_LIMITS if n != "postal_code"])
def test_every_field_may_be_exactly_as_long_as_the_shop_stores_it(name):
    value = at_length(name, FIELD_LIMITS[name])

    address = orders.parse_address(portland(**{name: value}), SERVED)

    assert getattr(address, name) == value


@pytest.mark.parametrize("name", list(FIELD_LIMITS))
def test_one_character_more_is_refused_naming_the_field_and_its_length(name):
    limit = FIELD_LIMITS[name]

    with pytest.raises(OrderError) as refused:
        orders.parse_address(portland(**{name: at_length(name, limit + 1)}), SERVED)

    assert refused.value.field == name
    assert refused.value.message == (
        f"The {LABELS[name]} is too long (at most {limit} characters)."
    )


def test_the_field_limits_are_those_of_the_orders_columns():
    assert FIELD_LIMITS == {
        "name": 100,
        "phone": 30,
        "line1": 100,
        "line2": 100,
        "city": 60,
        "state": 60,
        "postal_code": 20,
    }


@pytest.mark.parametrize(("phone", "kept"), [("123456", True), ("+1 (234) 5", False)])
def test_a_phone_number_needs_six_digits(phone, kept):
    if kept:
        assert orders.parse_address(portland(phone=phone), SERVED).phone == phone
        return
    with pytest.raises(OrderError) as refused:
        orders.parse_address(portland(phone=phone), SERVED)
    assert (refused.value.field, refused.value.message) == (
        "phone",
        "Please enter a phone number we can call.",
    )


@pytest.mark.parametrize(
    ("country", "postal_code", "kept"),
    [
        ("NL", "1012 AB", True),
        ("NL", "1", False),
        ("NL", "1012 AB 1012 AB", False),
        ("HK", "999077", True),  # optional there, but checked when given
        ("HK", "#", False),
    ],
)
def test_a_country_without_a_pattern_of_its_own_has_postal_codes_checked_loosely(
    country, postal_code, kept
):
    raw = portland(country=country, state="", postal_code=postal_code)
    if kept:
        assert orders.parse_address(raw, SERVED).postal_code == postal_code
        return
    with pytest.raises(OrderError) as refused:
        orders.parse_address(raw, SERVED)
    assert (refused.value.field, refused.value.message) == (
        "postal_code",
        "Please check the postal code.",
    )


@pytest.mark.parametrize("name", ["phone", "line1", "line2", "city", "state", "postal_code"])
def test_a_field_that_is_not_text_is_refused_naming_it(name):
    with pytest.raises(OrderError) as refused:
        orders.parse_address(portland(**{name: 42}), SERVED)

    assert refused.value.field == name
    assert refused.value.message == f"Please check the {LABELS[name]}."


@pytest.mark.parametrize("name", ["line2", "city", "state"])
def test_a_field_left_out_is_empty(name):
    raw = portland()
    del raw["address"][name]
    raw["address"]["country"] = "HK"
    raw["address"]["postal_code"] = ""

    assert getattr(orders.parse_address(raw, SERVED), name) == ""


def test_a_field_with_line_breaks_and_tabs_is_one_line():
    address = orders.parse_address(portland(line1="1 Main St\n\tBack door"), SERVED)
    assert address.line1 == "1 Main St Back door"


@pytest.mark.parametrize("raw", [None, "1 Main St", {"name": "Ada"}, {"address": "1 Main St"}])
def test_something_that_is_not_an_address_is_asked_for_again(raw):
    with pytest.raises(OrderError) as refused:
        orders.parse_address(raw, SERVED)

    assert (refused.value.field, refused.value.message) == (
        "address",
        "Please enter your delivery address.",
    )
