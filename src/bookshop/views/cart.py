"""The cart page and its forms: add, change a quantity, remove."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from .. import cart as carts
from ..catalog import find_book
from ..extensions import db
from ..models import Book, Order
from ..orders import OrderError, find_order_by_reference
from ..security import from_own_pages
from .api import json_error

bp = Blueprint("cart", __name__, url_prefix="/cart")
CART_ORDER_KEY = "cart_order"  # the reference of the order placed from the cart, until it is paid
PAID_ENOUGH = {"paid", "authorized", "processing"}  # the order is on its way: the cart can go


def current_cart() -> carts.Cart:
    """The cart kept in this browser's session."""
    return carts.load(session.get(carts.SESSION_KEY))


def save_cart(cart: carts.Cart) -> None:
    """Store the cart in the session (an empty cart removes the key)."""
    if cart:
        session[carts.SESSION_KEY] = carts.dump(cart)
    else:
        session.pop(carts.SESSION_KEY, None)


def priced_cart() -> carts.PricedCart:
    """The session's cart, priced from the catalog now."""
    cart = current_cart()
    books = {}
    if cart:
        books = {b.id: b for b in db.session.scalars(select(Book).where(Book.id.in_(list(cart))))}
    return carts.price(cart, books, current_app.config["CART_MAX_QUANTITY"])


@bp.app_context_processor
def _cart_count() -> dict[str, Any]:
    return {"cart_count": carts.count(session.get(carts.SESSION_KEY))}


def forget_paid_cart(order: Order | None = None) -> None:
    """Empty the cart once the order placed from it is paid (or its card authorized): until then
    the books stay in the cart, so Back or a closed tab loses nothing."""
    reference = session.get(CART_ORDER_KEY)
    if not isinstance(reference, str):
        return
    if order is None or order.reference != reference:
        order = find_order_by_reference(db.session, reference)
    if order is None:
        session.pop(CART_ORDER_KEY, None)
    elif order.status in PAID_ENOUGH:
        save_cart({})
        session.pop(CART_ORDER_KEY, None)


@bp.get("")
def show() -> str:
    forget_paid_cart()
    return render_template("cart/cart.html", cart=priced_cart())


@bp.post("/add")
def add() -> ResponseReturnValue:
    # Its forms are on the catalog pages, the same for everyone and without a token: the browser's
    # own Sec-Fetch-Site / Origin headers stand in for it (exempt from the token in create_app).
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not from_own_pages():
        raise CSRFError("This form must be sent from the shop's own pages.")
    return _change(lambda cart, book, limit: carts.add(cart, book, _quantity(), limit), "added")


@bp.get("/add")
@bp.get("/update")
@bp.get("/remove")
def form_address() -> ResponseReturnValue:
    """A form's address opened as a page (a bookmark, a shared link): the book or the cart."""
    book = find_book(db.session, request.args.get("book", ""))
    if book is not None and request.path.endswith("/add"):
        return redirect(url_for("shop.book", slug=book.slug), 303)
    return redirect(url_for("cart.show"), 303)


@bp.post("/update")
def update() -> ResponseReturnValue:
    raw = _quantity()
    if isinstance(raw, str) and raw.strip() == "0":  # 0 copies: the customer wants none
        return remove()
    return _change(lambda cart, book, limit: carts.set_quantity(cart, book, raw, limit), "updated")


@bp.post("/remove")
def remove() -> ResponseReturnValue:
    return _change(lambda cart, book, limit: carts.remove(cart, book.id), "removed")


def _quantity() -> object:
    return request.form.get("quantity")


def _wants_json() -> bool:
    """The page's script asked (add to cart in place); a plain form gets the cart page."""
    return request.accept_mimetypes.best == "application/json"


def _change(action: Any, done: str) -> ResponseReturnValue:
    book = find_book(db.session, request.form.get("book", ""))
    if book is None:
        if _wants_json():
            return json_error("We could not find that book.", "book", 404)
        flash("We could not find that book.", "error")
        return redirect(url_for("cart.show"), 303)
    try:
        cart = action(current_cart(), book, current_app.config["CART_MAX_QUANTITY"])
    except OrderError as exc:
        if _wants_json():
            return json_error(exc.message, exc.field)
        flash(exc.message, "error")
        return redirect(url_for("cart.show"), 303)
    save_cart(cart)
    messages = {
        "added": f"Added “{book.title}” to your cart.",
        "updated": f"Updated “{book.title}”.",
        "removed": f"Removed “{book.title}” from your cart.",
    }
    if _wants_json():
        return jsonify(message=messages[done], count=sum(cart.values()))
    flash(messages[done], "success")
    return redirect(url_for("cart.show"), 303)
