"""Order statuses, the one function that moves them, stock, the refund ledger, and the domain
actions named after what happened. Each action is idempotent; callers commit."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import mailer, payments
from .models import Book, Dispute, Order, OrderEvent, OrderLine, Payment, Refund, RefundLine
from .payments import PaymentIntent

log = logging.getLogger(__name__)

MAX_QUANTITY = 10  # per line, unless the caller passes its own limit (CART_MAX_QUANTITY)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_QUANTITY_PATTERN = re.compile(r"[+-]?[0-9]+")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


class OrderStatus(StrEnum):
    """Where an order stands; every change goes through transition()."""

    PENDING_PAYMENT = "pending_payment"  # placed, stock reserved, waiting for the customer to pay
    PROCESSING = "processing"  # payment submitted, the bank has not confirmed it yet
    PAID = "paid"  # the money was received; the stock is sold
    CANCELED = "canceled"  # given up before any money was taken (customer or expiry); stock back
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part of the money was returned
    REFUNDED = "refunded"  # paid, then all of the money was returned
    DISPUTED = "disputed"  # the cardholder disputed the payment; the bank holds the money
    WON = "won"  # the dispute was decided for the shop: the money stays
    LOST = "lost"  # the dispute was decided for the cardholder: the money is gone


S = OrderStatus

# The legal moves. Anything else is a bug or an out-of-order message and is refused.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PROCESSING, S.PAID, S.CANCELED}),
    S.PROCESSING: frozenset({S.PAID, S.PENDING_PAYMENT, S.CANCELED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.DISPUTED: frozenset({S.WON, S.LOST}),
    S.CANCELED: frozenset(),
    S.REFUNDED: frozenset(),
    S.WON: frozenset(),
    S.LOST: frozenset(),
}
# Waiting for money: the stock is reserved and the order may still be paid, canceled or expire.
UNPAID = frozenset({S.PENDING_PAYMENT, S.PROCESSING})
# Money was taken and may be (partly) returned.
REFUNDABLE = frozenset({S.PAID, S.PARTIALLY_REFUNDED})


class RefundStatus(StrEnum):
    """A refund ledger row's state (Stripe's requires_action counts as pending)."""

    PENDING = "pending"  # asked for; counts against what is refundable until it settles
    SUCCEEDED = "succeeded"  # the money went back
    FAILED = "failed"  # the money could not be returned
    CANCELED = "canceled"  # withdrawn before it happened


_STRIPE_REFUND_STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}
# Stripe's dispute statuses that end it; anything else keeps the order disputed.
_DISPUTE_OUTCOMES = {"won": S.WON, "lost": S.LOST}
_DISPUTE_NOT_A_DISPUTE = frozenset({"warning_closed"})  # an early warning that never became one


class OrderError(ValueError):
    """A request the shop refuses; the message is safe to show to the customer."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class OutOfStock(OrderError):
    """Not enough copies left for a line; nothing was reserved."""


class OrderChanged(OrderError):
    """The order moved on meanwhile (another tab, a webhook, expiry); nothing was changed."""

    def __init__(self, message: str = "This order changed meanwhile. Please look again.") -> None:
        super().__init__(message)


class IllegalTransition(RuntimeError):
    """An order was asked to move to a status it cannot reach from where it is."""


@dataclass(frozen=True)
class LineRequest:
    """What the browser may say about a line: which book and how many. Never a price."""

    book: Book
    quantity: int


@dataclass(frozen=True)
class Balance:
    """An order's money, computed from the ledger (payments and refunds), in minor units."""

    paid: int  # received by succeeded payments
    refunded: int  # returned by succeeded refunds
    pending_refunds: int  # asked for, not yet settled

    @property
    def refundable(self) -> int:
        """What can still be returned: pending refunds already count against it."""
        return max(self.paid - self.refunded - self.pending_refunds, 0)

    @property
    def net(self) -> int:
        """What the shop keeps once settled refunds are taken off."""
        return self.paid - self.refunded


# --- statuses -----------------------------------------------------------------------------


def _compare_and_set_status(session: Session, row: Order | Refund, current: str, to: str) -> bool:
    """Move row's status in the database only if it still is `current`; False (row refreshed)
    when someone else moved it first, so that the side effects of a move happen once."""
    session.flush()
    model = type(row)
    result = session.execute(
        update(model)
        .where(model.id == row.id, model.status == current)
        .values(status=to)
        .execution_options(synchronize_session="evaluate")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        return False
    return True


def transition(session: Session, order: Order, to: OrderStatus, note: str = "") -> bool:
    """Move an order to a new status and record it; False when it is already there.

    The move is a compare-and-set on the stored status, so two processes racing to move the
    same order cannot both win: the loser gets OrderChanged and changes nothing.
    """
    current = OrderStatus(order.status)
    if current == to and to not in TRANSITIONS[current]:
        return False
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(f"order {order.reference}: {current} -> {to} is not allowed")
    if not _compare_and_set_status(session, order, current, to):
        raise OrderChanged()
    session.add(OrderEvent(order=order, from_status=current, to_status=to, note=note[:500]))
    return True


# --- input ----------------------------------------------------------------------------------


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


def parse_quantity(raw: object, limit: int = MAX_QUANTITY, default: int | None = 1) -> int:
    """A quantity from the browser: a whole number from 1 to `limit`."""
    if raw is None and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise OrderError("Please choose a quantity.", field="quantity")
    text = str(raw).strip()
    if not _QUANTITY_PATTERN.fullmatch(text):
        raise OrderError("Please enter the quantity as a whole number.", field="quantity")
    # Huge numbers are out of range without being converted (int() of 5,000 digits is refused).
    quantity = int(text) if len(text) <= 6 else limit + 1
    if not 1 <= quantity <= limit:
        raise OrderError(f"You can order 1 to {limit} copies.", field="quantity")
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


def merge_lines(lines: Iterable[LineRequest]) -> list[LineRequest]:
    """One line per book (quantities added), in the catalog's order."""
    merged: dict[int, LineRequest] = {}
    for line in lines:
        seen = merged.get(line.book.id)
        quantity = line.quantity + (seen.quantity if seen else 0)
        merged[line.book.id] = LineRequest(line.book, quantity)
    return sorted(merged.values(), key=lambda line: (line.book.position, line.book.id))


# --- stock ----------------------------------------------------------------------------------


def reserve_stock(session: Session, book: Book, quantity: int) -> bool:
    """Take `quantity` copies off the shelf, or nothing when fewer are left (one UPDATE)."""
    result = session.execute(
        update(Book)
        .where(Book.id == book.id, Book.stock >= quantity)
        .values(stock=Book.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    session.expire(book, ["stock"])
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_stock(session: Session, book_id: int, quantity: int) -> None:
    """Put `quantity` copies back on the shelf."""
    session.execute(
        update(Book)
        .where(Book.id == book_id)
        .values(stock=Book.stock + quantity)
        .execution_options(synchronize_session=False)
    )
    book = session.get(Book, book_id, populate_existing=False)
    if book is not None:
        session.expire(book, ["stock"])


def stock_left(session: Session, book_id: int) -> int:
    """Copies on the shelf now, read from the database (not from a cached object)."""
    return int(session.scalar(select(Book.stock).where(Book.id == book_id)) or 0)


# --- placing and paying -----------------------------------------------------------------------


def place_order(
    session: Session,
    lines: Sequence[LineRequest],
    email: str,
    reference: str,
    *,
    browser_id: str | None = None,
    expires_at: datetime | None = None,
) -> Order:
    """A customer commits to buy: stock is reserved and the order waits for payment.

    Raises OutOfStock when a line cannot be reserved; the caller must then roll back, which
    returns the lines reserved before it.
    """
    lines = merge_lines(lines)
    total, currency = price_lines(lines)
    # Reserve in book id order: two orders for the same books never wait on each other in a cycle.
    for line in sorted(lines, key=lambda line: line.book.id):
        if not reserve_stock(session, line.book, line.quantity):
            left = stock_left(session, line.book.id)
            if left <= 0:
                message = f"Sorry, “{line.book.title}” is sold out."
            else:
                copies = "copy is" if left == 1 else "copies are"
                message = f"Only {left} {copies} left of “{line.book.title}”."
            raise OutOfStock(message, field="quantity")
    order = Order(
        reference=reference,
        email=email,
        currency=currency,
        total_amount=total,
        status=OrderStatus.PENDING_PAYMENT,
        browser_id=browser_id,
        expires_at=expires_at,
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


def payment_key(reference: str, amount: int, currency: str, attempt: int) -> str:
    """The idempotency key of an order's n-th PaymentIntent: the order, its amount, the attempt."""
    return f"order-{reference}-{amount}{currency}-pi-{attempt}"


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


def find_order_by_token(session: Session, token: str) -> Order | None:
    """The order behind a customer's private URL, or None."""
    if not token or len(token) > 64:
        return None
    return session.scalars(select(Order).where(Order.token == token)).one_or_none()


def payment_updated(
    session: Session, payment: Payment, intent: PaymentIntent, *, order_locked: bool = False
) -> Order:
    """Stripe reported the PaymentIntent's current state: mirror it and move the order.

    `order_locked`: the caller already holds the order's lock and read the payment and the order
    after taking it, so neither needs locking or reloading again.
    """
    # The return page and a webhook may report the same payment at once: they take turns on
    # the order (always locked before its payments, refunds and disputes, so never a deadlock).
    if not order_locked:
        lock_order(session, payment.order)
    payment.status = intent.status
    payment.amount_received = intent.amount_received
    order = payment.order
    current = OrderStatus(order.status)
    if intent.status == "succeeded":
        _payment_succeeded(session, order, payment, intent)
    elif intent.status == "processing" and current == S.PENDING_PAYMENT:
        transition(session, order, S.PROCESSING, f"payment {intent.id} processing")
    elif intent.status == "requires_payment_method" and current == S.PROCESSING:
        transition(session, order, S.PENDING_PAYMENT, f"payment {intent.id} failed")
    elif intent.status == "canceled" and current in UNPAID:
        # A PaymentIntent replaced by a newer one is canceled too: only the last one standing
        # cancels the order.
        if all(p.status == "canceled" for p in order.payments):
            order_canceled(session, order, f"payment {intent.id} canceled")
    return order


def _payment_succeeded(
    session: Session, order: Order, payment: Payment, intent: PaymentIntent
) -> None:
    if OrderStatus(order.status) not in UNPAID:
        if order.status == S.CANCELED:
            # Money arrived for an order given up (and its stock released): a person must look.
            log.error("order %s: payment %s succeeded after cancel", order.reference, intent.id)
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
    if transition(session, order, S.PAID, f"payment {intent.id} succeeded"):
        # The reserved stock is now sold: nothing to move. One email, whoever got here first.
        mailer.queue_order_paid(session, order)


# --- canceling and expiry -----------------------------------------------------------------------


def order_canceled(session: Session, order: Order, cause: str) -> Order:
    """The order was given up before payment: canceled, its stock back on the shelf."""
    if order.status == S.CANCELED:
        return order
    transition(session, order, S.CANCELED, cause)  # refuses paid orders; one winner in a race
    for line in order.lines:
        release_stock(session, line.book_id, line.quantity)
    return order


def order_expired(session: Session, order: Order) -> Order:
    """The order was not paid in time: canceled by expiry, its stock back on the shelf."""
    return order_canceled(session, order, "expired: not paid in time")


def expire_unpaid_orders(
    session: Session,
    now: datetime,
    *,
    limit: int = 100,
    order_ids: Iterable[int] | None = None,
) -> list[Order]:
    """Cancel unpaid orders past their expiry: PaymentIntents canceled at Stripe, stock released.

    Commits after each order, so no transaction stays open across a call to Stripe. An order
    whose PaymentIntent turns out to have succeeded is marked paid instead. Stops early (leaving
    the rest for the next run) when Stripe is unavailable.
    """
    query = select(Order.id).where(
        Order.status == S.PENDING_PAYMENT, Order.expires_at.is_not(None), Order.expires_at <= now
    )
    if order_ids is not None:
        query = query.where(Order.id.in_(list(order_ids)))
    due = list(session.scalars(query.order_by(Order.expires_at).limit(limit)))
    session.commit()
    expired: list[Order] = []
    for order_id in due:
        order = session.get(Order, order_id)
        if order is None or order.status != S.PENDING_PAYMENT:
            continue
        try:
            still_unpaid = cancel_payment_intents(session, order, reason="abandoned")
            if still_unpaid:
                order_expired(session, order)
                expired.append(order)
            session.commit()
        except payments.PaymentUnavailable as exc:
            session.rollback()
            log.warning("expiry stopped, Stripe is unavailable: %s", exc)
            break
        except payments.PaymentError as exc:
            session.rollback()
            log.error("order %s not expired: %s", order_id, exc)
        except OrderChanged:
            session.rollback()  # paid or canceled meanwhile by someone else: nothing to do
    if expired:
        log.info("expired %d unpaid orders", len(expired))
    return expired


def cancel_payment_intents(session: Session, order: Order, reason: str) -> bool:
    """Cancel the order's live PaymentIntents at Stripe; False when one had already succeeded
    (the order is then marked paid from it, and must not be canceled)."""
    for payment in order.payments:
        if payment.status in ("succeeded", "canceled"):
            continue
        try:
            intent = payments.cancel_payment_intent(
                payment.payment_intent_id,
                reason=reason,
                idempotency_key=f"cancel-{payment.payment_intent_id}",
            )
        except payments.PaymentNotFound:
            # Unknown to Stripe, so it can never take money.
            log.warning("payment %s is unknown to Stripe", payment.payment_intent_id)
            payment.status = "canceled"
            continue
        except payments.InvalidPaymentRequest:
            # Too late to cancel (it succeeded or is processing): act on what Stripe has now.
            intent = payments.retrieve_payment_intent(payment.payment_intent_id)
        payment.status = intent.status
        payment.amount_received = intent.amount_received
        if intent.status == "succeeded":
            payment_updated(session, payment, intent)
            return False
        if intent.status == "processing":
            payment_updated(session, payment, intent)
            return False
    return True


# --- the ledger -------------------------------------------------------------------------------


def balance(order: Order) -> Balance:
    """Paid, refunded and pending amounts from the order's payments and refunds."""
    paid = sum(p.amount_received for p in order.payments if p.status == "succeeded")
    refunded = sum(r.amount for r in order.refunds if r.status == RefundStatus.SUCCEEDED)
    pending = sum(r.amount for r in order.refunds if r.status == RefundStatus.PENDING)
    return Balance(paid=paid, refunded=refunded, pending_refunds=pending)


def refunded_quantities(order: Order) -> dict[int, int]:
    """Copies per order line already returned or being returned (pending refunds count)."""
    counts = {line.id: 0 for line in order.lines}
    for refund in order.refunds:
        if refund.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED):
            for refund_line in refund.lines:
                counts[refund_line.order_line_id] = (
                    counts.get(refund_line.order_line_id, 0) + refund_line.quantity
                )
    return counts


def refundable_quantities(order: Order) -> dict[int, int]:
    """Copies per order line that can still be refunded."""
    taken = refunded_quantities(order)
    return {line.id: line.quantity - taken.get(line.id, 0) for line in order.lines}


@dataclass(frozen=True)
class RefundPlan:
    """What a refund request comes to: the amount and the copies per order line."""

    amount: int
    quantities: Mapping[int, int]  # order line id -> copies


def plan_refund(order: Order, quantities: Mapping[int, int] | None) -> RefundPlan:
    """Price a refund of chosen lines (or, with None, of everything left); OrderError if it
    asks for more than is left."""
    if OrderStatus(order.status) not in REFUNDABLE:
        raise OrderError("This order cannot be refunded.")
    left = balance(order).refundable
    remaining = refundable_quantities(order)
    lines = {line.id: line for line in order.lines}
    if quantities is None:
        chosen = {line_id: q for line_id, q in remaining.items() if q > 0}
        if left <= 0:
            raise OrderError("Everything in this order has already been refunded.")
        return RefundPlan(amount=left, quantities=chosen)
    chosen = {line_id: q for line_id, q in quantities.items() if q}
    if not chosen:
        raise OrderError("Please choose at least one copy to refund.", field="quantity")
    for line_id, quantity in chosen.items():
        if line_id not in lines:
            raise OrderError("That book is not part of this order.", field="quantity")
        if quantity < 0 or quantity > remaining.get(line_id, 0):
            title = lines[line_id].title
            raise OrderError(
                f"You can refund at most {remaining.get(line_id, 0)} of “{title}”.",
                field="quantity",
            )
    amount = sum(lines[line_id].unit_amount * q for line_id, q in chosen.items())
    if amount > left:
        raise OrderError("That is more than is left to refund on this order.", field="quantity")
    return RefundPlan(amount=amount, quantities=chosen)


def refund_requested(
    session: Session,
    order: Order,
    plan: RefundPlan,
    idempotency_key: str | None = None,
    reason: str = "requested_by_customer",
) -> Refund:
    """The customer asked for money back: a pending ledger row (counting against what is left)
    with its own idempotency key, before Stripe is called."""
    payment = paid_payment(order)
    if payment is None:
        raise OrderError("This order has no payment to refund.")
    refund = Refund(
        order=order,
        payment=payment,
        amount=plan.amount,
        currency=order.currency,
        status=RefundStatus.PENDING,
        reason=reason,
        idempotency_key=idempotency_key or f"refund-{order.reference}-{secrets.token_hex(8)}",
        lines=[
            RefundLine(order_line_id=line_id, quantity=q) for line_id, q in plan.quantities.items()
        ],
    )
    session.add(refund)
    session.flush()
    return refund


def paid_payment(order: Order) -> Payment | None:
    """The payment that took the order's money."""
    for payment in order.payments:
        if payment.status == "succeeded":
            return payment
    return None


def lock_order(session: Session, order: Order) -> Order:
    """Hold the order's row until commit (a no-op UPDATE works as SELECT … FOR UPDATE on both
    databases), then reload it so amounts are computed from the latest ledger."""
    session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(updated_at=Order.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.expire(order)
    return order


def refund_updated(session: Session, refund: payments.Refund) -> Order | None:
    """Stripe reported a refund's state: record or update its ledger row and move the order.

    Matched by Stripe's refund id, then by the ledger id the shop put in its metadata; a refund
    made outside the shop gets a new row on the payment it refunds. None when the payment is
    not the shop's.
    """
    known = find_payment(session, refund.payment_intent) if refund.payment_intent else None
    if known is not None:
        lock_order(session, known.order)  # the shop's own call and a webhook may race
    row = session.scalars(select(Refund).where(Refund.stripe_refund_id == refund.id)).one_or_none()
    if row is None:
        row = _refund_by_metadata(session, refund)
    if row is None:
        payment = find_payment(session, refund.payment_intent) if refund.payment_intent else None
        if payment is None:
            return None
        row = Refund(
            order=payment.order,
            payment=payment,
            amount=refund.amount,
            currency=refund.currency,
            status=RefundStatus.PENDING,
            reason=refund.reason,
        )
        session.add(row)
        session.flush()
    row.stripe_refund_id = refund.id
    new_status = _STRIPE_REFUND_STATUS.get(refund.status, RefundStatus.PENDING)
    refund_status_changed(session, row, new_status)
    return row.order


def _refund_by_metadata(session: Session, refund: payments.Refund) -> Refund | None:
    raw = refund.metadata.get("refund_id", "")
    if not raw.isdigit():
        return None
    row = session.get(Refund, int(raw))
    if row is None or row.stripe_refund_id not in (None, refund.id):
        return None
    if refund.payment_intent and row.payment.payment_intent_id != refund.payment_intent:
        return None
    return row


def refund_status_changed(session: Session, row: Refund, to: RefundStatus) -> None:
    """Move a ledger row to a new status; on success the stock goes back and the order follows.

    A compare-and-set on the row's status makes the side effects happen once, whoever reports
    the refund first (the shop's own call, a webhook or reconciliation).
    """
    current = RefundStatus(row.status)
    if current == to:
        return
    if not _compare_and_set_status(session, row, current, to):
        return  # someone else recorded this change first
    order = row.order
    if to == RefundStatus.SUCCEEDED:
        for refund_line in row.lines:
            release_stock(session, refund_line.order_line.book_id, refund_line.quantity)
        session.expire(order, ["refunds"])
        _order_follows_refunds(session, order, row)
        mailer.queue_order_refunded(session, order, row)
    elif current == RefundStatus.SUCCEEDED:
        # Stripe can fail a refund after reporting success: the money did not go back.
        log.error(
            "order %s: refund %s went from succeeded to %s; check the stock and the order",
            order.reference,
            row.stripe_refund_id or row.id,
            to,
        )


def _order_follows_refunds(session: Session, order: Order, row: Refund) -> None:
    status = OrderStatus(order.status)
    if status not in REFUNDABLE:
        log.warning("order %s is %s: refund %s recorded only", order.reference, status, row.id)
        return
    money = balance(order)
    to = S.REFUNDED if money.refunded >= money.paid else S.PARTIALLY_REFUNDED
    transition(session, order, to, f"refund {row.stripe_refund_id or row.id} succeeded")


# --- disputes ---------------------------------------------------------------------------------


def dispute_updated(session: Session, dispute: payments.Dispute) -> Order | None:
    """Stripe reported a dispute: record it; opened → disputed, closed → won or lost."""
    payment = find_payment(session, dispute.payment_intent) if dispute.payment_intent else None
    if payment is None:
        return None
    lock_order(session, payment.order)
    row = session.scalars(
        select(Dispute).where(Dispute.stripe_dispute_id == dispute.id)
    ).one_or_none()
    if row is None:
        row = Dispute(
            order=payment.order,
            payment=payment,
            stripe_dispute_id=dispute.id,
            amount=dispute.amount,
            currency=dispute.currency,
            reason=dispute.reason,
            status=dispute.status,
        )
        session.add(row)
    else:
        row.status, row.amount, row.reason = dispute.status, dispute.amount, dispute.reason
    order = payment.order
    if dispute.status in _DISPUTE_NOT_A_DISPUTE:
        return order
    status = OrderStatus(order.status)
    if status in REFUNDABLE:
        transition(session, order, S.DISPUTED, f"dispute {dispute.id} opened ({dispute.reason})")
    outcome = _DISPUTE_OUTCOMES.get(dispute.status)
    if outcome is not None and order.status == S.DISPUTED:
        transition(session, order, outcome, f"dispute {dispute.id} {dispute.status}")
    return order
