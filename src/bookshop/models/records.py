"""What the shop keeps about the outside world: Stripe's events and the email outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .orders import Order


class StripeEvent(Base):
    """A webhook event received from Stripe, stored before acting so each is handled once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_...
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(255))
    api_created: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Stripe's `created`
    payload: Mapped[str | None] = mapped_column(Text)  # the raw JSON as received
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class Email(Base):
    """The outbox: one row per email the shop owes; the unique dedupe key makes it one per event."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # order_paid | order_refunded | ...
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. "order_paid:42"
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The same email in HTML, rendered when it is queued like the text: it tells the order's
    # state at the moment of the event, however late it is sent. None for older rows.
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a sender claims the row (before sending); cleared again if sending fails.
    # Indexed: every sender looks for the unsent rows, a few among all the sent ones.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order | None] = relationship()
