"""What staff do on an order page: ship, mark delivered, cancel, refund (reviewed before it is
sent), add a note, resend an email. Every form posts here and comes back to the order page with
what happened; a refused action changes nothing."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from ... import orders, payments
from ...actions import back_office
from ...extensions import db
from ...money import MoneyError, format_money, to_minor_units
from ...orders import OrderError
from ...staff_auth import requires
from . import bp
from .common import actor, form_quantities, form_text, order_or_404

log = logging.getLogger(__name__)


def _back(order_id: int, anchor: str = "") -> Response:
    return redirect(url_for("admin.order_detail", order_id=order_id) + anchor, 303)


def _refused(order_id: int, message: str) -> Response:
    flash(message, "error")
    return _back(order_id)


@bp.post("/orders/<int:order_id>/ship")
@requires("staff")
def ship(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        quantities = form_quantities() if request.form.get("part") else None
        back_office.ship(
            db.session,
            actor(),
            order,
            quantities,
            form_text("carrier", 100),
            form_text("tracking", 100),
            form_text("tracking_url", 600) or None,
        )
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    flash(f"Order {order.reference} is marked shipped; the customer was emailed.", "success")
    return _back(order_id)


@bp.post("/orders/<int:order_id>/deliver")
@requires("staff")
def deliver(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        back_office.deliver(db.session, actor(), order)
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    flash(f"Order {order.reference} is marked delivered.", "success")
    return _back(order_id)


@bp.post("/orders/<int:order_id>/cancel")
@requires("admin", fresh=True)
def cancel(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    if request.form.get("confirm") != "yes":
        return _refused(order_id, "Tick the box to confirm the cancellation.")
    try:
        back_office.cancel(db.session, actor(), order)
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    except payments.PaymentError as exc:
        db.session.rollback()
        return _refused(order_id, f"Stripe did not cancel the payment: {exc.user_message}")
    flash(f"Order {order.reference} is canceled and its books are back in stock.", "success")
    return _back(order_id)


@bp.post("/orders/<int:order_id>/refund/review")
@requires("admin", fresh=True)
def refund_review(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        quantities, amount = _refund_request(order.currency)
        plan = (
            orders.plan_amount_refund(order, amount)
            if amount is not None
            else orders.plan_refund(order, quantities)
        )
        reason = request.form.get("reason", "")
        if reason not in back_office.REFUND_REASONS:
            raise OrderError("Please choose a reason.", field="reason")
        if not form_text("note"):
            raise OrderError("Please say why, for the order's notes.", field="note")
    except OrderError as exc:
        return _refused(order_id, exc.message)
    lines = {line.id: line for line in order.lines}
    return render_template(
        "admin/refund_review.html",
        order=order,
        plan=plan,
        lines=[(lines[i], q) for i, q in plan.quantities.items()],
        amount_only=amount is not None,
        reason=reason,
        note=form_text("note"),
        mode=request.form.get("mode", ""),
        form=request.form,
        request_id=form_text("request_id", 64),
    )


@bp.post("/orders/<int:order_id>/refund")
@requires("admin", fresh=True)
def refund(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        quantities, amount = _refund_request(order.currency)
        expected = request.form.get("expected_amount", "")
        row = back_office.refund(
            db.session,
            actor(),
            order,
            quantities=quantities,
            amount=amount,
            reason=request.form.get("reason", ""),
            note=form_text("note"),
            request_id=form_text("request_id", 64),
            expected_amount=int(expected) if expected.isdigit() else -1,
        )
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    except payments.PaymentUnavailable:
        db.session.rollback()
        flash(
            "Stripe did not answer. The refund is recorded as pending and will be sent again.",
            "error",
        )
        return _back(order_id)
    words = format_money(row.amount, row.currency)
    if row.status == "succeeded":
        flash(f"Refunded {words} to the customer.", "success")
    else:
        flash(f"The refund of {words} is {row.status} at Stripe.", "success")
    return _back(order_id)


@bp.post("/orders/<int:order_id>/notes")
@requires("staff")
def add_note(order_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        back_office.add_note(db.session, actor(), order, request.form.get("note") or "")
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    flash("Note added.", "success")
    return _back(order_id, "#notes")


@bp.post("/orders/<int:order_id>/emails/<int:email_id>/resend")
@requires("staff")
def resend_email(order_id: int, email_id: int) -> ResponseReturnValue:
    order = order_or_404(order_id)
    try:
        copy = back_office.resend_email(db.session, actor(), order, email_id)
    except OrderError as exc:
        db.session.rollback()
        return _refused(order_id, exc.message)
    flash(f"“{copy.subject}” is sent again to {copy.to_address}.", "success")
    return _back(order_id, "#emails")


def _refund_request(currency: str) -> tuple[dict[int, int] | None, int | None]:
    """(quantities, amount) from the refund form: everything (None, None), chosen books, or an
    amount typed in the order's currency."""
    mode = request.form.get("mode", "")
    if mode == "all":
        return None, None
    if mode == "lines":
        chosen = form_quantities()
        if not chosen:
            raise OrderError("Choose at least one copy to refund.", field="quantity")
        return chosen, None
    if mode == "amount":
        raw = form_text("amount", 20).replace(",", "")
        try:
            amount = to_minor_units(raw, currency)
        except MoneyError:
            raise OrderError(
                f"{raw!r} is not an amount in {currency.upper()}.", field="amount"
            ) from None
        if amount <= 0:
            raise OrderError("The amount must be more than zero.", field="amount")
        return None, amount
    raise OrderError("Choose what to refund: everything, some books, or an amount.")
