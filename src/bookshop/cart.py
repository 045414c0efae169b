"""The cart: book ids and quantities kept in the session, priced from the catalog on the server."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import Book
from .orders import (
    LineRequest,
    OrderError,
    not_on_sale_message,
    out_of_stock_message,
    parse_quantity,
)

SESSION_KEY = "cart"
MAX_LINES = 50  # distinct books in one cart: keeps the session cookie small

Cart = dict[int, int]  # book id -> quantity


@dataclass(frozen=True)
class CartLine:
    """One book in the cart, priced now."""

    book: Book
    quantity: int
    problem: str | None = None  # e.g. fewer copies left than asked for

    @property
    def amount(self) -> int:
        return self.book.price_amount * self.quantity


@dataclass(frozen=True)
class PricedCart:
    """The cart as the customer sees it: lines, total, and anything stopping checkout."""

    lines: Sequence[CartLine]
    total: int
    currency: str | None
    version: str  # changes whenever a book, quantity or price changes
    problems: Sequence[str] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.problems

    def line_requests(self) -> list[LineRequest]:
        return [LineRequest(line.book, line.quantity) for line in self.lines]


def load(raw: Any) -> Cart:
    """The cart from the session, keeping only well-formed entries."""
    cart: Cart = {}
    if not isinstance(raw, Mapping):
        return cart
    for key, value in raw.items():
        if (
            isinstance(key, str)
            and key.isdigit()
            and len(key) < 12
            and isinstance(value, int)
            and not isinstance(value, bool)
            and value > 0
        ):
            cart[int(key)] = value
    return cart


def dump(cart: Cart) -> dict[str, int]:
    """The cart for the session (JSON keys are strings)."""
    return {str(book_id): quantity for book_id, quantity in cart.items()}


def count(raw: Any) -> int:
    """How many copies are in the cart (for the header; no database needed)."""
    return sum(load(raw).values())


def add(cart: Cart, book: Book, raw_quantity: object, limit: int) -> Cart:
    """The cart with `raw_quantity` more copies of `book`; OrderError (cart unchanged) when the
    quantity is not a whole number from 1 to `limit`, or the line would exceed it or the stock."""
    quantity = parse_quantity(raw_quantity, limit)
    if book.on_sale is False:
        raise OrderError(not_on_sale_message(book.title))
    if book.id not in cart and len(cart) >= MAX_LINES:
        raise OrderError("Your cart is full. Please check out or remove a book first.")
    wanted = cart.get(book.id, 0) + quantity
    if wanted > limit:
        raise OrderError(
            f"You can have at most {limit} copies of “{book.title}” in your cart.",
            field="quantity",
        )
    _check_stock(book, wanted)
    return {**cart, book.id: wanted}


def set_quantity(cart: Cart, book: Book, raw_quantity: object, limit: int) -> Cart:
    """The cart with the line for `book` set to a new quantity (1 to `limit`, within stock)."""
    if book.id not in cart:
        raise OrderError("That book is not in your cart.")
    quantity = parse_quantity(raw_quantity, limit, default=None)
    _check_stock(book, quantity)
    return {**cart, book.id: quantity}


def remove(cart: Cart, book_id: int) -> Cart:
    """The cart without a book (unchanged if it was not there)."""
    return {key: value for key, value in cart.items() if key != book_id}


def price(cart: Cart, books: Mapping[int, Book], limit: int) -> PricedCart:
    """Price the cart from the catalog; lines for books no longer sold are dropped."""
    lines: list[CartLine] = []
    problems: list[str] = []
    for book_id, quantity in cart.items():
        book = books.get(book_id)
        if book is None:
            problems.append("A book in your cart is no longer sold and was removed.")
            continue
        problem = None
        if book.on_sale is False:
            problem = not_on_sale_message(book.title) + " Please remove it."
        elif quantity > book.stock:
            problem = out_of_stock_message(book.title, book.stock)
            if book.stock <= 0:
                problem += " Please remove it."
        elif quantity > limit:
            problem = f"You can order at most {limit} copies of “{book.title}”."
        if problem:
            problems.append(problem)
        lines.append(CartLine(book, quantity, problem))
    lines.sort(key=lambda line: (line.book.position, line.book.id))
    currencies = {line.book.currency for line in lines}
    if len(currencies) > 1:
        problems.append("Books priced in different currencies cannot share an order.")
    total = sum(line.amount for line in lines)
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    return PricedCart(
        lines=tuple(lines),
        total=total,
        currency=currency,
        version=version((line.book, line.quantity) for line in lines),
        problems=tuple(problems),
    )


def version(lines: Any) -> str:
    """A short fingerprint of books, quantities and prices: a checkout page sends it back, so an
    order is never placed for a cart or prices the customer did not see."""
    text = "|".join(
        f"{book.id}:{quantity}:{book.price_amount}:{book.currency}" for book, quantity in lines
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_stock(book: Book, quantity: int) -> None:
    if quantity > book.stock:
        raise OrderError(out_of_stock_message(book.title, book.stock), field="quantity")
