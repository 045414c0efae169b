"""Delivery at checkout: the endpoint the page's script calls when the customer picks a country, an
option or enters the address."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from .. import orders
from ..actions import delivery
from ..extensions import db
from ..money import format_money
from .api import json_body, json_error
from .orders import order_or_404

bp = Blueprint("delivery", __name__, url_prefix="/orders")


@bp.post("/<token>/delivery")
def choose(token: str) -> ResponseReturnValue:
    order = order_or_404(token)
    data = json_body()
    if data is None:
        return json_error("Please reload the page and try again.")
    try:
        chosen = delivery.choose_delivery(db.session, order, data)
    except orders.OrderError as exc:
        db.session.rollback()
        status = 409 if exc.field is None else 400
        return json_error(exc.message, exc.field, status)
    return jsonify(
        total=order.total_amount,
        totalText=format_money(order.total_amount, order.currency),
        shipping={
            "code": chosen.code,
            "name": chosen.name,
            "amountText": format_money(chosen.amount, order.currency) if chosen.amount else "Free",
            "estimate": chosen.estimate,
        },
    )
