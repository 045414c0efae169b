"""What customers read: dates in the shop's time zone, and the order's timeline, payments and
refunds in their words. The domain keeps its technical notes (Stripe ids, statuses) for staff and
logs; this module turns them into sentences at the moment a page or an email is made."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from .catalog.version import LOW_STOCK_SHOWN
from .models import Order, OrderEvent

DEFAULT_TIME_ZONE = "Asia/Singapore"


STATUS_WORDS = {
    "pending_payment": "Waiting for payment",
    "processing": "Your bank is confirming the payment",
    "authorized": "Card authorized: charged when the books ship",
    "paid": "Paid",
    "canceled": "Canceled",
    "partially_refunded": "Partly refunded",
    "refunded": "Refunded",
    "disputed": "Payment questioned with your bank",
    "won": "Bank decided: the payment stands",
    "lost": "Bank decided: the payment was returned to you",
}
FULFILMENT_WORDS = {
    "unfulfilled": "Not shipped yet",
    "partially_shipped": "Partly shipped",
    "shipped": "Shipped",
    "delivered": "Delivered",
}
# A PaymentIntent's status, for the order's list of payments.
PAYMENT_WORDS = {
    "requires_payment_method": "not paid yet",
    "requires_confirmation": "not paid yet",
    "requires_action": "waiting for your bank's check",
    "processing": "your bank is confirming it",
    "requires_capture": "authorized on your card",
    "succeeded": "received",
    "canceled": "canceled: nothing taken",
}
REFUND_WORDS = {
    "pending": "on its way",
    "requires_action": "on its way",
    "succeeded": "sent to your card",
    "failed": "could not be sent: we will contact you",
    "canceled": "canceled",
}

# The domain's notes (orders/*.py) and what the customer reads instead; the first match wins.
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"^placed$", "Order placed"),
        (r"^payment \S+ processing$", "Your bank is confirming the payment"),
        (r"^payment \S+ failed$", "The payment did not go through"),
        (r"^payment \S+ authorized", "Card authorized: we charge it when the books ship"),
        (r"^payment \S+ succeeded$", "Payment received"),
        (r"^payment \S+ captured$", "Card charged"),
        (
            r"^payment \S+: the card's hold ran out",
            "The hold on your card ran out before the books shipped: nothing was charged",
        ),
        (r"^payment \S+ canceled$", "Payment canceled: no money was taken"),
        (r"^expired", "Canceled: not paid in time, no money was taken"),
        (r"^canceled by the customer before shipping", "You canceled books before they shipped"),
        (r"^canceled by the customer", "You canceled the order: no money was taken"),
        (r"^not shipped, released", "Books we could not ship were taken off the order"),
        (r"^refund \S+ succeeded$", "Refund sent to your card"),
        (r"^dispute \S+ opened", "You questioned the payment with your bank"),
        (r"^dispute \S+ won$", "Your bank decided the payment stands"),
        (r"^dispute \S+ lost$", "Your bank returned the payment to you"),
        (r"^shipped with (.+), (.+)$", r"Shipped with \1, tracking number \2"),
        (r"^delivered$", "Delivered"),
    )
)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the order's timeline as the customer reads it."""

    at: datetime
    text: str
    kind: str  # the status it moved to, or "attempt-failed"
    detail: str = ""  # why an attempt failed, in the card issuer's words


def time_zone() -> ZoneInfo:
    """The shop's time zone (SHOP_TIME_ZONE), for every date a customer reads."""
    name = current_app.config.get("SHOP_TIME_ZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIME_ZONE)


def local_time(value: datetime | None, style: str = "datetime") -> str:
    """A stored UTC time as the shop's customers read it: "3 Dec 2026" ("date"), or
    "3 Dec 2026, 14:05 Singapore time" ("datetime")."""
    if value is None:
        return ""
    zone = time_zone()
    local = value.astimezone(zone)
    day = f"{local.day} {local:%b %Y}"
    if style == "date":
        return day
    place = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{day}, {local:%H:%M} {place} time"


def customer_note(event: OrderEvent) -> str:
    """The timeline's words for one recorded move (never a Stripe id or status word)."""
    for pattern, words in _NOTES:
        match = pattern.search(event.note or "")
        if match:
            return match.expand(words) if "\\" in words else words
    if event.track == "fulfilment":
        return FULFILMENT_WORDS.get(event.to_status, "Delivery updated")
    return STATUS_WORDS.get(event.to_status, "Order updated")


def timeline(order: Order) -> list[TimelineEntry]:
    """The order's story, oldest first: its moves and the attempts to pay that failed."""
    entries = [
        TimelineEntry(event.created_at, customer_note(event), event.to_status)
        for event in order.events
    ]
    for payment in order.payments:
        if payment.failed_at is not None and payment.failure_message:
            entries.append(
                TimelineEntry(
                    payment.failed_at,
                    "A payment attempt did not go through",
                    "attempt-failed",
                    payment.failure_message,
                )
            )
    return sorted(entries, key=lambda entry: entry.at)


def init_app(app: Flask) -> None:
    """The template filters and globals the pages and emails use."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_global(timeline, "timeline")
    app.jinja_env.globals.update(
        STATUS_WORDS=STATUS_WORDS,
        FULFILMENT_WORDS=FULFILMENT_WORDS,
        PAYMENT_WORDS=PAYMENT_WORDS,
        REFUND_WORDS=REFUND_WORDS,
        LOW_STOCK_SHOWN=LOW_STOCK_SHOWN,
    )
