"""Disputes: the list by evidence due date, and a dispute page with the evidence for books sent
by post prefilled from the order, sent to Stripe as a draft or submitted to the bank."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ... import payments
from ...actions import staff_operations
from ...extensions import db
from ...models import Dispute, DisputeResponse, Order
from ...money import format_money
from ...orders import OrderError, address_of
from ...staff_auth import requires
from . import bp
from .common import actor


@bp.get("/disputes")
@requires("staff")
def dispute_list() -> str:
    rows = db.session.execute(
        select(Dispute, DisputeResponse)
        .outerjoin(DisputeResponse, DisputeResponse.dispute_id == Dispute.id)
        .order_by(
            Dispute.evidence_due_by.is_(None),
            Dispute.evidence_due_by,
            Dispute.created_at,
        )
    ).all()
    return render_template("admin/disputes.html", rows=rows)


@bp.get("/disputes/<int:dispute_id>")
@requires("staff")
def dispute_detail(dispute_id: int) -> str:
    dispute = _dispute_or_404(dispute_id)
    response = db.session.scalar(
        select(DisputeResponse).where(DisputeResponse.dispute_id == dispute.id)
    )
    saved = json.loads(response.evidence) if response and response.evidence else {}
    evidence = {**prefilled(dispute.order), **saved}
    return render_template(
        "admin/dispute.html",
        dispute=dispute,
        order=dispute.order,
        response=response,
        evidence=evidence,
        fields=staff_operations.EVIDENCE_FIELDS,
        answerable=dispute.status in staff_operations.ANSWERABLE,
    )


@bp.post("/disputes/<int:dispute_id>/refresh")
@requires("staff")
def dispute_refresh(dispute_id: int) -> ResponseReturnValue:
    dispute = _dispute_or_404(dispute_id)
    try:
        staff_operations.refresh_dispute(db.session, dispute)
    except payments.PaymentError as exc:
        db.session.rollback()
        flash(f"Stripe could not be asked: {exc.user_message}", "error")
    return redirect(url_for("admin.dispute_detail", dispute_id=dispute_id), 303)


@bp.post("/disputes/<int:dispute_id>/evidence")
@requires("admin", fresh=True)
def dispute_evidence(dispute_id: int) -> ResponseReturnValue:
    dispute = _dispute_or_404(dispute_id)
    submit = request.form.get("submit_now") == "yes"
    evidence = {name: request.form.get(name, "") for name in staff_operations.EVIDENCE_FIELDS}
    try:
        staff_operations.submit_evidence(db.session, actor(), dispute, evidence, submit)
    except OrderError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except payments.PaymentError as exc:
        db.session.rollback()
        flash(f"Stripe did not take the evidence: {exc.user_message}", "error")
    else:
        flash(
            "The evidence is submitted to the bank."
            if submit
            else "The evidence is saved at Stripe as a draft.",
            "success",
        )
    return redirect(url_for("admin.dispute_detail", dispute_id=dispute_id), 303)


def prefilled(order: Order) -> dict[str, str]:
    """Evidence for books sent by post, from what the shop knows about the order."""
    shipment = order.shipments[0] if order.shipments else None
    address = address_of(order)
    books = "; ".join(
        f"{line.kept_quantity} × “{line.title}” by {line.book.author} "
        f"({format_money(line.unit_amount, order.currency)} each)"
        for line in order.lines
        if line.kept_quantity
    )
    where = ""
    if address is not None:
        parts = [
            order.ship_to_name,
            order.ship_to_line1,
            order.ship_to_line2,
            order.ship_to_city,
            order.ship_to_state,
            order.ship_to_postal_code,
            order.ship_to_country,
        ]
        where = ", ".join(p for p in parts if p)
    return {
        "product_description": f"Printed books, order {order.reference}: {books}.",
        "customer_name": order.ship_to_name or "",
        "customer_email_address": order.email,
        "shipping_address": where,
        "shipping_carrier": shipment.carrier if shipment else "",
        "shipping_tracking_number": shipment.tracking_number if shipment else "",
        "shipping_date": f"{shipment.created_at:%Y-%m-%d}" if shipment else "",
        "customer_communication": "",
        "uncategorized_text": "",
    }


def _dispute_or_404(dispute_id: int) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        abort(404)
    return dispute
