"""Money as integer minor units, converted to and from display amounts per currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Stripe's zero-decimal currencies: amounts are sent in whole units (¥500 is 500).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
# Three-decimal currencies: Stripe expects the last digit to be 0.
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

SYMBOLS = {
    "sgd": "S$",
    "usd": "US$",
    "aud": "A$",
    "cad": "C$",
    "hkd": "HK$",
    "nzd": "NZ$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "krw": "₩",
    "inr": "₹",
}


class MoneyError(ValueError):
    """An amount that cannot be represented in the given currency."""


def decimal_places(currency: str) -> int:
    """How many digits follow the decimal point in the currency's display amounts."""
    code = _code(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal | str | int, currency: str) -> int:
    """Convert a display amount ("23.00") into integer minor units (2300), refusing fractions."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not an amount: {amount!r}")
    scaled = value.scaleb(decimal_places(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has too many decimals for {currency.upper()}")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Convert integer minor units (2300) into a display amount (Decimal("23.00"))."""
    places = decimal_places(currency)
    quantum = Decimal(1).scaleb(-places)
    return Decimal(minor).scaleb(-places).quantize(quantum, rounding=ROUND_HALF_UP)


def format_money(minor: int, currency: str) -> str:
    """Render minor units for people: 2300 SGD -> "S$23.00", 1500 JPY -> "¥1,500"."""
    code = _code(currency)
    value = from_minor_units(abs(minor), code)
    places = decimal_places(code)
    number = f"{value:,.{places}f}"
    symbol = SYMBOLS.get(code)
    text = f"{symbol}{number}" if symbol else f"{number} {code.upper()}"
    return f"-{text}" if minor < 0 else text


def _code(currency: str) -> str:
    code = currency.strip().lower()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"not a currency code: {currency!r}")
    return code
