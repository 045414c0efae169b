"""Stripe webhook events: stored before acting, applied once, dispatched by type.

Each event goes through three steps, each its own transaction:

1. record: an event id already processed is answered at once, without a write; otherwise the
   event row is inserted and committed (an event no handler acts on is stored as processed);
2. fetch: what Stripe says about the object now, read outside any transaction (no lock is held
   across the network);
3. apply: the row is claimed with a conditional UPDATE (`processed_at IS NULL`), the order is
   locked and the domain functions in orders.py move it; all of it commits together. Two
   deliveries of one event cannot both claim it: on PostgreSQL the second waits for the row lock,
   on SQLite for the database's write lock, then finds it processed.

A failure in fetch or apply rolls the work back and keeps the row with its error, so the
endpoint answers 500 and Stripe delivers the event again (or `reprocess-events` retries it).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from . import orders, payments
from .models import Order, Payment, StripeEvent, utcnow

log = logging.getLogger(__name__)

# PaymentIntent statuses Stripe never leaves: an event saying so is true whenever it arrives.
FINAL_INTENT_STATUSES = frozenset({"succeeded", "canceled"})
MAX_ERROR_LENGTH = 2000


class Outcome(StrEnum):
    """What receiving an event came to."""

    APPLIED = "applied"  # processed now (acted on, or recorded and deliberately ignored)
    DUPLICATE = "duplicate"  # processed before, or by a delivery running at the same time
    FAILED = "failed"  # recorded with its error; Stripe should deliver it again


class RecentlyProcessed:
    """Event ids this process has seen processed, so their duplicates and retries are answered
    without a database query. Only ever holds ids whose processing committed (a permanent
    fact); the event log stays the authority for everything else."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        with self._lock:
            self._ids[event_id] = None
            self._ids.move_to_end(event_id)
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)


def signing_secrets(value: str | Iterable[str] | None) -> list[str]:
    """The configured signing secrets: one, or several separated by commas while rotating."""
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part and part.strip()]


# --- receiving -----------------------------------------------------------------------------


def receive(session: Session, event: payments.Event) -> Outcome:
    """Store a verified event, then process it unless that was done before."""
    stored = session.execute(_STATE, {"event_id": event.id}).first()
    if stored is not None and stored.processed_at is not None:
        return Outcome.DUPLICATE  # the usual retry or duplicate: answered without a write
    handler = HANDLERS.get(event.type)
    if stored is None and handler is None:
        # Nothing to act on: recorded and marked processed in one statement.
        if not record(session, event, processed=True):
            return Outcome.DUPLICATE
        log.debug("event %s (%s): recorded, not handled", event.id, event.type)
        return Outcome.APPLIED
    if stored is None:
        record(session, event)
    return process(session, event)


def record(session: Session, event: payments.Event, processed: bool = False) -> bool:
    """Store the event (committed); False when its id was stored before."""
    now = utcnow()
    values = {
        "id": event.id,
        "type": event.type[:100],
        "object_id": str(event.object_id)[:255] if event.object_id else None,
        "api_created": datetime.fromtimestamp(event.created, UTC) if event.created else None,
        "payload": event.payload,
        "received_at": now,
        "processed_at": now if processed else None,
        "attempts": 1 if processed else 0,
        "last_error": None,
    }
    result = session.execute(_INSERTS[session.get_bind().dialect.name], values)
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def process(session: Session, event: payments.Event) -> Outcome:
    """Act on a stored event once: fetch, then claim and apply in one transaction."""
    handler = HANDLERS.get(event.type)
    try:
        facts = handler.fetch(session, event) if handler else None
        session.commit()  # end any read: the claim below must start a fresh transaction
        claimed = session.execute(_CLAIM, {"event_id": event.id, "now": utcnow()})
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return Outcome.DUPLICATE
        note = handler.apply(session, event, facts) if handler else "not handled"
        session.commit()
    except Exception as exc:  # any failure: roll back, keep the error, let Stripe retry
        session.rollback()
        log.exception("event %s (%s) failed", event.id, event.type)
        _record_failure(session, event.id, exc)
        return Outcome.FAILED
    log.info("event %s (%s): %s", event.id, event.type, note)
    return Outcome.APPLIED


def reprocess_failed(
    session: Session,
    limit: int = 100,
    event_ids: Iterable[str] | None = None,
    progress: Callable[[Iterable[str], int, str], Iterable[str]] | None = None,
) -> list[tuple[str, Outcome]]:
    """Process again stored events that never succeeded, oldest first (from their payload)."""
    query = select(StripeEvent.id).where(StripeEvent.processed_at.is_(None))
    if event_ids is not None:
        query = query.where(StripeEvent.id.in_(list(event_ids)))
    due = list(session.scalars(query.order_by(StripeEvent.received_at).limit(limit)))
    session.commit()
    results: list[tuple[str, Outcome]] = []
    for event_id in progress(due, len(due), "reprocessing") if progress else due:
        payload = session.scalar(select(StripeEvent.payload).where(StripeEvent.id == event_id))
        session.commit()
        if not payload:
            log.warning("event %s has no stored payload; it cannot be processed again", event_id)
            results.append((event_id, Outcome.FAILED))
            continue
        results.append((event_id, process(session, payments.event_from_payload(payload))))
    return results


def _record_failure(session: Session, event_id: str, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    try:
        session.execute(_FAILURE, {"event_id": event_id, "error": message})
        session.commit()
    except Exception:  # the database itself is failing: Stripe's retry is the record
        session.rollback()
        log.exception("event %s: could not record the failure", event_id)


# The event log's statements, built once (this is the hot path of every delivery).
_EVENTS = StripeEvent.__table__
_STATE = select(_EVENTS.c.processed_at).where(_EVENTS.c.id == bindparam("event_id"))
# The claim: only one delivery can set processed_at. The row (on SQLite, the database) stays
# locked until the transaction ends, so a concurrent delivery waits, then finds it done.
_CLAIM = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.processed_at.is_(None))
    .values(
        processed_at=bindparam("now", type_=_EVENTS.c.processed_at.type),
        attempts=_EVENTS.c.attempts + 1,
        last_error=None,
    )
)
_FAILURE = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.processed_at.is_(None))
    .values(attempts=_EVENTS.c.attempts + 1, last_error=bindparam("error"))
)
# A row lock on the order of a PaymentIntent (on SQLite, the database's write lock), taken
# without loading anything; no row: the PaymentIntent is not the shop's.
_ORDERS, _PAYMENTS = Order.__table__, Payment.__table__
_LOCK_ORDER_OF_PAYMENT = (
    update(_ORDERS)
    .where(
        _ORDERS.c.id
        == select(_PAYMENTS.c.order_id)
        .where(_PAYMENTS.c.payment_intent_id == bindparam("payment_intent_id"))
        .scalar_subquery()
    )
    .values(updated_at=_ORDERS.c.updated_at)
)
# Insert unless the id is stored: a second delivery at the same moment inserts nothing.
_INSERTS = {
    "postgresql": pg_insert(_EVENTS).on_conflict_do_nothing(index_elements=["id"]),
    "sqlite": sqlite_insert(_EVENTS).on_conflict_do_nothing(index_elements=["id"]),
}


# --- applying what Stripe says (also used by reconciliation) -------------------------------


def apply_payment_intent(session: Session, intent: payments.PaymentIntent) -> Order | None:
    """Mirror a PaymentIntent onto the shop's payment and order; None if it is not the shop's."""
    # Lock the order first (the return page may be applying the same payment right now), then
    # read the payment as it is once the lock is held.
    locked = session.execute(_LOCK_ORDER_OF_PAYMENT, {"payment_intent_id": intent.id})
    if locked.rowcount != 1:  # type: ignore[attr-defined]
        return None
    # The payment and its order in one query, both read under the lock just taken.
    payment = session.scalars(
        select(Payment)
        .where(Payment.payment_intent_id == intent.id)
        .options(joinedload(Payment.order))
        .execution_options(populate_existing=True)
    ).one()
    if payment.status in FINAL_INTENT_STATUSES and intent.status != payment.status:
        # An older state read before a newer one was applied: never move backwards.
        log.info("payment %s is %s; %s is out of date", intent.id, payment.status, intent.status)
        return payment.order
    return orders.payment_updated(session, payment, intent, order_locked=True)


def apply_refund(
    session: Session, refund: payments.Refund, intent: payments.PaymentIntent | None = None
) -> Order | None:
    """Record a refund (the shop's own or one made outside it); None if not the shop's.

    `intent`, when given, is applied first: the refund may arrive before the news that the
    payment succeeded, and the order must be paid before it can be refunded.
    """
    payment = _payment_of(session, refund.payment_intent)
    if payment is None:
        return None
    if intent is not None:
        apply_payment_intent(session, intent)
    return orders.refund_updated(session, refund)  # it locks the order


def apply_dispute(
    session: Session, dispute: payments.Dispute, intent: payments.PaymentIntent | None = None
) -> Order | None:
    """Record a dispute and move the order (disputed, then won or lost); None if not the shop's.

    `intent`, when given, is applied first, as for refunds.
    """
    payment = _payment_of(session, dispute.payment_intent)
    if payment is None:
        return None
    if intent is not None:
        apply_payment_intent(session, intent)
    return orders.dispute_updated(session, dispute)  # it locks the order


def payment_if_unrecorded(
    session: Session, payment_intent_id: str
) -> payments.PaymentIntent | None:
    """The PaymentIntent from Stripe when the shop has not yet recorded that it succeeded.

    A refund or dispute means the payment succeeded; its own event may still be on its way.
    """
    if _recorded_status(session, payment_intent_id) == "succeeded":
        return None
    return payments.retrieve_payment_intent(payment_intent_id)


def _payment_of(session: Session, payment_intent_id: str | None) -> Payment | None:
    return orders.find_payment(session, payment_intent_id) if payment_intent_id else None


def _recorded_status(session: Session, payment_intent_id: str | None) -> str | None:
    """The shop's last known status of a PaymentIntent; None when it is not the shop's."""
    if not payment_intent_id:
        return None
    return session.scalar(
        select(Payment.status).where(Payment.payment_intent_id == payment_intent_id)
    )


def _is_ours(session: Session, payment_intent_id: str | None) -> bool:
    return _recorded_status(session, payment_intent_id) is not None


def _described(order: Order | None, what: str) -> str:
    if order is None:
        return f"{what} is not the shop's"
    return f"{what}: order {order.reference} is {order.status}"


# --- handlers: fetch (no lock held) then apply (in the claiming transaction) ----------------


@dataclass(frozen=True)
class Handler:
    """How one kind of event is acted on."""

    fetch: Callable[[Session, payments.Event], Any]  # what Stripe says now, or None: nothing to do
    apply: Callable[[Session, payments.Event, Any], str]  # the change; returns a note for the log


def _fetch_payment_intent(session: Session, event: payments.Event) -> payments.PaymentIntent | None:
    intent = _intent_in(event.object)
    if intent is not None and intent.status in FINAL_INTENT_STATUSES:
        return intent  # final at Stripe: the event's copy is the current state
    if not _is_ours(session, event.object_id):
        return None
    # Not final: it may have moved on since this event was sent; read it as it is now.
    return payments.retrieve_payment_intent(str(event.object_id))


def _apply_payment_intent(
    session: Session, event: payments.Event, intent: payments.PaymentIntent | None
) -> str:
    if intent is None:
        return f"payment {event.object_id} is not the shop's"
    return _described(apply_payment_intent(session, intent), f"payment {intent.id}")


@dataclass(frozen=True)
class AfterPayment:
    """Refunds or a dispute as Stripe has them now, and the payment if the shop lags behind."""

    objects: list[Any]
    intent: payments.PaymentIntent | None


def _fetch_refunds(session: Session, event: payments.Event) -> AfterPayment | None:
    obj = event.object
    payment_intent_id = _id_of(obj.get("payment_intent"))
    if not payment_intent_id or not _is_ours(session, payment_intent_id):
        return None
    if obj.get("object") == "refund":
        refunds = [payments.retrieve_refund(str(obj["id"]))]
    else:  # charge.refunded: every refund of the charge's PaymentIntent
        refunds = list(payments.list_refunds(payment_intent_id=payment_intent_id))
    return AfterPayment(refunds, payment_if_unrecorded(session, payment_intent_id))


def _apply_refunds(session: Session, event: payments.Event, facts: AfterPayment | None) -> str:
    if facts is None or not facts.objects:
        return f"{event.object_id}: no refund of the shop's"
    notes = [
        _described(apply_refund(session, refund, facts.intent), f"refund {refund.id}")
        for refund in facts.objects
    ]
    return "; ".join(notes)


def _fetch_dispute(session: Session, event: payments.Event) -> AfterPayment | None:
    payment_intent_id = _id_of(event.object.get("payment_intent"))
    if not payment_intent_id or not _is_ours(session, payment_intent_id):
        return None
    dispute = payments.retrieve_dispute(str(event.object_id))
    return AfterPayment([dispute], payment_if_unrecorded(session, payment_intent_id))


def _apply_dispute(session: Session, event: payments.Event, facts: AfterPayment | None) -> str:
    if facts is None:
        return f"dispute {event.object_id} is not about the shop's payments"
    (dispute,) = facts.objects
    return _described(apply_dispute(session, dispute, facts.intent), f"dispute {dispute.id}")


@dataclass(frozen=True)
class CheckoutFacts:
    """A Checkout Session's order reference and, once paid, its PaymentIntent now."""

    reference: str | None
    intent: payments.PaymentIntent | None


def _fetch_checkout_session(session: Session, event: payments.Event) -> CheckoutFacts:
    obj = event.object
    metadata = obj.get("metadata") or {}
    reference = metadata.get("order_reference") or obj.get("client_reference_id")
    payment_intent_id = _id_of(obj.get("payment_intent"))
    intent = None
    if event.type == "checkout.session.completed" and payment_intent_id:
        intent = payments.retrieve_payment_intent(payment_intent_id)
    return CheckoutFacts(reference=reference, intent=intent)


def _apply_checkout_session(session: Session, event: payments.Event, facts: CheckoutFacts) -> str:
    order = _order_by_reference(session, facts.reference) if facts.reference else None
    if facts.intent is not None:
        if order is not None and orders.find_payment(session, facts.intent.id) is None:
            # Hosted Checkout creates the PaymentIntent itself: the order learns of it here.
            orders.lock_order(session, order)
            orders.payment_started(session, order, facts.intent)
            session.flush()
        applied = apply_payment_intent(session, facts.intent)
        return _described(applied, f"checkout {event.object_id}")
    if event.type == "checkout.session.expired" and order is not None:
        orders.lock_order(session, order)
        # Only an order nothing else is paying: a Payment Element payment may still be under way.
        unpaid = all(payment.status == "canceled" for payment in order.payments)
        if order.status == orders.OrderStatus.PENDING_PAYMENT and unpaid:
            orders.order_expired(session, order)
    return _described(order, f"checkout {event.object_id}")


def _order_by_reference(session: Session, reference: str) -> Order | None:
    return session.scalars(select(Order).where(Order.reference == reference)).one_or_none()


def _intent_in(obj: Any) -> payments.PaymentIntent | None:
    """The event's PaymentIntent, when the payload carries a complete one."""
    needed = ("id", "status", "amount", "amount_received", "currency")
    if not isinstance(obj, dict) or obj.get("object") != "payment_intent":
        return None
    if any(obj.get(name) is None for name in needed):
        return None
    return payments.payment_intent_from_dict(obj)


def _id_of(value: Any) -> str | None:
    # Expandable fields are an id, an expanded object, or null.
    if isinstance(value, dict):
        return value.get("id")
    return str(value) if value else None


_PAYMENT_INTENT = Handler(_fetch_payment_intent, _apply_payment_intent)
_REFUNDS = Handler(_fetch_refunds, _apply_refunds)
_DISPUTE = Handler(_fetch_dispute, _apply_dispute)
_CHECKOUT = Handler(_fetch_checkout_session, _apply_checkout_session)

# Any other type is recorded and acknowledged.
HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _PAYMENT_INTENT,
    "payment_intent.processing": _PAYMENT_INTENT,
    "payment_intent.payment_failed": _PAYMENT_INTENT,
    "payment_intent.canceled": _PAYMENT_INTENT,
    "charge.refunded": _REFUNDS,
    "refund.created": _REFUNDS,
    "refund.updated": _REFUNDS,
    "refund.failed": _REFUNDS,
    "charge.refund.updated": _REFUNDS,
    "charge.dispute.created": _DISPUTE,
    "charge.dispute.updated": _DISPUTE,
    "charge.dispute.closed": _DISPUTE,
    "checkout.session.completed": _CHECKOUT,
    "checkout.session.expired": _CHECKOUT,
}
