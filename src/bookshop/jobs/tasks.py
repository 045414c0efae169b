"""The background jobs. Each calls the same actions as the commands and is safe to run twice at
once: emails are claimed before sending, orders move by compare-and-set, refunds reuse their
idempotency keys, and reconciliation only applies what is missing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, has_app_context
from sqlalchemy import select

from .. import mailer, orders, webhooks
from ..actions import canceling, refunding
from ..extensions import db
from ..models import Order, Refund, utcnow
from ..orders import RefundStatus

log = logging.getLogger(__name__)

RECONCILE_WINDOW = timedelta(days=3)
BATCH = 200


def send_emails() -> int:
    """Send what the outbox holds."""
    return mailer.deliver_pending(db.session, limit=BATCH)


def expire_orders() -> int:
    """Cancel unpaid orders past their expiry (PaymentIntents canceled, stock released)."""
    expired = canceling.expire_unpaid_orders(db.session, utcnow(), limit=BATCH)
    mailer.deliver_pending(db.session)  # orders found paid meanwhile have their email queued
    return len(expired)


def retry_refunds() -> int:
    """Ask Stripe again for refunds it never answered (same idempotency keys)."""
    order_ids = list(
        db.session.scalars(
            select(Refund.order_id)
            .where(Refund.status == RefundStatus.PENDING, Refund.stripe_refund_id.is_(None))
            .distinct()
            .limit(BATCH)
        )
    )
    db.session.commit()
    for order_id in order_ids:
        order = db.session.get(Order, order_id)
        if order is not None:
            refunding.retry_pending_refunds(db.session, order)
    mailer.deliver_pending(db.session)
    return len(order_ids)


def reconcile_recent() -> int:
    """Compare the last three days at Stripe with the orders and repair what differs."""
    from .. import reconcile

    now = utcnow()
    report = reconcile.reconcile(db.session, now - RECONCILE_WINDOW, now)
    mailer.deliver_pending(db.session)
    if not report.ok:
        log.error("reconcile found problems:\n%s", report.render())
    return 0


def reprocess_events() -> int:
    """Apply webhook events stored but never processed (their delivery failed, died, or was a
    copy answered while another was at work)."""
    results = webhooks.reprocess_stalled(db.session, utcnow(), limit=BATCH)
    mailer.deliver_pending(db.session)
    return sum(outcome != webhooks.Outcome.FAILED for _, outcome in results)


def warn_holds() -> int:
    """Warn staff (in the log, at WARNING) about card holds that run out soon: capture them by
    shipping, or the money is released. Repeats each run until someone acts."""
    running_out = orders.holds_running_out(db.session, utcnow())
    for order in running_out:
        capture_before = min(
            (p.capture_before for p in order.payments if p.capture_before is not None),
            default=None,
        )
        log.warning(
            "order %s: the card hold runs out at %s; ship it (capture) or the money is released",
            order.reference,
            capture_before.isoformat() if capture_before else "soon",
        )
    db.session.commit()
    return len(running_out)


JOBS: dict[str, Callable[[], int]] = {
    "send_emails": send_emails,
    "expire_orders": expire_orders,
    "retry_refunds": retry_refunds,
    "reconcile": reconcile_recent,
    "reprocess_events": reprocess_events,
    "warn_holds": warn_holds,
}


def run(name: str, app: Flask | None = None) -> int:
    """Run one job by name inside the app (the worker's own app unless one is given)."""
    job = JOBS.get(name)
    if job is None:
        raise ValueError(f"unknown job {name!r}; jobs: {', '.join(JOBS)}")
    if has_app_context() and app is None:
        return _logged(name, job)
    target = app or worker_app()
    with target.app_context():
        return _logged(name, job)


def _logged(name: str, job: Callable[[], int]) -> int:
    try:
        count = job()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", name)
        raise
    if count:
        log.info("job %s: %d done", name, count)
    return count


_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The app a worker process runs its jobs in, built once from the environment."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    return _worker_app


def use_app(app: Flask) -> None:
    """Run this process's jobs in `app` (the worker command builds it)."""
    global _worker_app
    _worker_app = app
