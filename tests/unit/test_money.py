"""Minor units <-> display amounts, per currency."""

from decimal import Decimal

import pytest

from bookshop.money import (
    MoneyError,
    decimal_places,
    format_money,
    from_minor_units,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (2300, "sgd", "S$23.00"),
        (2300, "SGD", "S$23.00"),
        (5, "sgd", "S$0.05"),
        (123456789, "sgd", "S$1,234,567.89"),
        (-2500, "sgd", "-S$25.00"),
        (1500, "jpy", "¥1,500"),
        (2300, "usd", "US$23.00"),
        (1230, "kwd", "1.230 KWD"),
        (999, "chf", "9.99 CHF"),
    ],
)
def test_format_money_shows_the_amount_in_the_currencys_style(minor, currency, shown):
    assert format_money(minor, currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("23.00", "sgd", 2300),
        ("23", "sgd", 2300),
        (Decimal("0.5"), "sgd", 50),
        (23, "sgd", 2300),
        ("1500", "jpy", 1500),
        ("1.23", "kwd", 1230),
    ],
)
def test_to_minor_units_scales_by_the_currencys_decimals(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor


@pytest.mark.parametrize("minor", [0, 1, 2300, 99999])
@pytest.mark.parametrize("currency", ["sgd", "jpy", "kwd"])
def test_minor_units_survive_a_round_trip(minor, currency):
    assert to_minor_units(from_minor_units(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("23.001", "sgd"), ("1.5", "jpy"), ("abc", "sgd"), ("NaN", "sgd"), ("Infinity", "sgd")],
)
def test_to_minor_units_refuses_amounts_the_currency_cannot_hold(amount, currency):
    with pytest.raises(MoneyError):
        to_minor_units(amount, currency)


@pytest.mark.parametrize("currency", ["", "sg", "s g d", "12a", "euro"])
def test_unknown_currency_codes_are_refused(currency):
    with pytest.raises(MoneyError):
        format_money(100, currency)


def test_zero_decimal_currencies_have_no_minor_digits():
    assert decimal_places("jpy") == 0
    assert decimal_places("krw") == 0
    assert decimal_places("sgd") == 2
    assert from_minor_units(1500, "jpy") == Decimal("1500")
