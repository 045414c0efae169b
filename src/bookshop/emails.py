"""What the shop tells its customers by email, each queued once through the outbox, in text and
HTML from templates/email/. Both are rendered when the email is queued, in the order's
transaction: they tell the order's state at that moment, however late the email is sent."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from .mailer import queue_email
from .models import Email, Order, Refund, Shipment
from .money import format_money
from .wording import local_time

TEMPLATES = Path(__file__).parent / "templates" / "email"


@functools.cache
def _environment() -> Environment:
    # Its own environment, so emails can be queued wherever the domain runs (requests, commands,
    # the worker) with or without a Flask app; HTML escaped, text left as written.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["money"] = format_money
    env.filters["local_time"] = local_time
    return env


def render(kind: str, **context: Any) -> tuple[str, str]:
    """The text and the HTML of an email from templates/email/<kind>.txt and .html."""
    env = _environment()
    text = env.get_template(f"{kind}.txt").render(**context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"  # optional parts leave no gaps
    return text, env.get_template(f"{kind}.html").render(**context)


def queue_order_paid(session: Session, order: Order) -> Email | None:
    """The order-confirmation email, once per order: when it is paid, or when the card is
    authorized (then charged when the books ship)."""
    subject = f"Your Bookshop order {order.reference} is confirmed"
    text, html = render(
        "order_paid", **_common(order, subject), authorized=order.status == "authorized"
    )
    return queue_email(session, order, "order_paid", f"order_paid:{order.id}", subject, text, html)


def queue_order_refunded(session: Session, order: Order, refund: Refund) -> Email | None:
    """The refund email, once per refund: what was refunded, and where the order stands now."""
    subject = f"Refund for your Bookshop order {order.reference}"
    refunded_lines = [
        (rl.quantity, rl.order_line.title, rl.quantity * rl.order_line.unit_amount)
        for rl in refund.lines
        if rl.order_line is not None
    ]
    paid_total = sum(p.amount_received for p in order.payments)
    refunded_total = sum(r.amount for r in order.refunds if r.status == "succeeded")
    text, html = render(
        "order_refunded",
        **_common(order, subject),
        refund=refund,
        refunded_lines=refunded_lines,
        paid_total=paid_total,
        refunded_total=refunded_total,
        fully_refunded=order.status == "refunded" or refunded_total >= paid_total > 0,
    )
    return queue_email(session, order, "order_refunded", f"refund:{refund.id}", subject, text, html)


def queue_order_shipped(session: Session, order: Order, shipment: Shipment) -> Email | None:
    """The books are on their way: what shipped, how to follow it, what was charged."""
    subject = f"Your Bookshop order {order.reference} has shipped"
    shipped = [
        (sl.quantity, sl.order_line.title) for sl in shipment.lines if sl.order_line is not None
    ]
    text, html = render(
        "order_shipped", **_common(order, subject), shipment=shipment, shipped=shipped
    )
    return queue_email(
        session, order, "order_shipped", f"shipped:{shipment.id}", subject, text, html
    )


def queue_refund_failed(session: Session, order: Order, refund: Refund) -> Email | None:
    """A refund the bank reported as done failed after all: the money did not go back."""
    subject = f"Your refund for order {order.reference} did not go through"
    text, html = render("refund_failed", **_common(order, subject), refund=refund)
    return queue_email(
        session, order, "refund_failed", f"refund_failed:{refund.id}", subject, text, html
    )


def queue_hold_expired(session: Session, order: Order) -> Email | None:
    """The card's hold ran out before the books could ship: nothing was charged."""
    subject = f"Your Bookshop order {order.reference} was not charged"
    text, html = render("hold_expired", **_common(order, subject))
    return queue_email(
        session, order, "hold_expired", f"hold_expired:{order.id}", subject, text, html
    )


def _common(order: Order, subject: str) -> dict[str, Any]:
    """What every email shows: the order, where its books go, the link to its page."""
    place = ", ".join(
        part
        for part in (
            order.ship_to_line1,
            order.ship_to_line2,
            order.ship_to_city,
            order.ship_to_state,
            order.ship_to_postal_code,
            order.ship_to_country,
        )
        if part
    )
    return {"order": order, "subject": subject, "place": place, "order_url": _order_url(order)}


def _order_url(order: Order) -> str:
    # SHOP_URL only, never the request's Host header: a forged Host must not end up in an email.
    base = current_app.config.get("SHOP_URL") or "" if has_app_context() else ""
    return f"{base.rstrip('/')}/orders/{order.token}" if base else ""
