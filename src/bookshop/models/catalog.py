"""The catalog: books on sale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Book(Base):
    """A title on sale; its price is the only price the shop ever charges."""

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
