"""Checkout: the payment page for the cart (or one book bought now), the order and PaymentIntent
it places, and the page Stripe returns to."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
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

from .. import cart as carts
from .. import orders
from ..actions import paying
from ..browser import adopt, browser_id
from ..extensions import db
from ..models import Order, utcnow
from ..money import format_money
from ..urls import external_url
from . import hosted
from .api import json_body, json_error
from .cart import CART_ORDER_KEY, forget_paid_cart, priced_cart
from .shop import book_or_404

log = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__, url_prefix="/checkout")
bp.register_blueprint(hosted.bp)  # CHECKOUT_MODE=hosted: /checkout/hosted/…
DEFAULT_COUNTRY = "SG"  # the shop's home: the option preselected before an address is known

PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9]{1,250}")
CHECKOUT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
CHECKOUTS_KEY = "checkouts"  # cart version -> checkout id, so a reload finds its order
REMEMBERED_CHECKOUTS = 4
RELOAD = "Please reload the page and try again."
STALE = "The prices or books in your cart changed since this page was loaded. Please check them."


@bp.get("")
def cart_checkout() -> ResponseReturnValue:
    forget_paid_cart()
    cart = priced_cart()
    if not cart.lines:
        flash("Your cart is empty.", "info")
        return redirect(url_for("cart.show"), 303)
    if not cart.can_check_out:
        for problem in cart.problems:
            flash(problem, "error")
        return redirect(url_for("cart.show"), 303)
    checkout_id, pending = remembered_checkout(cart.version)
    return render_checkout(
        lines=[(line.book, line.quantity, line.amount) for line in cart.lines],
        total=cart.total,
        currency=cart.currency or "",
        intent_url=url_for("checkout.cart_payment_intent"),
        version=cart.version,
        back=("Cart", url_for("cart.show")),
        email=pending.email if pending else None,
        checkout_id=checkout_id,
    )


@bp.post("/payment-intent")
def cart_payment_intent() -> ResponseReturnValue:
    data = json_body()
    if data is None:
        return json_error(RELOAD)
    cart = priced_cart()
    if not cart.lines:
        return json_error("Your cart is empty.", "cart", 409)
    if cart.problems:
        return json_error(cart.problems[0], "cart", 409)
    if data.get("cart_version") != cart.version:
        return json_error(STALE, "cart", 409)
    response = _place(data, cart.line_requests())
    if response[1] == 201:
        # The cart stays until this order is paid (the return page empties it then).
        session[CART_ORDER_KEY] = response[0].json["order"]
    return response


@bp.get("/<slug>")
def start(slug: str) -> str:
    book = book_or_404(slug)
    version = carts.version([(book, 1)])
    checkout_id, pending = remembered_checkout(version)
    return render_checkout(
        lines=[(book, 1, book.price_amount)],
        total=book.price_amount,
        currency=book.currency,
        intent_url=url_for("checkout.create_payment_intent", slug=book.slug),
        version=version,
        back=(book.title, url_for("shop.book", slug=book.slug)),
        email=pending.email if pending else None,
        checkout_id=checkout_id,
    )


@bp.post("/<slug>/payment-intent")
def create_payment_intent(slug: str) -> ResponseReturnValue:
    book = book_or_404(slug)
    data = json_body()
    if data is None:
        return json_error(RELOAD)
    try:
        quantity = orders.parse_quantity(
            data.get("quantity"), current_app.config["CART_MAX_QUANTITY"]
        )
    except orders.OrderError as exc:
        return json_error(exc.message, exc.field)
    seen = data.get("cart_version")
    if seen is not None and seen != carts.version([(book, quantity)]):
        return json_error(STALE.replace("in your cart ", ""), "cart", 409)
    return _place(data, [orders.LineRequest(book, quantity)])


@bp.get("/complete")
def complete() -> ResponseReturnValue:
    payment_intent_id = request.args.get("payment_intent", "")
    client_secret = request.args.get("payment_intent_client_secret", "")
    returned = None
    if PAYMENT_INTENT_ID.fullmatch(payment_intent_id) and client_secret:
        returned = paying.payment_returned(db.session, payment_intent_id, client_secret)
    if returned is None:
        # A bookmarked, shortened or edited link: say so, and where the orders are.
        return render_template("checkout/unknown_return.html"), 404
    order = returned.order
    if session.get(CART_ORDER_KEY) == order.reference:
        forget_paid_cart(order)
    return render_template("checkout/complete.html", intent=returned.intent, order=order)


def remembered_checkout(version: str) -> tuple[str, Order | None]:
    """The checkout id this browser used for these books at these prices, and its order while it
    still waits for payment: a reload or a return to checkout continues that order instead of
    placing another. A new id when there is none, or its order is paid, canceled or expired."""
    remembered = session.get(CHECKOUTS_KEY)
    checkouts = dict(remembered) if isinstance(remembered, dict) else {}
    checkout_id = checkouts.get(version)
    pending = None
    if isinstance(checkout_id, str) and CHECKOUT_ID.fullmatch(checkout_id):
        reference = orders.reference_for(checkout_id, str(current_app.secret_key or ""))
        found = orders.find_order_by_reference(db.session, reference)
        if found is not None and found.status == orders.OrderStatus.PENDING_PAYMENT:
            if found.expires_at is None or found.expires_at > utcnow():
                pending = found
        if found is not None and pending is None:
            checkout_id = None
    else:
        checkout_id = None
    if checkout_id is None:
        checkout_id = secrets.token_urlsafe(18)
        # A few at most: the session cookie stays small.
        checkouts = dict(list(checkouts.items())[-(REMEMBERED_CHECKOUTS - 1) :])
        checkouts[version] = checkout_id
        session[CHECKOUTS_KEY] = checkouts
    return checkout_id, pending


def render_checkout(
    lines: list[tuple[Any, int, int]],
    total: int,
    currency: str,
    intent_url: str,
    version: str,
    back: tuple[str, str],
    email: str | None = None,
    checkout_id: str | None = None,
    order: Order | None = None,
) -> str:
    """The payment page: the lines and total, delivery, the Payment Element, and where to ask
    for a PaymentIntent (a new checkout gets its own id, so a double submit finds its first
    order)."""
    if hosted.enabled():  # the customer pays on Stripe's hosted Checkout page instead
        checkout_id = secrets.token_urlsafe(18) if checkout_id is None else checkout_id
        args = (lines, total, currency, intent_url, version, back, email, checkout_id, order)
        return hosted.render_page(*args)
    items_amount = order.items_amount if order is not None else total
    return render_template(
        "checkout/checkout.html",
        **page_options(items_amount, currency, order),
        order=order,
        lines=lines,
        total=total,
        currency=currency,
        intent_url=intent_url,
        version=version,
        checkout_id=secrets.token_urlsafe(18) if checkout_id is None else checkout_id,
        back=back,
        email=email,
        return_url=external_url("checkout.complete"),  # from SHOP_URL, never the Host header
    )


def _place(data: dict[str, Any], lines: list[orders.LineRequest]) -> tuple[Any, int]:
    try:
        email = orders.normalise_email(data.get("email"))
        orders.price_lines(lines)  # prices come from the catalog only
    except orders.OrderError as exc:
        return json_error(exc.message, exc.field)
    checkout_id = data.get("checkout_id")
    if isinstance(checkout_id, str) and CHECKOUT_ID.fullmatch(checkout_id):
        reference = orders.reference_for(checkout_id, str(current_app.secret_key or ""))
    else:
        reference = orders.new_reference()
    expires_at = utcnow() + timedelta(minutes=current_app.config["ORDER_EXPIRY_MINUTES"])
    try:
        started = paying.place_and_start_payment(
            db.session,
            lines,
            email,
            reference=reference,
            browser_id=browser_id(create=True),
            expires_at=expires_at,
            capture_method=current_app.config["CAPTURE_METHOD"],
        )
    except orders.OutOfStock as exc:
        return json_error(exc.message, exc.field, 409)
    except orders.OrderError as exc:
        return json_error(exc.message, exc.field, 409)
    order = started.order
    adopt(order.browser_id)  # the same checkout again from a browser whose cookie was not set
    return (
        jsonify(
            clientSecret=started.intent.client_secret,
            order=order.reference,
            orderUrl=url_for("orders.detail", token=order.token),
            deliveryUrl=url_for("delivery.choose", token=order.token),
            emailUrl=url_for("orders.change_email", token=order.token),
            checkUrl=url_for("orders.check_payment", token=order.token),
            email=order.email,
            amount=format_money(order.total_amount, order.currency),
        ),
        201,
    )


def page_options(items_amount: int, currency: str, order: Order | None = None) -> dict[str, Any]:
    """What a checkout page needs to offer delivery: every option priced for these books, the
    countries served, and the customer's choice so far."""
    options = []
    countries: set[str] = set()
    for option in orders.active_options(db.session):
        if option.currency != currency:
            continue
        quote = orders.quote(option, items_amount)
        countries |= option.country_codes
        options.append(
            {
                "code": quote.code,
                "name": quote.name,
                "countries": ",".join(sorted(option.country_codes)),
                "amount_text": format_money(quote.amount, currency) if quote.amount else "Free",
                "estimate": quote.estimate,
            }
        )
    address = orders.address_of(order) if order is not None else None
    return {
        "shipping_options": options,
        "delivery_countries": sorted(countries),
        "default_country": (order.ship_to_country if order else None) or DEFAULT_COUNTRY,
        "chosen_option": order.shipping_option if order else None,
        "saved_address": address,
    }
