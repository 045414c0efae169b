"""Webhook events: the log with filters, one event's payload (client secrets masked), processing
a failed event again (the same function as `reprocess-events`), and delivery health."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from ...actions import staff_operations
from ...extensions import db
from ...models import StripeEvent, utcnow
from ...orders import OrderError
from ...staff_auth import requires
from . import bp, listing
from .common import actor
from .orders import pretty_payload

EVENTS_PAGE = 100
STATES = {"processed": "Processed", "failed": "Failed", "waiting": "Not tried yet"}


@bp.get("/events")
@requires("staff")
def event_list() -> tuple[str, int] | str:
    args = request.args
    kind = args.get("type", "").strip()[:100]
    state = args.get("state", "").strip()
    filters = listing.parse_filters({"from": args.get("from", ""), "to": args.get("to", "")})
    errors = list(filters.errors)
    if state and state not in STATES:
        errors.append(f"Unknown state {state!r}.")
    query = select(StripeEvent)
    if kind:
        query = query.where(StripeEvent.type == kind)
    if state == "processed":
        query = query.where(StripeEvent.processed_at.is_not(None))
    elif state == "failed":
        query = query.where(StripeEvent.processed_at.is_(None), StripeEvent.attempts > 0)
    elif state == "waiting":
        query = query.where(StripeEvent.processed_at.is_(None), StripeEvent.attempts == 0)
    if filters.date_from:
        query = query.where(StripeEvent.received_at >= listing._day(filters.date_from))
    if filters.date_to:
        query = query.where(
            StripeEvent.received_at < listing._day(filters.date_to) + timedelta(days=1)
        )
    before = args.get("before", "")
    if before:
        cutoff = db.session.scalar(select(StripeEvent.received_at).where(StripeEvent.id == before))
        if cutoff is not None:
            query = query.where(StripeEvent.received_at < cutoff)
    events = (
        []
        if errors
        else list(
            db.session.scalars(query.order_by(StripeEvent.received_at.desc()).limit(EVENTS_PAGE))
        )
    )
    now = utcnow()
    types = list(db.session.scalars(select(StripeEvent.type).distinct().order_by(StripeEvent.type)))
    health = {
        "last": db.session.scalar(select(func.max(StripeEvent.received_at))),
        "failed_24h": db.session.scalar(
            select(func.count())
            .select_from(StripeEvent)
            .where(
                StripeEvent.processed_at.is_(None),
                StripeEvent.attempts > 0,
                StripeEvent.received_at >= now - timedelta(hours=24),
            )
        ),
        "received_24h": db.session.scalar(
            select(func.count())
            .select_from(StripeEvent)
            .where(StripeEvent.received_at >= now - timedelta(hours=24))
        ),
    }
    html = render_template(
        "admin/events.html",
        events=events,
        errors=errors,
        kind=kind,
        state=state,
        date_from=filters.date_from,
        date_to=filters.date_to,
        types=types,
        states=STATES,
        health=health,
        more=len(events) == EVENTS_PAGE,
    )
    return (html, 400) if errors else html


@bp.get("/events/<event_id>")
@requires("staff")
def event_detail(event_id: str) -> str:
    event = db.session.get(StripeEvent, event_id[:255])
    if event is None:
        abort(404)
    return render_template("admin/event.html", event=event, payload=pretty_payload(event.payload))


@bp.post("/events/<event_id>/reprocess")
@requires("admin")
def event_reprocess(event_id: str) -> ResponseReturnValue:
    try:
        outcome = staff_operations.reprocess_event(db.session, actor(), event_id[:255])
    except OrderError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Processed again: {outcome}.", "success" if outcome != "failed" else "error")
    return redirect(url_for("admin.event_detail", event_id=event_id), 303)
