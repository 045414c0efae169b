"""The catalog: books, on sale or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Integer,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Book(Base):
    """A title of the catalog; its price is the only price the shop ever charges."""

    __tablename__ = "books"
    __table_args__ = (
        CheckConstraint("price_amount > 0", name="price_positive"),
        # The last line of defence against overselling: a reservation can never go below zero.
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200))
    blurb: Mapped[str] = mapped_column(Text)
    published_year: Mapped[int | None] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    cover_style: Mapped[str] = mapped_column(String(200))  # JSON palette and motif for covers.py
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Copies that can still be ordered; changed only by conditional UPDATEs in orders.py.
    stock: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Off sale: hidden from the shop and refused in carts and at checkout; orders keep their lines.
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ShippingOption(Base):
    """A way to deliver, priced by the shop: where it goes, what it costs, how long it takes."""

    __tablename__ = "shipping_options"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("min_days > 0 AND max_days >= min_days", name="days_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. "sg-express"
    name: Mapped[str] = mapped_column(String(100))  # shown to the customer
    countries: Mapped[str] = mapped_column(Text)  # ISO 3166 codes, comma-separated
    amount: Mapped[int] = mapped_column(Integer)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    # Free when the books come to at least this much; None: never free.
    free_from_amount: Mapped[int | None] = mapped_column(Integer)
    min_days: Mapped[int] = mapped_column(Integer)  # business days, for the delivery estimate
    max_days: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    @property
    def country_codes(self) -> frozenset[str]:
        """The countries this option delivers to."""
        return frozenset(code.strip() for code in self.countries.split(",") if code.strip())


class CatalogVersion(Base):
    """One row whose counter moves with every change to the books (details, prices, stock), in the
    same transaction: any process can tell whether its rendered catalog pages are still true."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default=text("1"))
