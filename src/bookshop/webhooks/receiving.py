"""Stripe webhook events: stored before acting, applied once, dispatched by type.

Each event goes through three steps, each its own transaction:

1. record: an event id already processed is answered at once, without a write; otherwise the
   event row is inserted and committed (an event no handler acts on is stored as processed). A
   copy finding the event stored by a delivery still at work answers at once too: the event is
   safe in the log, and if that delivery fails the `reprocess_events` job applies it;
2. fetch: what Stripe says about the object now, read outside any transaction (no lock is held
   across the network);
3. apply: the row is claimed with a conditional UPDATE (`processed_at IS NULL`), the order is
   locked and the sync layer moves it through the orders domain; all of it commits together. Two
   deliveries of one event cannot both claim it: on PostgreSQL the second waits for the row lock,
   on SQLite for the database's write lock, then finds it processed.

A failure in fetch or apply rolls the work back and keeps the row with its error, so the
endpoint answers 500 and Stripe delivers the event again; the `reprocess_events` job retries it
too, as it does any event left stored but not processed (`reprocess-events` by hand).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import limits, payments
from ..database import rows_matched
from ..models import StripeEvent, utcnow
from .handlers import HANDLERS

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
# How long a delivery stored but not processed counts as being processed by another process.
IN_FLIGHT = timedelta(seconds=10)
# The reprocess_events job gives up on an event after this many failed attempts (all deliveries
# counted); staff can still reprocess it from the event list.
JOB_ATTEMPTS = 10


class Outcome(StrEnum):
    """What receiving an event came to."""

    APPLIED = "applied"  # processed now (acted on, or recorded and deliberately ignored)
    DUPLICATE = "duplicate"  # processed before, or by a delivery running at the same time
    IN_FLIGHT = "in flight"  # stored by a delivery still at work; not processed yet
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


def receive(session: Session, event: payments.Event) -> Outcome:
    """Store a verified event, then process it unless that was done or is being done."""
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
        if not record(session, event):
            return Outcome.IN_FLIGHT  # another delivery stored it a moment ago
    elif stored.last_error is None and utcnow() - stored.received_at < IN_FLIGHT:
        # A copy waiting here for that delivery would hold a server thread for nothing: the
        # event is stored, and a failure there leaves it to Stripe's retry and the job.
        return Outcome.IN_FLIGHT
    return process(session, event)


def record(session: Session, event: payments.Event, processed: bool = False) -> bool:
    """Store the event (committed); False when its id was stored before."""
    now = utcnow()
    values = {
        "id": event.id,
        "type": event.type[:100],
        "object_id": str(event.object_id)[:255] if event.object_id else None,
        "api_created": datetime.fromtimestamp(event.created, UTC) if event.created else None,
        "payload": payments.without_client_secrets(event.payload),
        "received_at": now,
        "processed_at": now if processed else None,
        "attempts": 1 if processed else 0,
        "last_error": None,
    }
    result = session.execute(_INSERTS[session.get_bind().dialect.name], values)
    session.commit()
    return rows_matched(result) == 1


def process(session: Session, event: payments.Event) -> Outcome:
    """Act on a stored event once: fetch, then claim and apply in one transaction."""
    handler = HANDLERS.get(event.type)
    try:
        facts = handler.fetch(session, event) if handler else None
        session.commit()  # end any read: the claim below must start a fresh transaction
        claimed = session.execute(_CLAIM, {"event_id": event.id, "now": utcnow()})
        if rows_matched(claimed) != 1:
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
    limits.event_applied(session, event)  # declines pause whoever keeps trying cards
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


def reprocess_stalled(
    session: Session, now: datetime, limit: int = 100
) -> list[tuple[str, Outcome]]:
    """Process again events stored but not processed for longer than a delivery takes: their
    delivery failed or died, or was a copy answered while another was at work. Events that
    failed JOB_ATTEMPTS times are left to Stripe's retries and to staff (the event list)."""
    query = (
        select(StripeEvent.id)
        .where(
            StripeEvent.processed_at.is_(None),
            StripeEvent.received_at < now - IN_FLIGHT,
            StripeEvent.attempts < JOB_ATTEMPTS,
        )
        .order_by(StripeEvent.received_at)
        .limit(limit)
    )
    due = list(session.scalars(query))
    session.commit()
    return reprocess_failed(session, limit, due) if due else []


def _record_failure(session: Session, event_id: str, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    try:
        session.execute(_FAILURE, {"event_id": event_id, "error": message})
        session.commit()
    except Exception:  # the database itself is failing: Stripe's retry is the record
        session.rollback()
        log.exception("event %s: could not record the failure", event_id)


# The event log's statements, built once (this is the hot path of every delivery).
_EVENTS = cast(Table, StripeEvent.__table__)
_STATE = select(_EVENTS.c.processed_at, _EVENTS.c.received_at, _EVENTS.c.last_error).where(
    _EVENTS.c.id == bindparam("event_id")
)
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
# Insert unless the id is stored: a second delivery at the same moment inserts nothing. The row
# count says which one inserted; SQLAlchemy keeps it for an INSERT only when asked to.
_INSERTS = {
    "postgresql": pg_insert(_EVENTS)
    .on_conflict_do_nothing(index_elements=["id"])
    .execution_options(preserve_rowcount=True),
    "sqlite": sqlite_insert(_EVENTS)
    .on_conflict_do_nothing(index_elements=["id"])
    .execution_options(preserve_rowcount=True),
}
