"""What a customer asks for, checked: order lines, quantities, emails, and order references."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..models import Book
from .errors import OrderError

MAX_QUANTITY = 10  # per line, unless the caller passes its own limit (CART_MAX_QUANTITY)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_QUANTITY_PATTERN = re.compile(r"[+-]?[0-9]+")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


@dataclass(frozen=True)
class LineRequest:
    """What the browser may say about a line: which book and how many. Never a price."""

    book: Book
    quantity: int


def new_reference() -> str:
    """A short, unguessable order reference such as BK-7QF2-MX4R."""
    return _reference(secrets.token_bytes(8))


def reference_for(checkout_id: str, secret: str) -> str:
    """The order reference for a checkout page: the same page always names the same order, so a
    double submit finds the order it already placed instead of placing another."""
    digest = hmac.new(secret.encode(), checkout_id.encode(), hashlib.sha256).digest()
    return _reference(digest[:8])


def _reference(random_bytes: bytes) -> str:
    # 256 is a multiple of the alphabet's 32 letters, so every letter is equally likely.
    chars = "".join(_REFERENCE_ALPHABET[b % len(_REFERENCE_ALPHABET)] for b in random_bytes)
    return f"BK-{chars[:4]}-{chars[4:]}"


def normalise_email(raw: object) -> str:
    """The customer's email, trimmed, or OrderError when it does not look like one."""
    email = raw.strip() if isinstance(raw, str) else ""
    if not email or len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise OrderError("Please enter a valid email address.", field="email")
    return email


def parse_quantity(
    raw: object, limit: int = MAX_QUANTITY, default: int | None = 1, minimum: int = 1
) -> int:
    """A quantity from the browser: a whole number from `minimum` to `limit`."""
    if raw is None and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise OrderError("Please choose a quantity.", field="quantity")
    text = str(raw).strip()
    if not _QUANTITY_PATTERN.fullmatch(text):
        raise OrderError("Please enter the quantity as a whole number.", field="quantity")
    # Huge numbers are out of range without being converted (int() of 5,000 digits is refused).
    quantity = int(text) if len(text) <= 6 else limit + 1
    if not minimum <= quantity <= limit:
        if minimum == 1:
            raise OrderError(f"You can order 1 to {limit} copies.", field="quantity")
        raise OrderError(f"Please enter {minimum} to {limit} copies.", field="quantity")
    return quantity


def not_on_sale_message(title: str) -> str:
    """What a customer is told about a book the shop has taken off sale."""
    return f"Sorry, “{title}” is no longer on sale."


def price_lines(lines: Sequence[LineRequest]) -> tuple[int, str]:
    """The order total and currency, from the catalog's prices only; books off sale refused."""
    if not lines:
        raise OrderError("Your order is empty.")
    for line in lines:
        if line.book.on_sale is False:  # None: a book not saved yet, on sale by default
            raise OrderError(not_on_sale_message(line.book.title), field="cart")
    currencies = {line.book.currency for line in lines}
    if len(currencies) != 1:
        raise OrderError("Books priced in different currencies cannot share an order.")
    total = sum(line.book.price_amount * line.quantity for line in lines)
    return total, currencies.pop()


def describe_lines(lines: Sequence[LineRequest]) -> str:
    """A short text naming what is bought, for Stripe's metadata and description."""
    text = ", ".join(f"{line.book.slug} x{line.quantity}" for line in lines)
    return text if len(text) <= 500 else text[:497] + "..."


def payment_description(reference: str, lines: Sequence[LineRequest]) -> tuple[dict[str, str], str]:
    """The metadata and description a PaymentIntent for this order carries at Stripe."""
    items = describe_lines(lines)
    metadata = {"order_reference": reference, "items": items}
    return metadata, f"Bookshop order {reference}: {items}"[:1000]


def merge_lines(lines: Iterable[LineRequest]) -> list[LineRequest]:
    """One line per book (quantities added), in the catalog's order."""
    merged: dict[int, LineRequest] = {}
    for line in lines:
        seen = merged.get(line.book.id)
        quantity = line.quantity + (seen.quantity if seen else 0)
        merged[line.book.id] = LineRequest(line.book, quantity)
    return sorted(merged.values(), key=lambda line: (line.book.position, line.book.id))
