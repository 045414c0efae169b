"""The dashboard's figures: sales today and this week, orders waiting to ship, failed webhooks,
open disputes, and daily revenue and orders drawn as an SVG chart on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, String, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from ...models import Dispute, Order, StripeEvent
from ...orders import SHIPPABLE, FulfilmentStatus, OrderStatus

# Orders whose money was taken or is held: what counts as sold.
SOLD = (
    OrderStatus.AUTHORIZED,
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.REFUNDED,
    OrderStatus.DISPUTED,
    OrderStatus.WON,
    OrderStatus.LOST,
)
# The rest, so that "sold" can be asked as NOT IN: the planner then reads the sales by date from
# the covering index (created_at, status, currency, total_amount) instead of by status.
NOT_SOLD = tuple(status for status in OrderStatus if status not in SOLD)
OPEN_DISPUTES = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
TO_SHIP = (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIALLY_SHIPPED)
WAITING_SHOWN = 15


@dataclass(frozen=True)
class Sales:
    """Orders sold in a window, and their totals per currency."""

    orders: int
    totals: list[tuple[str, int]]  # (currency, minor units)


def sales_since(session: Session, start: datetime) -> Sales:
    """Orders placed since `start` that were paid or authorized, with their totals."""
    rows = session.execute(
        select(Order.currency, func.count(), func.coalesce(func.sum(Order.total_amount), 0))
        .where(Order.created_at >= start, Order.status.not_in(NOT_SOLD))
        .group_by(Order.currency)
    ).all()
    return Sales(
        orders=sum(row[1] for row in rows),
        totals=sorted((row[0], int(row[2])) for row in rows),
    )


def waiting_to_ship(session: Session) -> tuple[int, list[Order]]:
    """How many paid or authorized orders have books to ship, and the oldest of them."""
    where = (Order.fulfilment_status.in_(TO_SHIP), Order.status.in_(SHIPPABLE))
    count = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
    oldest = list(
        session.scalars(
            select(Order).where(*where).order_by(Order.created_at, Order.id).limit(WAITING_SHOWN)
        )
    )
    return count, oldest


def failed_events(session: Session, since: datetime) -> tuple[int, int]:
    """Webhook events still failing (tried, not processed), and of those received since."""
    failing = (StripeEvent.processed_at.is_(None), StripeEvent.attempts > 0)
    total = session.scalar(select(func.count()).select_from(StripeEvent).where(*failing)) or 0
    recent = (
        session.scalar(
            select(func.count())
            .select_from(StripeEvent)
            .where(*failing, StripeEvent.received_at >= since)
        )
        or 0
    )
    return total, recent


def open_disputes(session: Session) -> list[Dispute]:
    """Disputes that still need an answer or a decision."""
    return list(
        session.scalars(
            select(Dispute).where(Dispute.status.in_(OPEN_DISPUTES)).order_by(Dispute.created_at)
        )
    )


@dataclass(frozen=True)
class Day:
    """One day of the chart."""

    day: date
    revenue: int
    orders: int


def daily(session: Session, days: int, today: date, currency: str) -> list[Day]:
    """Revenue (sold orders' totals in `currency`) and sold orders per day (UTC), oldest first,
    every day present even when nothing sold."""
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    bucket = _day_bucket(session)
    rows = session.execute(
        select(bucket, func.count(), func.coalesce(func.sum(Order.total_amount), 0))
        .where(Order.created_at >= start, Order.status.not_in(NOT_SOLD), Order.currency == currency)
        .group_by(bucket)
    ).all()
    by_day = {str(row[0])[:10]: (int(row[2]), int(row[1])) for row in rows}
    out = []
    for offset in range(days):
        day = start.date() + timedelta(days=offset)
        revenue, count = by_day.get(day.isoformat(), (0, 0))
        out.append(Day(day=day, revenue=revenue, orders=count))
    return out


def _day_bucket(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", Order.created_at), Date)
    # SQLite keeps UTC timestamps as text that starts with the date.
    return func.substr(type_coerce(Order.created_at, String), 1, 10)


# --- the chart --------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 88, 40, 16, 28


@dataclass(frozen=True)
class Chart:
    """What the template draws: bars for revenue, a line for orders, axis labels."""

    width: int
    height: int
    bars: list[dict[str, Any]]
    line: str  # SVG polyline points
    points: list[dict[str, Any]]
    y_labels: list[dict[str, Any]]  # revenue axis, left
    order_labels: list[dict[str, Any]]  # orders axis, right
    x_labels: list[dict[str, Any]]
    baseline: float
    plot_left: int
    plot_right: int


def chart(days: Sequence[Day], format_amount: Any) -> Chart:
    """Scale the days into SVG coordinates (the template only places shapes)."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top_revenue = _nice(max((d.revenue for d in days), default=0))
    top_orders = _nice(max((d.orders for d in days), default=0))
    step = plot_w / max(len(days), 1)
    bar_w = max(step * 0.7, 1.0)
    bars, points = [], []
    for i, d in enumerate(days):
        x = LEFT + i * step
        h = plot_h * d.revenue / top_revenue
        bars.append(
            {
                "x": round(x + (step - bar_w) / 2, 1),
                "y": round(TOP + plot_h - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "title": f"{d.day:%d %b}: {format_amount(d.revenue)}, {d.orders} orders",
            }
        )
        points.append(
            {
                "x": round(x + step / 2, 1),
                "y": round(TOP + plot_h - plot_h * d.orders / top_orders, 1),
            }
        )
    y_labels = [
        {"y": round(TOP + plot_h - plot_h * f, 1), "text": format_amount(int(top_revenue * f))}
        for f in (0, 0.5, 1)
    ]
    order_labels = [
        {"y": round(TOP + plot_h - plot_h * f, 1), "text": str(round(top_orders * f))}
        for f in (0, 0.5, 1)
    ]
    every = max(len(days) // 6, 1)
    x_labels = [
        {"x": round(LEFT + i * step + step / 2, 1), "text": f"{d.day:%d %b}"}
        for i, d in enumerate(days)
        if i % every == 0
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        line=" ".join(f"{p['x']},{p['y']}" for p in points),
        points=points,
        y_labels=y_labels,
        order_labels=order_labels,
        x_labels=x_labels,
        baseline=TOP + plot_h,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
    )


def _nice(value: int) -> int:
    """A round number at or above `value` for the top of an axis (at least 1)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        top = int(factor * magnitude)
        if value <= top:
            return top
    return int(10 * magnitude)
