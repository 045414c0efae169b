"""Stripe-style identifiers and secrets."""

from __future__ import annotations

import base64
import random
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
# Ids need to be unique, not secret: a seeded generator is far cheaper than a system call each.
_ids = random.Random(secrets.randbits(128))


def random_token(length: int = 24) -> str:
    """Letters and digits from the operating system's secure source, for secrets."""
    # One system call for all the characters; the modulo's bias (8 of 256) costs under a bit.
    return "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in secrets.token_bytes(length))


def new_id(prefix: str, length: int = 24) -> str:
    """`pi_3Qx...`-style id with the given prefix."""
    # Base64 of random bytes, its two symbols swapped for letters: alphanumeric, and done in C.
    raw = base64.b64encode(_ids.randbytes(length * 3 // 4 + 3), altchars=b"xZ")
    return f"{prefix}_{raw[:length].decode()}"


def client_secret(payment_intent_id: str) -> str:
    """A PaymentIntent's client secret: its id, `_secret_`, and a random part."""
    return f"{payment_intent_id}_secret_{random_token(25)}"


def webhook_secret() -> str:
    """A webhook endpoint's signing secret."""
    return f"whsec_{random_token(32)}"
