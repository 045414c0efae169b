"""Reconciliation from the page: run it for a window, read the report, and the past reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ... import payments
from ...actions import staff_operations
from ...extensions import db
from ...models import ReconcileReport, utcnow
from ...orders import OrderError
from ...staff_auth import requires
from . import bp
from .common import actor

PAST_REPORTS = 50


@bp.get("/reconcile")
@requires("staff")
def reconcile_page() -> str:
    reports = list(
        db.session.scalars(
            select(ReconcileReport).order_by(ReconcileReport.id.desc()).limit(PAST_REPORTS)
        )
    )
    now = utcnow()
    return render_template(
        "admin/reconcile.html",
        reports=reports,
        default_from=(now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        default_to=now.strftime("%Y-%m-%dT%H:%M"),
    )


@bp.post("/reconcile")
@requires("admin")
def reconcile_run() -> ResponseReturnValue:
    try:
        since = _moment(request.form.get("since", ""))
        until = _moment(request.form.get("until", ""))
        report = staff_operations.run_reconcile(db.session, actor(), since, until)
    except OrderError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.reconcile_page"), 303)
    except payments.PaymentError as exc:
        db.session.rollback()
        flash(f"Stripe could not be asked: {exc.user_message}", "error")
        return redirect(url_for("admin.reconcile_page"), 303)
    flash("Reconciliation finished.", "success" if not report.failed else "error")
    return redirect(url_for("admin.reconcile_report", report_id=report.id), 303)


@bp.get("/reconcile/<int:report_id>")
@requires("staff")
def reconcile_report(report_id: int) -> str:
    report = db.session.get(ReconcileReport, report_id)
    if report is None:
        abort(404)
    return render_template("admin/reconcile_report.html", report=report)


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise OrderError("Times look like 2026-12-31T09:00 (UTC).") from None
