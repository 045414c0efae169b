"""The catalog shipped with the shop (books.json, shipping.json) and the idempotent command that
loads it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..covers import CoverStyle
from ..models import Book, ShippingOption
from ..money import to_minor_units
from .version import catalog_changed

_FIELDS = ("title", "subtitle", "author", "blurb", "published_year")
# Copies a new book starts with; stock of books already in the database is never reset.
DEFAULT_STOCK = 25


@dataclass(frozen=True)
class SeedResult:
    created: int
    updated: int
    unchanged: int


def catalog_entries() -> list[dict[str, Any]]:
    """The books as written in books.json."""
    text = resources.files(__package__).joinpath("books.json").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = json.loads(text)
    return entries


def seed_catalog(session: Session) -> SeedResult:
    """Insert or update every catalog book by slug, and add the default shipping options that are
    missing; running it twice changes nothing. The result counts books."""
    seed_shipping_options(session)
    existing = {book.slug: book for book in session.scalars(select(Book))}
    created = updated = unchanged = 0
    for position, entry in enumerate(catalog_entries()):
        values = {name: entry.get(name) for name in _FIELDS}
        currency = str(entry["currency"]).lower()
        values["currency"] = currency
        values["price_amount"] = to_minor_units(entry["price"], currency)
        values["cover_style"] = CoverStyle.from_mapping(entry["cover"]).to_json()
        values["position"] = position
        book = existing.get(entry["slug"])
        if book is None:
            stock = int(entry.get("stock", DEFAULT_STOCK))
            session.add(Book(slug=entry["slug"], stock=stock, **values))
            created += 1
        elif any(getattr(book, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(book, name, value)
            updated += 1
        else:
            unchanged += 1
    if created or updated:
        catalog_changed(session)
    return SeedResult(created=created, updated=updated, unchanged=unchanged)


def seed_shipping_options(session: Session) -> int:
    """Add the shipping options of shipping.json whose code is not in the database yet (the shop's
    own edits to existing options are kept); how many were added."""
    text = resources.files(__package__).joinpath("shipping.json").read_text(encoding="utf-8")
    known = set(session.scalars(select(ShippingOption.code)))
    added = 0
    for position, entry in enumerate(json.loads(text)):
        if entry["code"] in known:
            continue
        currency = str(entry["currency"]).lower()
        free_from = entry.get("free_from")
        session.add(
            ShippingOption(
                code=entry["code"],
                name=entry["name"],
                countries=",".join(entry["countries"]),
                amount=to_minor_units(entry["price"], currency),
                currency=currency,
                free_from_amount=to_minor_units(free_from, currency) if free_from else None,
                min_days=int(entry["min_days"]),
                max_days=int(entry["max_days"]),
                position=position,
            )
        )
        added += 1
    return added


SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def find_book(session: Session, slug: str) -> Book | None:
    """The book with this slug, or None (malformed slugs never reach the database)."""
    if len(slug) > 120 or not SLUG_PATTERN.fullmatch(slug):
        return None
    return session.scalars(select(Book).where(Book.slug == slug)).one_or_none()


def all_books(session: Session) -> list[Book]:
    """Every book, in catalog order."""
    return list(session.scalars(select(Book).order_by(Book.position, Book.id)))


def books_on_sale(session: Session) -> list[Book]:
    """The books customers see, in catalog order."""
    return list(session.scalars(select(Book).where(Book.on_sale).order_by(Book.position, Book.id)))
