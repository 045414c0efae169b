"""Checkout: the payment page, the PaymentIntent it pays, and the page Stripe returns to."""

from __future__ import annotations

import hmac
import logging
import re

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import orders, payments
from ..extensions import db
from ..money import format_money
from .shop import book_or_404

log = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__, url_prefix="/checkout")

PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9]{1,250}")


@bp.get("/<slug>")
def start(slug: str) -> str:
    book = book_or_404(slug)
    return render_template(
        "checkout/checkout.html",
        book=book,
        return_url=url_for("checkout.complete", _external=True),
    )


@bp.post("/<slug>/payment-intent")
def create_payment_intent(slug: str) -> ResponseReturnValue:
    book = book_or_404(slug)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _invalid("Please reload the page and try again.")
    try:
        email = orders.normalise_email(data.get("email"))
        lines = [orders.LineRequest(book, orders.parse_quantity(data.get("quantity")))]
        total, currency = orders.price_lines(lines)  # prices come from the catalog only
    except orders.OrderError as exc:
        return _invalid(exc.message, exc.field)

    # Stripe first, then one short transaction: no database lock is held across the network
    # call, and a failure at Stripe leaves nothing behind.
    reference = orders.new_reference()
    items = orders.describe_lines(lines)
    intent = payments.create_payment_intent(
        amount=total,
        currency=currency,
        metadata={"order_reference": reference, "items": items},
        receipt_email=email,
        idempotency_key=f"order-{reference}-payment-1",
        description=f"Bookshop order {reference}: {items}"[:1000],
    )
    order = orders.place_order(db.session, lines, email, reference)
    orders.payment_started(db.session, order, intent)
    db.session.commit()
    log.info("order %s placed: %s %s, payment %s", reference, total, currency, intent.id)
    return (
        jsonify(
            clientSecret=intent.client_secret,
            order=reference,
            amount=format_money(total, currency),
        ),
        201,
    )


@bp.get("/complete")
def complete() -> str:
    payment_intent_id = request.args.get("payment_intent", "")
    client_secret = request.args.get("payment_intent_client_secret", "")
    if not PAYMENT_INTENT_ID.fullmatch(payment_intent_id):
        abort(404)
    payment = orders.find_payment(db.session, payment_intent_id)
    if payment is None:
        abort(404)
    # The status shown is the one Stripe reports now; query parameters such as
    # redirect_status are never trusted.
    intent = payments.retrieve_payment_intent(payment_intent_id)
    if not intent.client_secret or not hmac.compare_digest(
        client_secret.encode(), intent.client_secret.encode()
    ):
        abort(404)
    order = orders.payment_updated(db.session, payment, intent)
    db.session.commit()
    return render_template("checkout/complete.html", intent=intent, order=order)


def _invalid(message: str, field: str | None = None) -> ResponseReturnValue:
    return jsonify(error={"status": 400, "message": message, "field": field}), 400
