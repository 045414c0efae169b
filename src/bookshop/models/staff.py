"""The back office's tables: staff accounts and their sessions, the audit log, internal notes on
orders, answers to disputes, and past reconciliation reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .orders import Dispute, Order
from .records import StripeEvent

STAFF_ROLES = ("admin", "staff")


class StaffUser(Base):
    """Someone who runs the shop: a role, an Argon2 password hash and, for admins, TOTP."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'staff')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    role: Mapped[str] = mapped_column(String(16))
    # None until the person chooses a password through their one-time link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # SHA-256 of the one-time set-password token, and when it stops working.
    password_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The TOTP secret (base32); enabled once a first code proved the authenticator has it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # JSON list of SHA-256 hashes of the unused recovery codes.
    recovery_codes: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_admin(self) -> bool:
        """Admins may move money, edit the catalog and replay events."""
        return self.role == "admin"


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, the row its hash."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    # False between the password and the second factor.
    second_factor_done: Mapped[bool] = mapped_column(default=False)
    factor_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the password (and code) were last typed: money actions want this to be recent.
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[StaffUser] = relationship()


class AuditEntry(Base):
    """One staff action: who, what, on what, when, and the state before and after (JSON)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_target", "target_type", "target_id"),
        Index("ix_audit_entries_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    # Kept as text too, so the entry still says who after an account is gone.
    staff_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))  # e.g. "order.refund", "book.stock"
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderNote(Base):
    """An internal note on an order, never shown to the customer."""

    __tablename__ = "order_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    author_email: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class DisputeResponse(Base):
    """The evidence staff sent Stripe for a dispute (its due date is on the dispute)."""

    __tablename__ = "dispute_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), unique=True
    )
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON, as last sent
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    dispute: Mapped[Dispute] = relationship()


class ReconcileReport(Base):
    """A reconciliation run from the back office: its window, counts and the report's text."""

    __tablename__ = "reconcile_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    staff_email: Mapped[str] = mapped_column(String(254))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    repaired: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# The back office's order list sorts by newest first and filters by status, fulfilment and
# email: these indexes keep each page an index range scan at 100,000 orders.
_orders = Order.__table__
Index("ix_orders_created_at_id", _orders.c.created_at, _orders.c.id)
Index("ix_orders_status_created_at_id", _orders.c.status, _orders.c.created_at, _orders.c.id)
Index(
    "ix_orders_fulfilment_status_created_at_id",
    _orders.c.fulfilment_status,
    _orders.c.created_at,
    _orders.c.id,
)
Index("ix_orders_email", _orders.c.email)
# The dashboard: orders to ship (counted without reading the table), and sales per day.
Index(
    "ix_orders_fulfilment_status_status_created_at",
    _orders.c.fulfilment_status,
    _orders.c.status,
    _orders.c.created_at,
)
Index(
    "ix_orders_created_at_sales",
    _orders.c.created_at,
    _orders.c.status,
    _orders.c.currency,
    _orders.c.total_amount,
)
Index("ix_orders_total_amount_id", _orders.c.total_amount, _orders.c.id)
# The event log's page, the dashboard's failure count and the order page's "webhook events that
# touched it" read the events by these.
_events = StripeEvent.__table__
Index("ix_stripe_events_received_at", _events.c.received_at)
Index("ix_stripe_events_object_id", _events.c.object_id)
Index("ix_stripe_events_processed_at", _events.c.processed_at)
