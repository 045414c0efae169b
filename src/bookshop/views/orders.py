"""The customer's orders: My orders, and each order's private page with resume, cancel and
refund (each behind a confirmation step)."""

from __future__ import annotations

import logging
import re
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from .. import orders, payments
from ..actions import canceling, fulfilment, paying, refunding
from ..browser import browser_id
from ..extensions import db
from ..models import Order, utcnow
from ..money import format_money
from ..orders import OrderError, OrderStatus
from .api import json_body, json_error
from .checkout import render_checkout

log = logging.getLogger(__name__)
bp = Blueprint("orders", __name__, url_prefix="/orders")

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
QUANTITY_FIELD = re.compile(r"quantity-(\d{1,12})")
MY_ORDERS_LIMIT = 50
ALL_REFUNDED = "Everything on this order has been refunded: there is nothing more to refund."
# Opening the pay link of an order that needs no payment: where it stands, calmly.
NOTHING_TO_PAY = {
    OrderStatus.PAID: "This order is already paid: nothing more to do.",
    OrderStatus.AUTHORIZED: "This order is already paid for: we charge your card when it ships.",
    OrderStatus.PROCESSING: "Your bank is still confirming the payment for this order.",
    OrderStatus.CANCELED: "This order was canceled, so there is nothing to pay.",
}


def order_or_404(token: str) -> Order:
    """The order behind a private URL, or the 404 page (ids, references and typos all miss)."""
    order = orders.find_order_by_token(db.session, token) if TOKEN.fullmatch(token) else None
    if order is None:
        abort(404)
    return order


@bp.get("")
def my_orders() -> str:
    bid = browser_id()
    found: list[Order] = []
    if bid:
        query = select(Order.id).where(Order.browser_id == bid)
        pending = db.session.scalars(query.where(Order.status == OrderStatus.PENDING_PAYMENT))
        canceling.expire_due(db.session, utcnow(), pending)
        found = list(
            db.session.scalars(
                select(Order)
                .where(Order.browser_id == bid)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(MY_ORDERS_LIMIT)
            )
        )
    return render_template("orders/list.html", orders=found)


@bp.get("/<token>")
def detail(token: str) -> str:
    order = order_or_404(token)
    canceling.expire_due(
        db.session, utcnow(), [order.id] if order.status == OrderStatus.PENDING_PAYMENT else []
    )
    refunding.retry_pending_refunds(db.session, order)
    db.session.refresh(order)
    return render_template("orders/detail.html", **_facts(order))


@bp.get("/<token>/pay")
def pay(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    if order.status == OrderStatus.PENDING_PAYMENT:
        canceling.expire_due(db.session, utcnow(), [order.id])
    if order.status != OrderStatus.PENDING_PAYMENT:
        flash(
            NOTHING_TO_PAY.get(OrderStatus(order.status), "This order is not waiting for payment."),
            "info",
        )
        return redirect(url_for("orders.detail", token=token), 303)
    return render_checkout(
        lines=[(line.book, line.quantity, line.line_amount) for line in order.lines],
        total=order.total_amount,
        currency=order.currency,
        intent_url=url_for("orders.payment_intent", token=token),
        version="",
        back=(f"Order {order.reference}", url_for("orders.detail", token=token)),
        email=order.email,
        checkout_id="",
        order=order,
    )


@bp.post("/<token>/payment-intent")
def payment_intent(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    try:
        intent = paying.resume_payment(db.session, order)
    except OrderError as exc:
        db.session.rollback()
        return jsonify(error={"status": 409, "message": exc.message, "field": None}), 409
    return jsonify(
        clientSecret=intent.client_secret,
        order=order.reference,
        deliveryUrl=url_for("delivery.choose", token=order.token),
        emailUrl=url_for("orders.change_email", token=order.token),
        checkUrl=url_for("orders.check_payment", token=order.token),
        email=order.email,
    ), 201


@bp.post("/<token>/email")
def change_email(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    data = json_body()
    if data is None:
        return json_error("Please reload the page and try again.")
    try:
        paying.change_email(db.session, order, data.get("email"))
    except OrderError as exc:
        db.session.rollback()
        return json_error(exc.message, exc.field, 400 if exc.field else 409)
    return jsonify(email=order.email)


@bp.post("/<token>/payment-check")
def check_payment(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    paying.check_payment(db.session, order)
    return jsonify(status=order.status)


@bp.get("/<token>/cancel")
def confirm_cancel(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    if order.status != OrderStatus.PENDING_PAYMENT:
        flash("This order can no longer be canceled: here is where it stands.", "info")
        return redirect(url_for("orders.detail", token=token), 303)
    return render_template("orders/cancel.html", order=order)


@bp.post("/<token>/cancel")
def cancel(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    try:
        canceling.cancel_order(db.session, order)
    except OrderError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Your order is canceled. No money was taken.", "success")
    return redirect(url_for("orders.detail", token=token), 303)


@bp.get("/<token>/refund")
def refund_form(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    if not _refund_allowed(order):
        return redirect(url_for("orders.detail", token=token), 303)
    return render_template("orders/refund.html", **_facts(order))


@bp.post("/<token>/refund/review")
def review_refund(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    if not _refund_allowed(order):
        return redirect(url_for("orders.detail", token=token), 303)
    try:
        quantities = _requested_quantities(order)
        plan = orders.plan_refund(order, quantities)
    except OrderError as exc:
        return render_template("orders/refund.html", error=exc.message, **_facts(order)), 400
    lines = {line.id: line for line in order.lines}
    chosen = [(lines[line_id], q) for line_id, q in plan.quantities.items()]
    return render_template(
        "orders/refund_review.html",
        order=order,
        plan=plan,
        chosen=chosen,
        # A full refund also returns what is left of delivery (and of anything priced apart).
        rest=plan.amount - sum(line.unit_amount * q for line, q in chosen),
        whole=quantities is None,
        request_id=secrets.token_urlsafe(18),
    )


@bp.post("/<token>/refund")
def refund(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    request_id = request.form.get("request_id", "")
    if not REQUEST_ID.fullmatch(request_id):
        flash("Please review the refund again before confirming it.", "error")
        return redirect(url_for("orders.refund_form", token=token), 303)
    try:
        if not _refund_allowed(order, quiet=True):
            raise OrderError("This order cannot be refunded any more.")
        row = refunding.request_refund(
            db.session,
            order,
            _requested_quantities(order),
            request_id,
            window_days=current_app.config["REFUND_WINDOW_DAYS"],
            now=utcnow(),
            expected_amount=_expected_amount(),
        )
    except OrderError as exc:
        db.session.rollback()
        if order.status == OrderStatus.REFUNDED:  # Back after a full refund, and sent again
            flash(ALL_REFUNDED, "info")
        else:
            flash(exc.message, "error")
    except payments.PaymentUnavailable:
        db.session.rollback()
        flash(
            "Your refund is recorded, but our payment provider did not answer. "
            "We will complete it shortly; this page shows its progress.",
            "error",
        )
    else:
        if row.status == orders.RefundStatus.SUCCEEDED:
            flash("Your refund is on its way.", "success")
        else:
            flash("Your refund is being processed.", "success")
    return redirect(url_for("orders.detail", token=token), 303)


@bp.get("/<token>/cancel-books")
def let_go_form(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    if not _facts(order)["can_let_go"]:
        flash("These books can no longer be canceled: here is where your order stands.", "info")
        return redirect(url_for("orders.detail", token=token), 303)
    return render_template("orders/cancel_books.html", **_facts(order))


@bp.post("/<token>/cancel-books")
def let_go(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    try:
        fulfilment.let_go_books(db.session, order, _requested_quantities(order))
    except OrderError as exc:
        db.session.rollback()
        if not _facts(order)["can_let_go"]:
            flash(exc.message, "error")
            return redirect(url_for("orders.detail", token=token), 303)
        return render_template("orders/cancel_books.html", error=exc.message, **_facts(order)), 400
    if order.status == OrderStatus.CANCELED:
        flash("Your order is canceled. Nothing was charged.", "success")
    else:
        total = format_money(order.total_amount, order.currency)
        flash(f"Those books are canceled. We will charge {total} when the rest ships.", "success")
    return redirect(url_for("orders.detail", token=token), 303)


def _facts(order: Order) -> dict[str, object]:
    now = utcnow()
    window = current_app.config["REFUND_WINDOW_DAYS"]
    return {
        "order": order,
        "money": orders.balance(order),
        "refundable": orders.refundable_quantities(order),
        "can_pay": order.status == OrderStatus.PENDING_PAYMENT,
        "can_cancel": order.status == OrderStatus.PENDING_PAYMENT,
        "can_refund": orders.can_request_refund(order, window, now),
        "can_let_go": order.status == OrderStatus.AUTHORIZED
        and order.fulfilment_status == orders.FulfilmentStatus.UNFULFILLED,
        "refund_deadline": orders.refund_deadline(order, window),
    }


def _refund_allowed(order: Order, quiet: bool = False) -> bool:
    window = current_app.config["REFUND_WINDOW_DAYS"]
    if orders.can_request_refund(order, window, utcnow()):
        return True
    if not quiet:
        if order.status == OrderStatus.REFUNDED:
            flash(ALL_REFUNDED, "info")
        else:
            flash("This order cannot be refunded: here is where it stands.", "info")
    return False


def _requested_quantities(order: Order) -> dict[int, int] | None:
    """None for "everything left", or copies per order line from the form."""
    scope = request.form.get("scope")
    if scope == "all":
        if any(
            name.startswith("quantity-") and raw.strip() not in ("", "0")
            for name, raw in request.form.items()
        ):
            # Everything, or these copies: a request cannot ask for both.
            raise OrderError("Please choose either everything or some copies, not both.")
        return None
    if scope != "lines":
        raise OrderError("Please choose what to refund.")
    line_quantities = {line.id: line.kept_quantity for line in order.lines}
    quantities: dict[int, int] = {}
    for name, raw in request.form.items():
        match = QUANTITY_FIELD.fullmatch(name)
        if name.startswith("quantity-") and match is None:
            raise OrderError("That book is not part of this order.", field="quantity")
        if match is None:
            continue
        line_id = int(match.group(1))
        if line_id not in line_quantities:
            raise OrderError("That book is not part of this order.", field="quantity")
        limit = line_quantities[line_id]
        quantities[line_id] = orders.parse_quantity(raw.strip() or "0", limit, minimum=0)
    return quantities


def _expected_amount() -> int:
    raw = request.form.get("amount", "")
    if not raw.isdigit() or len(raw) > 12:
        raise OrderError("Please review the refund again before confirming it.")
    return int(raw)
