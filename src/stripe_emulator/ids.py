"""Stripe-style identifiers and secrets."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int = 24) -> str:
    """Letters and digits, as Stripe's ids use."""
    number = int.from_bytes(secrets.token_bytes(length), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def new_id(prefix: str, length: int = 24) -> str:
    """`pi_3Qx...`-style id with the given prefix."""
    return f"{prefix}_{random_token(length)}"


def client_secret(payment_intent_id: str) -> str:
    """A PaymentIntent's client secret: its id, `_secret_`, and a random part."""
    return f"{payment_intent_id}_secret_{random_token(25)}"


def webhook_secret() -> str:
    """A webhook endpoint's signing secret."""
    return f"whsec_{random_token(32)}"
