"""Orders and what happens to them: lines, payments, the timeline, refunds and disputes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, new_order_token, utcnow
from .catalog import Book


class Order(Base):
    """What a customer buys: lines priced by the shop, a status, payments and a timeline."""

    __tablename__ = "orders"
    __table_args__ = (CheckConstraint("total_amount >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # shown to the customer
    email: Mapped[str] = mapped_column(String(254))
    currency: Mapped[str] = mapped_column(String(3))
    # Minor units: the lines still ordered plus shipping; what the customer pays.
    total_amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), index=True)  # an orders.OrderStatus value
    # An orders.FulfilmentStatus value: where the books are, apart from the money.
    fulfilment_status: Mapped[str] = mapped_column(
        String(32), index=True, default="unfulfilled", server_default=text("'unfulfilled'")
    )
    # "manual": the card is held and charged when the books ship; "automatic": charged at once.
    capture_method: Mapped[str] = mapped_column(
        String(16), default="automatic", server_default=text("'automatic'")
    )
    # The secret in the customer's order URL (the id and reference are guessable, this is not).
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_order_token)
    # Which browser placed it ("My orders"): a random id from a long-lived signed cookie.
    browser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # When an unpaid order gives its stock back; None once it no longer waits for payment.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery, as the customer chose it at checkout (the option's name and price then).
    shipping_option: Mapped[str | None] = mapped_column(String(40))  # a ShippingOption code
    shipping_label: Mapped[str | None] = mapped_column(String(100))
    shipping_estimate: Mapped[str | None] = mapped_column(String(100))
    shipping_amount: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    ship_to_name: Mapped[str | None] = mapped_column(String(100))
    ship_to_phone: Mapped[str | None] = mapped_column(String(30))
    ship_to_line1: Mapped[str | None] = mapped_column(String(100))
    ship_to_line2: Mapped[str | None] = mapped_column(String(100))
    ship_to_city: Mapped[str | None] = mapped_column(String(60))
    ship_to_state: Mapped[str | None] = mapped_column(String(60))
    ship_to_postal_code: Mapped[str | None] = mapped_column(String(20))
    ship_to_country: Mapped[str | None] = mapped_column(String(2))
    # CHECKOUT_MODE=hosted: the order's latest Checkout Session (cs_…), paid on Stripe's page.
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Refund.id"
    )
    disputes: Mapped[list[Dispute]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Dispute.id"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id"
    )

    @property
    def items_amount(self) -> int:
        """The books still ordered, without shipping."""
        return sum(line.line_amount for line in self.lines)


class OrderLine(Base):
    """One book in an order, with the title and unit price as they were when ordered."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_amount >= 0", name="unit_amount_not_negative"),
        CheckConstraint(
            "canceled_quantity >= 0 AND shipped_quantity >= 0 "
            "AND canceled_quantity + shipped_quantity <= quantity",
            name="quantities_consistent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    unit_amount: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # copies ordered
    # Copies dropped before the money was taken (could not ship, or the customer let them go).
    canceled_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    order: Mapped[Order] = relationship(back_populates="lines")
    book: Mapped[Book] = relationship()

    @property
    def kept_quantity(self) -> int:
        """Copies still ordered (not canceled)."""
        return self.quantity - self.canceled_quantity

    @property
    def to_ship(self) -> int:
        """Copies still ordered that have not shipped yet."""
        return self.kept_quantity - self.shipped_quantity

    @property
    def line_amount(self) -> int:
        """What the copies still ordered cost."""
        return self.unit_amount * self.kept_quantity


class Payment(Base):
    """One Stripe PaymentIntent for an order; its status mirrors Stripe's last known state."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    amount_received: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(40))  # Stripe's PaymentIntent status
    # An authorization: what can still be captured, and until when (the card's hold runs out).
    amount_capturable: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set when Stripe reports money that does not match the order (short, foreign currency):
    # the payment is then not counted as paid, and staff see why.
    problem: Mapped[str | None] = mapped_column(String(300))
    # The last failed attempt to pay with this PaymentIntent, in the words Stripe wrote for the
    # customer (a decline, a failed 3-D Secure check), and when the shop learned of it.
    failure_message: Mapped[str | None] = mapped_column(String(300))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class OrderEvent(Base):
    """One move of an order's financial or fulfilment status, kept forever: the timeline."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # "payment" (the order's money) or "fulfilment" (its books).
    track: Mapped[str] = mapped_column(String(16), default="payment", server_default="payment")
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")

    __table_args__ = (Index("ix_order_events_order_id_id", "order_id", "id"),)


class Refund(Base):
    """Money returned on a payment: one ledger row per refund, whoever started it."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    # Unknown until Stripe answers; a refund made outside the shop arrives with it.
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(Integer)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # an orders.RefundStatus value
    reason: Mapped[str | None] = mapped_column(String(100))
    # The shop's own key for Stripe's create call; None for refunds made outside the shop.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")
    payment: Mapped[Payment] = relationship()
    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.id"
    )


class RefundLine(Base):
    """How many copies of an order line a refund returns (their stock goes back)."""

    __tablename__ = "refund_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)

    refund: Mapped[Refund] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class Dispute(Base):
    """A cardholder's dispute of a payment, mirroring Stripe's dispute object."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)  # dp_...
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(40))  # Stripe's dispute status
    # Stripe's evidence_details.due_by from every dispute event; the disputes list sorts by it.
    evidence_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="disputes")
    payment: Mapped[Payment] = relationship()


class Shipment(Base):
    """Books handed to a carrier: which copies, and how to follow them."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(60))
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )


class ShipmentLine(Base):
    """How many copies of one order line a shipment holds."""

    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()
