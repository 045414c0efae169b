"""What the back office's views share: who is acting, and reading ids and numbers from forms."""

from __future__ import annotations

import re

from flask import abort, request

from ... import staff_auth
from ...actions.staff import Actor
from ...extensions import db
from ...models import Order, StaffUser

QUANTITY_FIELD = re.compile(r"quantity-(\d{1,12})")
MAX_TEXT = 2000


def me() -> StaffUser:
    """The signed-in staff member (the view's decorator made sure there is one)."""
    user = staff_auth.current_staff()
    if user is None:
        abort(401)
    return user


def actor() -> Actor:
    """The signed-in staff member as the audit log names them."""
    return Actor.of(me(), staff_auth.client_address())


def order_or_404(order_id: int) -> Order:
    """The order with this id, or 404."""
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def form_text(name: str, limit: int = MAX_TEXT) -> str:
    """A trimmed text field, cut to `limit` characters."""
    return (request.form.get(name) or "").strip()[:limit]


def form_quantities() -> dict[int, int]:
    """The `quantity-<line id>` fields of a form that hold a whole number above zero."""
    chosen: dict[int, int] = {}
    for name, raw in request.form.items():
        match = QUANTITY_FIELD.fullmatch(name)
        value = raw.strip()
        if match and value:
            if not value.isdigit() or len(value) > 6:
                from ...orders import OrderError

                raise OrderError("Quantities must be whole numbers.", field="quantity")
            if int(value):
                chosen[int(match.group(1))] = int(value)
    return chosen
