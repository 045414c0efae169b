"""Fulfilment: which books ship, what an authorization is captured for when they do, books let go
before the money was taken, and delivery. Money and books move on separate tracks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import emails
from ..models import Order, OrderEvent, Payment, Shipment, ShipmentLine
from ..payments.objects import IntentStatus
from .delivery import address_of
from .errors import OrderError
from .statuses import (
    FULFILMENT_TRACK,
    SHIPPABLE,
    FulfilmentStatus,
    OrderStatus,
    fulfilment_transition,
)
from .stock import release_stock

log = logging.getLogger(__name__)

CARRIER_LIMIT = 60
TRACKING_LIMIT = 60
TRACKING_URL_LIMIT = 500
# Staff are warned this long before a card's hold runs out.
HOLD_WARNING = timedelta(days=2)


@dataclass(frozen=True)
class ShipmentPlan:
    """What shipping comes to: copies per order line that ship, copies let go (an authorization
    can be captured once, so what does not ship now never will), and the amount to capture."""

    shipped: Mapping[int, int]  # order line id -> copies
    let_go: Mapping[int, int]  # order line id -> copies canceled (authorized orders only)
    capture_amount: int | None  # None: the money was taken already


def plan_shipment(
    order: Order, quantities: Mapping[int, int] | None, capturing: bool | None = None
) -> ShipmentPlan:
    """Check that the order can ship these copies (all that are left, with None) and price the
    capture; OrderError with a clear message otherwise. `capturing` (default: the order is
    authorized) says that this shipment takes the money, so what does not ship is let go."""
    if order.status not in SHIPPABLE:
        raise OrderError(f"Order {order.reference} is {_words(order.status)}, so it cannot ship.")
    if order.fulfilment_status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED):
        raise OrderError(f"Order {order.reference} has already shipped.")
    if address_of(order) is None:
        raise OrderError(f"Order {order.reference} has no delivery address yet.")
    lines = {line.id: line for line in order.lines}
    if quantities is None:
        wanted = {line.id: line.to_ship for line in order.lines if line.to_ship > 0}
    else:
        wanted = {line_id: q for line_id, q in quantities.items() if q}
        for line_id, quantity in wanted.items():
            line = lines.get(line_id)
            if line is None:
                raise OrderError("That book is not part of this order.", field="quantity")
            if not 0 < quantity <= line.to_ship:
                raise OrderError(
                    f"At most {line.to_ship} of “{line.title}” can ship.", field="quantity"
                )
    if not wanted:
        raise OrderError("Please choose at least one book to ship.", field="quantity")
    if capturing is None:
        capturing = order.status == OrderStatus.AUTHORIZED
    if not capturing:
        return ShipmentPlan(shipped=wanted, let_go={}, capture_amount=None)
    let_go = {
        line.id: line.to_ship - wanted.get(line.id, 0)
        for line in order.lines
        if line.to_ship - wanted.get(line.id, 0) > 0
    }
    books = sum(lines[line_id].unit_amount * q for line_id, q in wanted.items())
    return ShipmentPlan(shipped=wanted, let_go=let_go, capture_amount=books + order.shipping_amount)


def books_let_go(session: Session, order: Order, quantities: Mapping[int, int], cause: str) -> None:
    """Copies dropped before the money was taken: back on the shelf, off the order's total (the
    hold is captured for less). The caller holds the order's lock."""
    for line in order.lines:
        copies = quantities.get(line.id, 0)
        if not copies:
            continue
        if copies > line.to_ship:
            raise OrderError(f"At most {line.to_ship} of “{line.title}” can be let go.")
        line.canceled_quantity += copies
        release_stock(session, line.book_id, copies)
    order.total_amount = order.items_amount + order.shipping_amount
    names = ", ".join(
        f"{q} × {line.title}" for line in order.lines if (q := quantities.get(line.id))
    )
    session.add(
        OrderEvent(
            order=order,
            track=FULFILMENT_TRACK,
            from_status=order.fulfilment_status,
            to_status=order.fulfilment_status,
            note=f"{cause}: {names}"[:500],
        )
    )


def shipment_recorded(
    session: Session,
    order: Order,
    plan: ShipmentPlan,
    carrier: str,
    tracking_number: str,
    tracking_url: str | None,
) -> Shipment:
    """The books left: a shipment with its tracking, the order's fulfilment status moved, and the
    shipped email queued. The caller holds the order's lock and has applied any capture."""
    if plan.let_go:
        books_let_go(session, order, plan.let_go, "not shipped, released from the card's hold")
    shipment = Shipment(
        order=order,
        carrier=carrier,
        tracking_number=tracking_number,
        tracking_url=tracking_url,
        lines=[ShipmentLine(order_line_id=i, quantity=q) for i, q in plan.shipped.items()],
    )
    session.add(shipment)
    for line in order.lines:
        line.shipped_quantity += plan.shipped.get(line.id, 0)
    left = any(line.to_ship > 0 for line in order.lines)
    to = FulfilmentStatus.PARTIALLY_SHIPPED if left else FulfilmentStatus.SHIPPED
    fulfilment_transition(session, order, to, f"shipped with {carrier}, {tracking_number}")
    session.flush()
    emails.queue_order_shipped(session, order, shipment)
    return shipment


def order_delivered(session: Session, order: Order) -> None:
    """The carrier delivered the order."""
    if order.fulfilment_status != FulfilmentStatus.SHIPPED:
        raise OrderError(f"Order {order.reference} has not shipped, so it cannot be delivered.")
    fulfilment_transition(session, order, FulfilmentStatus.DELIVERED, "delivered")


def parse_tracking(carrier: object, number: object, url: object) -> tuple[str, str, str | None]:
    """Carrier, tracking number and (optional) tracking URL, checked; OrderError otherwise."""
    carrier_text = carrier.strip() if isinstance(carrier, str) else ""
    number_text = number.strip() if isinstance(number, str) else ""
    url_text = url.strip() if isinstance(url, str) else ""
    if not carrier_text or len(carrier_text) > CARRIER_LIMIT or not carrier_text.isprintable():
        raise OrderError("Please name the carrier.", field="carrier")
    if not number_text or len(number_text) > TRACKING_LIMIT or not number_text.isprintable():
        raise OrderError("Please enter the tracking number.", field="tracking")
    if url_text and (
        len(url_text) > TRACKING_URL_LIMIT
        or not url_text.startswith(("https://", "http://"))
        or not url_text.isprintable()
        or " " in url_text
    ):
        raise OrderError("The tracking link must be a web address.", field="tracking_url")
    return carrier_text, number_text, url_text or None


def holds_running_out(
    session: Session, now: datetime, within: timedelta = HOLD_WARNING
) -> list[Order]:
    """Authorized orders whose card hold runs out within `within`, soonest first."""
    return list(
        session.scalars(
            select(Order)
            .join(Payment, Payment.order_id == Order.id)
            .where(
                Order.status == OrderStatus.AUTHORIZED,
                Payment.status == IntentStatus.REQUIRES_CAPTURE,
                Payment.capture_before.is_not(None),
                Payment.capture_before <= now + within,
            )
            .order_by(Payment.capture_before)
        )
    )


def _words(status: str) -> str:
    return status.replace("_", " ")
