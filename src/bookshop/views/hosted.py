"""Hosted Checkout (CHECKOUT_MODE=hosted): the page that sends the customer to Stripe's hosted
Checkout page for the cart, one book or an unpaid order, and the pages Stripe sends them back to.
Registered under the checkout blueprint (/checkout/hosted/…)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from .. import cart as carts
from .. import orders
from ..actions import hosted_checkout
from ..browser import adopt, browser_id
from ..catalog import find_book
from ..extensions import db
from ..models import Order, utcnow
from ..urls import external_url
from .cart import CART_ORDER_KEY, forget_paid_cart, priced_cart
from .shop import book_or_404

bp = Blueprint("hosted", __name__, url_prefix="/hosted")

CHECKOUT_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")
CHECKOUT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
STALE = "The prices or books in your cart changed since this page was loaded. Please check them."


def enabled() -> bool:
    """Whether customers pay on Stripe's hosted Checkout page."""
    return bool(current_app.config["CHECKOUT_MODE"] == "hosted")


def render_page(
    lines: list[tuple[Any, int, int]],
    total: int,
    currency: str,
    intent_url: str,
    version: str,
    back: tuple[str, str],
    email: str | None,
    checkout_id: str,
    order: Order | None,
) -> str:
    """The checkout page of hosted mode: the books, the email, and a button to Stripe's page
    (where the address, the delivery option and the card are asked for)."""
    if order is not None:
        action = url_for("checkout.hosted.resume", token=order.token)
    elif intent_url == url_for("checkout.cart_payment_intent"):
        action = url_for("checkout.hosted.cart")
    else:
        action = url_for("checkout.hosted.buy_now", slug=lines[0][0].slug)
    return render_template(
        "checkout/hosted.html",
        lines=lines,
        total=total,
        currency=currency,
        version=version,
        back=back,
        email=email,
        checkout_id=checkout_id,
        order=order,
        action=action,
    )


@bp.post("/cart")
def cart() -> ResponseReturnValue:
    priced = priced_cart()
    if not priced.lines or priced.problems:
        for problem in priced.problems or ["Your cart is empty."]:
            flash(problem, "error")
        return redirect(url_for("cart.show"), 303)
    if request.form.get("cart_version") != priced.version:
        flash(STALE, "error")
        return redirect(url_for("checkout.cart_checkout"), 303)
    started = _place(priced.line_requests(), url_for("checkout.cart_checkout"), cancel_book=None)
    if isinstance(started, hosted_checkout.HostedStart):
        # The cart stays until this order is paid (the success page empties it then).
        session[CART_ORDER_KEY] = started.order.reference
        return redirect(started.url, 303)
    return started


@bp.post("/books/<slug>")
def buy_now(slug: str) -> ResponseReturnValue:
    book = book_or_404(slug)
    if request.form.get("cart_version") != carts.version([(book, 1)]):
        flash(STALE.replace("in your cart ", ""), "error")
        return redirect(url_for("checkout.start", slug=slug), 303)
    back = url_for("checkout.start", slug=slug)
    started = _place([orders.LineRequest(book, 1)], back, cancel_book=slug)
    if isinstance(started, hosted_checkout.HostedStart):
        return redirect(started.url, 303)
    return started


@bp.post("/orders/<token>")
def resume(token: str) -> ResponseReturnValue:
    order = orders.find_order_by_token(db.session, token) if TOKEN.fullmatch(token) else None
    if order is None:
        abort(404)
    try:
        started = hosted_checkout.resume_checkout(db.session, order, _urls(cancel_book=None))
    except orders.OrderError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("orders.detail", token=token), 303)
    return redirect(started.url, 303)


@bp.get("/complete")
def complete() -> ResponseReturnValue:
    checkout_session_id = request.args.get("session_id", "")
    returned = None
    if CHECKOUT_SESSION_ID.fullmatch(checkout_session_id):
        returned = hosted_checkout.checkout_returned(db.session, checkout_session_id)
    if returned is None:
        return render_template("checkout/unknown_return.html"), 404
    order = returned.order
    if returned.intent is None:  # the session was never paid on: the order says where it stands
        return redirect(url_for("orders.detail", token=order.token), 303)
    if session.get(CART_ORDER_KEY) == order.reference:
        forget_paid_cart(order)
    return render_template("checkout/complete.html", intent=returned.intent, order=order)


@bp.get("/canceled")
def canceled() -> ResponseReturnValue:
    # Back from Stripe's page without paying: the books are where the customer left them.
    slug = request.args.get("book", "")
    flash("You have not paid yet: your books are still here when you are ready.", "info")
    if slug and find_book(db.session, slug) is not None:
        return redirect(url_for("shop.book", slug=slug), 303)
    return redirect(url_for("cart.show"), 303)


def _place(
    lines: list[orders.LineRequest], back: str, cancel_book: str | None
) -> hosted_checkout.HostedStart | ResponseReturnValue:
    try:
        email = orders.normalise_email(request.form.get("email"))
        orders.price_lines(lines)  # prices come from the catalog only
    except orders.OrderError as exc:
        flash(exc.message, "error")
        return redirect(back, 303)
    checkout_id = request.form.get("checkout_id", "")
    secret = str(current_app.secret_key or "")
    reference = (
        orders.reference_for(checkout_id, secret)
        if CHECKOUT_ID.fullmatch(checkout_id)
        else orders.new_reference()
    )
    try:
        started = hosted_checkout.place_and_start_checkout(
            db.session,
            lines,
            email,
            reference=reference,
            browser_id=browser_id(create=True),
            expires_at=utcnow() + timedelta(minutes=current_app.config["ORDER_EXPIRY_MINUTES"]),
            capture_method=current_app.config["CAPTURE_METHOD"],
            urls=_urls(cancel_book),
        )
    except orders.OrderError as exc:  # out of stock, or the order can no longer be paid
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back, 303)
    adopt(started.order.browser_id)  # the same checkout again from a browser without the cookie
    g.order_placed = True  # counted against the limits on unpaid orders
    return started


def _urls(cancel_book: str | None) -> hosted_checkout.ReturnUrls:
    # From SHOP_URL, never the Host header; Stripe fills in {CHECKOUT_SESSION_ID} itself.
    cancel = external_url(
        "checkout.hosted.canceled", **({"book": cancel_book} if cancel_book else {})
    )
    return hosted_checkout.ReturnUrls(
        success=external_url("checkout.hosted.complete") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=cancel,
    )
