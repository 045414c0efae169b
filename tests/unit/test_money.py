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


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (0, "sgd", "S$0.00"),
        (-1, "sgd", "-S$0.01"),
        (0, "jpy", "¥0"),
        (-1500, "chf", "-15.00 CHF"),
        (1000, " SGD ", "S$10.00"),
    ],
)
def test_zero_is_never_shown_as_negative_and_only_negatives_get_a_minus(minor, currency, shown):
    assert format_money(minor, currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("abc", "sgd", "not an amount: 'abc'"),
        ("NaN", "sgd", "not an amount: 'NaN'"),
        ("23.001", "sgd", "23.001 has too many decimals for SGD"),
        ("1.5", "jpy", "1.5 has too many decimals for JPY"),
    ],
)
def test_refused_amounts_say_why(amount, currency, message):
    with pytest.raises(MoneyError) as refused:
        to_minor_units(amount, currency)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("currency", "places", "minor", "amount"),
    [
        ("kwd", 3, 1235, Decimal("1.235")),
        ("sgd", 2, 5, Decimal("0.05")),
        ("jpy", 0, 7, Decimal("7")),
    ],
)
def test_display_amounts_carry_exactly_the_currencys_decimals(currency, places, minor, amount):
    shown = from_minor_units(minor, currency)
    assert (decimal_places(currency), shown, shown.as_tuple().exponent) == (
        places,
        amount,
        -places,
    )


def test_an_unknown_currency_code_is_named_in_the_error():
    with pytest.raises(MoneyError) as refused:
        format_money(100, "euro")
    assert str(refused.value) == "not a currency code: 'euro'"
