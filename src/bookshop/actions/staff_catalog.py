"""Staff keep the catalog: add and edit books (taking them off sale or back), adjust stock with a
reason, edit shipping options.
Each change is audited with the values before and after. A new price applies to orders placed
from then on: orders keep the unit prices they were placed at."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..catalog.version import catalog_changed
from ..covers import MOTIFS, CoverStyle
from ..database import rows_matched
from ..models import Book, ShippingOption
from ..money import MoneyError, to_minor_units
from ..orders import OrderError
from .staff import Actor, audit

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CURRENCY = re.compile(r"[a-z]{3}")
MAX_STOCK_CHANGE = 100_000
BOOK_FIELDS = (
    "title",
    "subtitle",
    "author",
    "blurb",
    "price_amount",
    "currency",
    "cover_style",
    "on_sale",
)
ON_SALE = {"yes": True, "no": False}  # the form's choice; absent leaves the book as it is


def book_state(book: Book) -> dict[str, Any]:
    """A book's editable values, for the audit log."""
    return {name: getattr(book, name) for name in (*BOOK_FIELDS, "stock")}


def parse_book(form: Mapping[str, str]) -> dict[str, Any]:
    """A book's values from a form, checked; OrderError names the first field that is wrong."""
    title = form.get("title", "").strip()
    author = form.get("author", "").strip()
    if not title or len(title) > 200:
        raise OrderError("The title is required (at most 200 characters).", field="title")
    if not author or len(author) > 200:
        raise OrderError("The author is required (at most 200 characters).", field="author")
    currency = form.get("currency", "").strip().lower()
    if not CURRENCY.fullmatch(currency):
        raise OrderError("The currency is a three-letter code such as SGD.", field="currency")
    try:
        price = to_minor_units(form.get("price", "").strip(), currency)
    except MoneyError:
        raise OrderError("The price must be an amount such as 23.00.", field="price") from None
    if price <= 0:
        raise OrderError("The price must be more than zero.", field="price")
    try:
        cover = CoverStyle.from_mapping(
            {
                "background": form.get("cover_background", "").strip(),
                "ink": form.get("cover_ink", "").strip(),
                "accent": form.get("cover_accent", "").strip(),
                "motif": form.get("cover_motif", "").strip(),
            }
        )
    except (KeyError, ValueError):
        raise OrderError(
            f"Cover colours look like #1f3a5f; the motif is one of {', '.join(sorted(MOTIFS))}.",
            field="cover",
        ) from None
    values: dict[str, Any] = {
        "title": title,
        "subtitle": form.get("subtitle", "").strip()[:200] or None,
        "author": author,
        "blurb": form.get("blurb", "").strip()[:5000],
        "price_amount": price,
        "currency": currency,
        "cover_style": cover.to_json(),
    }
    if form.get("on_sale") in ON_SALE:
        values["on_sale"] = ON_SALE[form.get("on_sale", "")]
    return values


def add_book(
    session: Session, actor: Actor, slug: str, values: Mapping[str, Any], stock: int
) -> Book:
    """A new book with its first stock, on sale unless the form said otherwise."""
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug) or len(slug) > 120:
        raise OrderError("The web name is lower-case words joined by dashes.", field="slug")
    if session.scalar(select(Book.id).where(Book.slug == slug)) is not None:
        raise OrderError("Another book already has this web name.", field="slug")
    if not 0 <= stock <= MAX_STOCK_CHANGE:
        raise OrderError("The stock must be a whole number, zero or more.", field="stock")
    position = (
        session.scalar(select(Book.position).order_by(Book.position.desc()).limit(1)) or 0
    ) + 1
    book = Book(slug=slug, stock=stock, position=position, **values)
    session.add(book)
    session.flush()
    catalog_changed(session)
    audit(session, actor, "book.add", ("book", slug), None, book_state(book))
    session.commit()
    return book


def edit_book(session: Session, actor: Actor, book: Book, values: Mapping[str, Any]) -> Book:
    """Change a book's details, price, or whether it is on sale (orders already placed keep
    their prices and books)."""
    before = book_state(book)
    for name, value in values.items():
        setattr(book, name, value)
    after = book_state(book)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        raise OrderError("Nothing was changed.")
    catalog_changed(session)
    audit(
        session,
        actor,
        "book.edit",
        ("book", book.slug),
        {k: before[k] for k in changed},
        changed,
    )
    session.commit()
    return book


def adjust_stock(session: Session, actor: Actor, book: Book, change: int, reason: str) -> int:
    """Add (or with a negative change, remove) copies, with a reason; never below zero. One
    UPDATE, so a customer's reservation at the same moment is never lost."""
    reason = reason.strip()
    if not reason:
        raise OrderError(
            "Please give a reason (a delivery, a count, damaged copies…).", field="reason"
        )
    if change == 0 or abs(change) > MAX_STOCK_CHANGE:
        raise OrderError("The change must be a whole number other than zero.", field="change")
    result = session.execute(
        update(Book)
        .where(Book.id == book.id, Book.stock + change >= 0)
        .values(stock=Book.stock + change)
    )
    if rows_matched(result) != 1:
        session.rollback()
        raise OrderError(f"Only {book.stock} copies are left, so {-change} cannot be removed.")
    catalog_changed(session)
    session.refresh(book)
    audit(
        session,
        actor,
        "book.stock",
        ("book", book.slug),
        {"stock": book.stock - change},
        {"stock": book.stock, "change": change, "reason": reason[:500]},
    )
    session.commit()
    return book.stock


def edit_shipping_option(
    session: Session, actor: Actor, option: ShippingOption, form: Mapping[str, str]
) -> ShippingOption:
    """Change a shipping option's name, countries, price, free threshold, days or availability."""
    before = _option_state(option)
    name = form.get("name", "").strip()
    if not name or len(name) > 100:
        raise OrderError("The name is required (at most 100 characters).", field="name")
    countries = sorted(
        {c.strip().upper() for c in form.get("countries", "").split(",") if c.strip()}
    )
    if not countries or not all(re.fullmatch(r"[A-Z]{2}", c) for c in countries):
        raise OrderError("Countries are two-letter codes separated by commas.", field="countries")
    try:
        amount = to_minor_units(form.get("amount", "").strip() or "0", option.currency)
        free_raw = form.get("free_from", "").strip()
        free = to_minor_units(free_raw, option.currency) if free_raw else None
        min_days, max_days = int(form.get("min_days", "")), int(form.get("max_days", ""))
    except (MoneyError, ValueError):
        raise OrderError("Amounts look like 4.50 and days are whole numbers.") from None
    if amount < 0 or (free is not None and free <= 0):
        raise OrderError("Amounts cannot be negative.", field="amount")
    if not 0 < min_days <= max_days <= 365:
        raise OrderError("Days go from at least 1 up to at most 365, shortest first.")
    option.name, option.countries, option.amount = name, ",".join(countries), amount
    option.free_from_amount, option.min_days, option.max_days = free, min_days, max_days
    option.active = form.get("active") == "yes"
    after = _option_state(option)
    audit(session, actor, "shipping.edit", ("shipping_option", option.code), before, after)
    session.commit()
    return option


def _option_state(option: ShippingOption) -> dict[str, Any]:
    return {
        "name": option.name,
        "countries": option.countries,
        "amount": option.amount,
        "free_from_amount": option.free_from_amount,
        "min_days": option.min_days,
        "max_days": option.max_days,
        "active": option.active,
    }
