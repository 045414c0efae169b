"""Order statuses, the one function that moves them, and the domain actions named after events."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Book, Order, OrderEvent, OrderLine, Payment
from .payments import PaymentIntent

log = logging.getLogger(__name__)

MAX_QUANTITY = 10
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


class OrderStatus(StrEnum):
    """Where an order stands; every change goes through transition()."""

    PENDING_PAYMENT = "pending_payment"  # placed, waiting for the customer to pay
    PROCESSING = "processing"  # payment submitted, the bank has not confirmed it yet
    PAID = "paid"  # the money was received
    CANCELED = "canceled"  # given up before any money was taken
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part of the money was returned
    REFUNDED = "refunded"  # paid, then all of the money was returned


# The legal moves. Anything else is a bug or an out-of-order message and is refused.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PROCESSING, OrderStatus.PAID, OrderStatus.CANCELED}
    ),
    OrderStatus.PROCESSING: frozenset(
        {OrderStatus.PAID, OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class OrderError(ValueError):
    """A request the shop refuses; the message is safe to show to the customer."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class IllegalTransition(RuntimeError):
    """An order was asked to move to a status it cannot reach from where it is."""


@dataclass(frozen=True)
class LineRequest:
    """What the browser may say about a line: which book and how many. Never a price."""

    book: Book
    quantity: int


def transition(session: Session, order: Order, to: OrderStatus, note: str = "") -> bool:
    """Move an order to a new status and record it; False when it is already there."""
    current = OrderStatus(order.status)
    if current == to and to not in TRANSITIONS[current]:
        return False
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(f"order {order.reference}: {current} -> {to} is not allowed")
    order.status = to
    session.add(OrderEvent(order=order, from_status=current, to_status=to, note=note[:500]))
    return True


def new_reference() -> str:
    """A short, unguessable order reference such as BK-7QF2-MX4R."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"BK-{chars[:4]}-{chars[4:]}"


def normalise_email(raw: object) -> str:
    """The customer's email, trimmed, or OrderError when it does not look like one."""
    email = raw.strip() if isinstance(raw, str) else ""
    if not email or len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise OrderError("Please enter a valid email address.", field="email")
    return email


def parse_quantity(raw: object) -> int:
    """A quantity from the browser: a whole number from 1 to MAX_QUANTITY."""
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise OrderError("Please choose a quantity.", field="quantity")
    try:
        quantity = int(raw)
    except ValueError:
        raise OrderError("Please choose a quantity.", field="quantity") from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise OrderError(f"You can order 1 to {MAX_QUANTITY} copies.", field="quantity")
    return quantity


def price_lines(lines: Sequence[LineRequest]) -> tuple[int, str]:
    """The order total and currency, from the catalog's prices only."""
    if not lines:
        raise OrderError("Your order is empty.")
    currencies = {line.book.currency for line in lines}
    if len(currencies) != 1:
        raise OrderError("Books priced in different currencies cannot share an order.")
    total = sum(line.book.price_amount * line.quantity for line in lines)
    return total, currencies.pop()


def describe_lines(lines: Sequence[LineRequest]) -> str:
    """A short text naming what is bought, for Stripe's metadata and description."""
    text = ", ".join(f"{line.book.slug} x{line.quantity}" for line in lines)
    return text if len(text) <= 500 else text[:497] + "..."


def place_order(
    session: Session, lines: Sequence[LineRequest], email: str, reference: str
) -> Order:
    """A customer commits to buy: the order is created, waiting for payment."""
    total, currency = price_lines(lines)
    order = Order(
        reference=reference,
        email=email,
        currency=currency,
        total_amount=total,
        status=OrderStatus.PENDING_PAYMENT,
        lines=[
            OrderLine(
                book=line.book,
                title=line.book.title,
                unit_amount=line.book.price_amount,
                quantity=line.quantity,
            )
            for line in lines
        ],
    )
    session.add(order)
    session.add(OrderEvent(order=order, from_status=None, to_status=order.status, note="placed"))
    return order


def payment_started(session: Session, order: Order, intent: PaymentIntent) -> Payment:
    """A PaymentIntent was created for the order."""
    payment = Payment(
        order=order,
        payment_intent_id=intent.id,
        amount=intent.amount,
        amount_received=intent.amount_received,
        currency=intent.currency,
        status=intent.status,
    )
    session.add(payment)
    return payment


def find_payment(session: Session, payment_intent_id: str) -> Payment | None:
    """The shop's record of a PaymentIntent, if the shop created it."""
    return session.scalars(
        select(Payment).where(Payment.payment_intent_id == payment_intent_id)
    ).one_or_none()


def payment_updated(session: Session, payment: Payment, intent: PaymentIntent) -> Order:
    """Stripe reported the PaymentIntent's current state: mirror it and move the order."""
    payment.status = intent.status
    payment.amount_received = intent.amount_received
    order = payment.order
    current = OrderStatus(order.status)
    if intent.status == "succeeded":
        _payment_succeeded(session, order, payment, intent)
    elif intent.status == "processing" and current == OrderStatus.PENDING_PAYMENT:
        transition(session, order, OrderStatus.PROCESSING, f"payment {intent.id} processing")
    elif intent.status == "requires_payment_method" and current == OrderStatus.PROCESSING:
        transition(session, order, OrderStatus.PENDING_PAYMENT, f"payment {intent.id} failed")
    elif intent.status == "canceled" and current in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PROCESSING,
    ):
        if not any(p.status == "succeeded" for p in order.payments):
            transition(session, order, OrderStatus.CANCELED, f"payment {intent.id} canceled")
    return order


def _payment_succeeded(
    session: Session, order: Order, payment: Payment, intent: PaymentIntent
) -> None:
    if OrderStatus(order.status) not in (OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING):
        return  # already paid (or later): a repeated confirmation changes nothing
    if intent.currency != order.currency or intent.amount_received < order.total_amount:
        # Never mark paid on a short or foreign-currency payment; someone must look at it.
        log.error(
            "order %s: payment %s received %s %s for a total of %s %s; not marked paid",
            order.reference,
            intent.id,
            intent.amount_received,
            intent.currency,
            order.total_amount,
            order.currency,
        )
        return
    transition(session, order, OrderStatus.PAID, f"payment {intent.id} succeeded")
