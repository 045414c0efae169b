"""Currencies the emulator accepts, their minimum charge and their decimal places."""

from __future__ import annotations

# Stripe's minimum charge amounts, in minor units (docs: "Minimum and maximum charge amounts").
MINIMUM_CHARGE = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
    "krw": 1000,
}
ZERO_DECIMAL = {
    "jpy",
    "krw",
    "vnd",
    "clp",
    "pyg",
    "ugx",
    "xaf",
    "xof",
    "bif",
    "djf",
    "gnf",
    "kmf",
    "mga",
    "rwf",
    "vuv",
    "xpf",
}
MAXIMUM_AMOUNT = 99_999_999
SYMBOLS = {
    "sgd": "S$",
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "aud": "A$",
    "cad": "CA$",
    "hkd": "HK$",
    "nzd": "NZ$",
}


def supported(currency: str) -> bool:
    """Whether payments in this currency are accepted."""
    return currency in MINIMUM_CHARGE


def display(amount: int, currency: str) -> str:
    """`S$23.00` from 2300 sgd; zero-decimal currencies have no fraction."""
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount:,}"
    return f"{symbol}{amount // 100:,}.{amount % 100:02d}"
