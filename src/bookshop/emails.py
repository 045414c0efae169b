"""What the shop tells its customers by email, each queued once through the outbox."""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy.orm import Session

from .mailer import queue_email
from .models import Email, Order, Refund
from .money import format_money


def queue_order_paid(session: Session, order: Order) -> Email | None:
    """The order-confirmation email, once per order."""
    lines = [
        f"  {line.quantity} × {line.title}  {format_money(line.line_amount, order.currency)}"
        for line in order.lines
    ]
    body = "\n".join(
        [
            "Thank you for your order.",
            "",
            f"Order {order.reference}",
            *lines,
            f"  Total paid: {format_money(order.total_amount, order.currency)}",
            "",
            *_order_link(order),
            "Bookshop",
        ]
    )
    return queue_email(
        session,
        order,
        "order_paid",
        f"order_paid:{order.id}",
        f"Your Bookshop order {order.reference} is confirmed",
        body,
    )


def queue_order_refunded(session: Session, order: Order, refund: Refund) -> Email | None:
    """The refund email, once per refund."""
    returned = [
        f"  {rl.quantity} × {rl.order_line.title}"
        for rl in refund.lines
        if rl.order_line is not None
    ]
    body = "\n".join(
        [
            f"We have refunded {format_money(refund.amount, refund.currency)} "
            f"for your order {order.reference}.",
            *(["", "Returned:", *returned] if returned else []),
            "",
            "The money usually reaches your card within 5–10 business days.",
            "",
            *_order_link(order),
            "Bookshop",
        ]
    )
    return queue_email(
        session,
        order,
        "order_refunded",
        f"refund:{refund.id}",
        f"Refund for your Bookshop order {order.reference}",
        body,
    )


def _order_link(order: Order) -> list[str]:
    base = ""
    if has_app_context():
        base = current_app.config.get("SHOP_URL") or ""
    if not base and has_request_context():
        base = request.host_url
    if not base:
        return []
    return ["See your order at any time:", f"{base.rstrip('/')}/orders/{order.token}", ""]
