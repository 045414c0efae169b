"""The dashboard: sales, orders waiting to ship (oldest first, with card holds running out),
failed webhooks, open disputes, and the chart of daily revenue and orders; and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import render_template, request
from sqlalchemy import func, select

from ... import orders
from ...extensions import db
from ...models import AuditEntry, Book, Payment, utcnow
from ...money import format_money
from ...staff_auth import requires
from . import bp, stats

CHART_DAYS = (30, 90)
AUDIT_PAGE = 100


@bp.get("/")
@requires("staff")
def dashboard() -> str:
    now = utcnow()
    today = now.date()
    start_of_day = datetime.combine(today, datetime.min.time(), UTC)
    start_of_week = start_of_day - timedelta(days=today.weekday())
    days = 90 if request.args.get("days") == "90" else 30
    currency = _shop_currency()
    waiting_count, waiting = stats.waiting_to_ship(db.session)
    holds = _hold_ends([order.id for order in orders.holds_running_out(db.session, now)])
    failing, failing_recent = stats.failed_events(db.session, now - timedelta(hours=24))
    series = stats.daily(db.session, days, today, currency)
    return render_template(
        "admin/dashboard.html",
        today=stats.sales_since(db.session, start_of_day),
        week=stats.sales_since(db.session, start_of_week),
        waiting_count=waiting_count,
        waiting=waiting,
        holds=holds,
        failing=failing,
        failing_recent=failing_recent,
        disputes=stats.open_disputes(db.session),
        chart=stats.chart(series, lambda amount: format_money(amount, currency)),
        series=series,
        days=days,
        chart_days=CHART_DAYS,
        currency=currency,
        revenue_total=sum(d.revenue for d in series),
        orders_total=sum(d.orders for d in series),
        now=now,
    )


@bp.get("/audit")
@requires("admin")
def audit_log() -> str:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    action = request.args.get("action", "").strip()[:60]
    target = request.args.get("target", "").strip()[:64]
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target_id == target)
    before_id = request.args.get("before", "")
    if before_id.isdigit() and len(before_id) < 12:
        query = query.where(AuditEntry.id < int(before_id))
    entries = list(db.session.scalars(query.limit(AUDIT_PAGE)))
    return render_template(
        "admin/audit.html",
        entries=entries,
        action=action,
        target=target,
        more=len(entries) == AUDIT_PAGE,
    )


def _shop_currency() -> str:
    """The catalog's currency (the chart is drawn in one)."""
    return db.session.scalar(select(Book.currency).order_by(Book.position).limit(1)) or "sgd"


def _hold_ends(order_ids: list[int]) -> dict[int, datetime]:
    """When each order's card hold runs out (one query, not one per order)."""
    if not order_ids:
        return {}
    rows = db.session.execute(
        select(Payment.order_id, func.min(Payment.capture_before))
        .where(Payment.order_id.in_(order_ids), Payment.capture_before.is_not(None))
        .group_by(Payment.order_id)
    ).all()
    return {order_id: ends for order_id, ends in rows if ends is not None}
