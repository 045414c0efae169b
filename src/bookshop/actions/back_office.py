"""What staff do to an order from the back office: ship, mark delivered, cancel, refund (all, some
books, or an amount), resend an email, add a note. Each is the customer's or the shop's own
action plus an audit entry with the order's state before and after."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import mailer, orders
from ..models import Email, Order, OrderNote, Refund
from ..orders import FulfilmentStatus, OrderError, OrderStatus
from . import canceling, fulfilment, refunding
from .staff import Actor, audit

log = logging.getLogger(__name__)

# Stripe's refund reasons (anything else is refused by Stripe).
REFUND_REASONS = ("requested_by_customer", "duplicate", "fraudulent")
NOTE_LIMIT = 2000
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def order_state(order: Order) -> dict[str, Any]:
    """The facts about an order the audit log keeps before and after an action."""
    money = orders.balance(order)
    return {
        "status": order.status,
        "fulfilment_status": order.fulfilment_status,
        "total": order.total_amount,
        "paid": money.paid,
        "refunded": money.refunded,
        "pending_refunds": money.pending_refunds,
    }


def ship(
    session: Session,
    actor: Actor,
    order: Order,
    quantities: Mapping[int, int] | None,
    carrier: str,
    tracking: str,
    tracking_url: str | None,
) -> None:
    """Ship the order (an authorization is captured first) and record who did it."""
    before = order_state(order)
    shipment = fulfilment.ship_order(session, order, quantities, carrier, tracking, tracking_url)
    session.refresh(order)
    after = order_state(order) | {
        "shipment": shipment.id,
        "carrier": shipment.carrier,
        "tracking": shipment.tracking_number,
        "copies": {str(line.order_line_id): line.quantity for line in shipment.lines},
    }
    audit(session, actor, "order.ship", ("order", order.reference), before, after)
    session.commit()


def deliver(session: Session, actor: Actor, order: Order) -> None:
    """Mark the order delivered."""
    before = order_state(order)
    fulfilment.mark_delivered(session, order)
    audit(session, actor, "order.deliver", ("order", order.reference), before, order_state(order))
    session.commit()


def cancel(session: Session, actor: Actor, order: Order) -> None:
    """Cancel an order no money was taken for: unpaid, or authorized and not yet shipped (the
    card's hold is released). Paid orders are refunded instead."""
    before = order_state(order)
    if order.status == OrderStatus.PENDING_PAYMENT:
        canceling.cancel_order(session, order)
    elif order.status == OrderStatus.AUTHORIZED:
        if order.fulfilment_status != FulfilmentStatus.UNFULFILLED:
            raise OrderError("Part of this order has shipped: refund what is left instead.")
        fulfilment.let_go_books(session, order, None)
    elif order.status == OrderStatus.PROCESSING:
        raise OrderError("The bank is still confirming this payment: wait for its answer.")
    else:
        raise OrderError("Money was taken for this order, so it is refunded rather than canceled.")
    session.refresh(order)
    audit(session, actor, "order.cancel", ("order", order.reference), before, order_state(order))
    session.commit()


def refund(
    session: Session,
    actor: Actor,
    order: Order,
    *,
    quantities: Mapping[int, int] | None,
    amount: int | None,
    reason: str,
    note: str,
    request_id: str,
    expected_amount: int | None = None,
) -> Refund:
    """Refund everything left (no quantities, no amount), chosen books, or an amount without
    books. The ledger row and the audit entry are committed before Stripe is asked, so a
    double submit finds the row and Stripe's silence leaves it pending (retried later)."""
    if reason not in REFUND_REASONS:
        raise OrderError("Please choose a reason.", field="reason")
    if not note.strip():
        raise OrderError("Please say why, for the order's notes.", field="note")
    if not REQUEST_ID.fullmatch(request_id):
        raise OrderError("This form is out of date. Please start the refund again.")
    key = f"refund-{order.reference}-staff-{request_id}"
    if session.scalar(select(Refund.id).where(Refund.idempotency_key == key)) is not None:
        raise OrderError("This refund was already requested.")
    orders.lock_order(session, order)
    before = order_state(order)
    if amount is not None:
        plan = orders.plan_amount_refund(order, amount)
    else:
        plan = orders.plan_refund(order, quantities or None)
    if expected_amount is not None and plan.amount != expected_amount:
        raise OrderError("What is left to refund changed meanwhile. Please review it again.")
    row = orders.refund_requested(session, order, plan, idempotency_key=key, reason=reason)
    words = _copies(order, plan.quantities) if plan.quantities else "an amount, no books"
    _note(session, actor, order, f"Refund of {_money(plan.amount, order)} ({words}): {note}")
    audit(
        session,
        actor,
        "order.refund",
        ("order", order.reference),
        before,
        {
            "refund": row.id,
            "amount": plan.amount,
            "copies": {str(k): v for k, v in plan.quantities.items()},
            "reason": reason,
            "note": note[:NOTE_LIMIT],
        },
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise OrderError("This refund was already requested.") from None
    return refunding.submit_refund(session, row)


def add_note(session: Session, actor: Actor, order: Order, body: str) -> OrderNote:
    """An internal note on the order (never shown to the customer)."""
    text = body.strip()
    if not text:
        raise OrderError("The note is empty.", field="note")
    if len(text) > NOTE_LIMIT:
        raise OrderError(f"Notes are at most {NOTE_LIMIT} characters.", field="note")
    note = _note(session, actor, order, text)
    session.flush()
    audit(session, actor, "order.note", ("order", order.reference), None, {"note": note.id})
    session.commit()
    return note


def resend_email(session: Session, actor: Actor, order: Order, email_id: int) -> Email:
    """Queue a copy of an email the order was sent (sent after the request, like the first)."""
    original = session.get(Email, email_id)
    if original is None or original.order_id != order.id:
        raise OrderError("That email is not one of this order's.")
    key = f"{original.dedupe_key}:resend:{secrets.token_hex(6)}"
    copy = mailer.queue_email(
        session, order, original.kind, key[:200], original.subject, original.body
    )
    if copy is None:  # the key is random: only a collision lands here
        raise OrderError("Please try again.")
    session.flush()
    audit(
        session,
        actor,
        "order.resend_email",
        ("order", order.reference),
        None,
        {"email": original.id, "copy": copy.id, "kind": original.kind},
    )
    session.commit()
    return copy


def _note(session: Session, actor: Actor, order: Order, text: str) -> OrderNote:
    note = OrderNote(
        order=order, staff_id=actor.staff_id, author_email=actor.email, body=text[:NOTE_LIMIT]
    )
    session.add(note)
    return note


def _copies(order: Order, quantities: Mapping[int, int]) -> str:
    return ", ".join(
        f"{q} × {line.title}" for line in order.lines if (q := quantities.get(line.id))
    )


def _money(amount: int, order: Order) -> str:
    from ..money import format_money

    return format_money(amount, order.currency)
