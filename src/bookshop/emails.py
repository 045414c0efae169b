"""What the shop tells its customers by email, each queued once through the outbox."""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy.orm import Session

from .mailer import queue_email
from .models import Email, Order, Refund, Shipment
from .money import format_money


def queue_order_paid(session: Session, order: Order) -> Email | None:
    """The order-confirmation email, once per order: when it is paid, or when the card is
    authorized (then charged when the books ship)."""
    authorized = order.status == "authorized"
    total = format_money(order.total_amount, order.currency)
    body = "\n".join(
        [
            "Thank you for your order.",
            "",
            f"Order {order.reference}",
            *_order_lines(order),
            f"  {'Total, held on your card' if authorized else 'Total paid'}: {total}",
            "",
            *(["We charge your card when your books ship.", ""] if authorized else []),
            *_delivery(order),
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


def queue_refund_failed(session: Session, order: Order, refund: Refund) -> Email | None:
    """A refund the bank reported as done failed after all: the money did not go back."""
    amount = format_money(refund.amount, refund.currency)
    body = "\n".join(
        [
            f"We are sorry: the refund of {amount} for your order {order.reference} did not "
            "reach your card after all. Your bank sent it back to us.",
            "",
            "Nothing is lost: we will contact you to return the money another way, and you can "
            "ask for the refund again from your order page.",
            "",
            *_order_link(order),
            "Bookshop",
        ]
    )
    return queue_email(
        session,
        order,
        "refund_failed",
        f"refund_failed:{refund.id}",
        f"Your refund for order {order.reference} did not go through",
        body,
    )


def queue_order_shipped(session: Session, order: Order, shipment: Shipment) -> Email | None:
    """The books are on their way: what shipped, how to follow it, what was charged."""
    shipped = [
        f"  {sl.quantity} × {sl.order_line.title}"
        for sl in shipment.lines
        if sl.order_line is not None
    ]
    follow = [f"Carrier: {shipment.carrier}", f"Tracking number: {shipment.tracking_number}"]
    if shipment.tracking_url:
        follow.append(f"Follow it: {shipment.tracking_url}")
    charged = format_money(order.total_amount, order.currency)
    body = "\n".join(
        [
            f"Good news: books from your order {order.reference} are on their way.",
            "",
            *shipped,
            "",
            *follow,
            "",
            *(
                [f"We have now charged your card {charged}.", ""]
                if order.capture_method == "manual"
                else []
            ),
            *_delivery(order),
            *_order_link(order),
            "Bookshop",
        ]
    )
    return queue_email(
        session,
        order,
        "order_shipped",
        f"shipped:{shipment.id}",
        f"Your Bookshop order {order.reference} has shipped",
        body,
    )


def queue_hold_expired(session: Session, order: Order) -> Email | None:
    """The card's hold ran out before the books could ship: nothing was charged."""
    body = "\n".join(
        [
            f"We could not ship your order {order.reference} in time, and the hold on your "
            "card has now been released: nothing was charged.",
            "",
            "We are sorry. If you still want these books, you can order them again:",
            *_order_lines(order),
            "",
            *_order_link(order),
            "Bookshop",
        ]
    )
    return queue_email(
        session,
        order,
        "hold_expired",
        f"hold_expired:{order.id}",
        f"Your Bookshop order {order.reference} was not charged",
        body,
    )


def _order_lines(order: Order) -> list[str]:
    lines = [
        f"  {line.kept_quantity} × {line.title}  {format_money(line.line_amount, order.currency)}"
        for line in order.lines
        if line.kept_quantity
    ]
    if order.shipping_label:
        shipping = format_money(order.shipping_amount, order.currency)
        lines.append(f"  Delivery: {order.shipping_label}  {shipping}")
    return lines


def _delivery(order: Order) -> list[str]:
    """Where the books go and when they should arrive, once the customer said."""
    if not order.ship_to_name:
        return []
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
    estimate = f" ({order.shipping_estimate})" if order.shipping_estimate else ""
    return [f"Delivery to {order.ship_to_name}, {place}{estimate}", ""]


def _order_link(order: Order) -> list[str]:
    base = ""
    if has_app_context():
        base = current_app.config.get("SHOP_URL") or ""
    if not base and has_request_context():
        base = request.host_url
    if not base:
        return []
    return ["See your order at any time:", f"{base.rstrip('/')}/orders/{order.token}", ""]
