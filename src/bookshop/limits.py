"""Limits against card testing and stock hoarding: payment starts per client address, browser and
email; a pause after several declines; refunds per order; back-office logins; unpaid orders per
browser, email and address; copies of one book per unpaid order. Counters live in Redis when
REDIS_URL is set (shared by every instance), in memory otherwise."""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, make_response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse, parse_many
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict, TooManyRequests

from . import payments
from .browser import browser_id
from .models import Order, Payment
from .orders import OrderStatus, normalise_email
from .orders.errors import OrderError

log = logging.getLogger(__name__)

# Views that start a payment (a new order, or paying an existing one again).
PAYMENT_STARTS = (
    "checkout.cart_payment_intent",
    "checkout.create_payment_intent",
    "orders.payment_intent",
    "checkout.hosted.cart",  # CHECKOUT_MODE=hosted: to Stripe's hosted Checkout page
    "checkout.hosted.buy_now",
    "checkout.hosted.resume",
)
# Of those, the ones that place a new order (and so hold stock).
NEW_ORDERS = (
    "checkout.cart_payment_intent",
    "checkout.create_payment_intent",
    "checkout.hosted.cart",
    "checkout.hosted.buy_now",
)
CART_ORDERS = ("checkout.cart_payment_intent", "checkout.hosted.cart")
REFUNDS = ("orders.refund",)

TOO_MANY_PAYMENTS = (
    "Too many payment attempts from here. Please wait a little and try again, "
    "or contact us if you keep seeing this."
)
PAUSED = (
    "Several payments from here were declined, so paying is paused for a while. "
    "Please try again later with a card you know works."
)
TOO_MANY_UNPAID = (
    "You already have {n} unpaid orders. Please pay or cancel one (see My orders) "
    "before starting another."
)
TOO_MANY_COPIES = "An order can hold at most {n} copies of one book until it is paid."
TOO_MANY_REFUNDS = "Too many refund requests for this order. Please try again later."
TOO_MANY_LOGINS = "Too many sign-in attempts. Please wait a little and try again."

limiter = Limiter(get_remote_address, headers_enabled=True, strategy="moving-window")


def init_app(app: Flask) -> None:
    """Bind the limiter (its storage: Redis with REDIS_URL, else memory) to the app."""
    cfg = app.config
    cfg.setdefault("RATELIMIT_ENABLED", cfg["RATE_LIMITS_ENABLED"])
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or "memory://")
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "bookshop-limits")
    # A Redis outage must not stop the shop selling: count in memory meanwhile.
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def apply_to_views(app: Flask) -> None:
    """Wrap the views that start payments, place orders and ask for refunds in their limits."""
    for endpoint in PAYMENT_STARTS:
        view = _paused_after_declines(app.view_functions[endpoint])
        if endpoint in NEW_ORDERS:
            view = _hoarding_checked(view)
        app.view_functions[endpoint] = _limited(
            view, "PAYMENT_LIMITS", "payment-start", _payment_keys, TOO_MANY_PAYMENTS
        )
    for endpoint in REFUNDS:
        app.view_functions[endpoint] = _limited(
            app.view_functions[endpoint], "REFUND_LIMITS", "refund", _order_key, TOO_MANY_REFUNDS
        )


def login_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """For the back office's sign-in view: LOGIN_LIMITS per client address and per account
    name (the form's `email` or `username`)."""
    return _limited(view, "LOGIN_LIMITS", "login", _login_keys, TOO_MANY_LOGINS)


def _limited(
    view: Callable[..., Any],
    setting: str,
    scope: str,
    keys: Callable[[], list[str]],
    message: str,
) -> Callable[..., Any]:
    """The view, counted against each of `keys` under the rules in `setting`; over any of them
    it answers 429 with Retry-After and does nothing."""

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if current_app.config["RATELIMIT_ENABLED"]:
            items = parse_many(str(current_app.config[setting]))
            for key in keys():
                for item in items:
                    if not _strategy().hit(item, scope, key):
                        reset = _strategy().get_window_stats(item, scope, key).reset_time
                        log.info("limit %s reached for %s on %s", item, key, scope)
                        raise _too_many(message, reset)
        return view(*args, **kwargs)

    return limited


def _payment_keys() -> list[str]:
    keys = [_address_key()]
    bid = browser_id()
    if bid:
        keys.append(f"browser:{bid}")
    email = _email_in_body()
    if email:
        keys.append(f"email:{email}")
    return keys


def _order_key() -> list[str]:
    return [f"order:{(request.view_args or {}).get('token', '')}"]


def _login_keys() -> list[str]:
    account = _account_name()
    return [_address_key(), *([f"account:{account}"] if account else [])]


# --- declines ---------------------------------------------------------------------------------


def event_applied(session: Session, event: payments.Event) -> None:
    """Count a declined payment against the browser and email that started it (called by the
    webhook receiver once an event is applied); never fails the event."""
    if event.type != "payment_intent.payment_failed" or not event.object_id:
        return
    try:
        order = session.scalar(
            select(Order).join(Payment).where(Payment.payment_intent_id == str(event.object_id))
        )
        if order is None:
            return
        item = _decline_item()
        for key in _decline_keys(order.browser_id, order.email):
            _strategy().hit(item, "declines", key)
    except Exception:  # a counter must never make Stripe deliver the event again
        log.exception("could not count the decline of %s", event.object_id)


def _paused_after_declines(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if current_app.config["RATELIMIT_ENABLED"]:
            email = _email_in_body()
            item = _decline_item()
            for key in _decline_keys(browser_id(), email):
                if not _strategy().test(item, "declines", key):
                    reset = _strategy().get_window_stats(item, "declines", key).reset_time
                    raise _too_many(PAUSED, reset)
        return view(*args, **kwargs)

    return checked


def _decline_keys(browser: str | None, email: str | None) -> list[str]:
    keys = [f"browser:{browser}"] if browser else []
    if email:
        keys.append(f"email:{email}")
    return keys


def _decline_item() -> RateLimitItem:
    return parse(str(current_app.config["DECLINE_LIMIT"]))


def _strategy() -> Any:
    # Flask-Limiter's strategy on its storage, or on memory while Redis is unreachable.
    return limiter.limiter


# --- stock hoarding ---------------------------------------------------------------------------


def _hoarding_checked(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        problem = hoarding_problem(_requested_copies())
        if problem is not None:
            raise Conflict(problem)
        per_address = current_app.config["MAX_UNPAID_ORDERS_PER_ADDRESS"]
        limit = _new_orders_per_address()
        if per_address and current_app.config["RATELIMIT_ENABLED"]:
            if not _strategy().test(limit, "new-orders", _address_key()):
                reset = _strategy().get_window_stats(limit, "new-orders", _address_key()).reset_time
                raise _too_many(TOO_MANY_UNPAID.format(n=per_address), reset)
        response = make_response(view(*args, **kwargs))
        if per_address and current_app.config["RATELIMIT_ENABLED"]:
            # Only orders placed count (hosted mode redirects to Stripe's page once placed).
            if response.status_code == 201 or g.get("order_placed"):
                _strategy().hit(limit, "new-orders", _address_key())
        return response

    return checked


def hoarding_problem(copies: dict[int, int]) -> str | None:
    """Why a new unpaid order from this browser and email would hold too much stock, or None."""
    from .extensions import db

    cfg = current_app.config
    most_copies = cfg["MAX_COPIES_PER_UNPAID_ORDER"]
    if most_copies and any(quantity > most_copies for quantity in copies.values()):
        return TOO_MANY_COPIES.format(n=most_copies)
    most_orders = cfg["MAX_UNPAID_ORDERS"]
    if not most_orders:
        return None
    unpaid = (
        select(func.count()).select_from(Order).where(Order.status == OrderStatus.PENDING_PAYMENT)
    )
    holders = []
    bid = browser_id()
    if bid:
        holders.append(Order.browser_id == bid)
    email = _email_in_body()
    if email:
        holders.append(Order.email == email)
    for holder in holders:
        if (db.session.scalar(unpaid.where(holder)) or 0) >= most_orders:
            return TOO_MANY_UNPAID.format(n=most_orders)
    return None


def _requested_copies() -> dict[int, int]:
    """Copies per book id that the request asks to hold."""
    if request.endpoint in CART_ORDERS:
        from .views.cart import current_cart

        return {int(book_id): int(quantity) for book_id, quantity in current_cart().items()}
    data = request.get_json(silent=True)
    raw = data.get("quantity") if isinstance(data, dict) else request.form.get("quantity")
    try:
        quantity = int(raw) if isinstance(raw, int | str) else 1
    except ValueError:
        return {}  # the view refuses it with its own message
    return {0: quantity}


def _new_orders_per_address() -> RateLimitItem:
    # Orders expire after ORDER_EXPIRY_MINUTES: so many new ones in that time is as many held.
    cfg = current_app.config
    return parse(
        f"{max(cfg['MAX_UNPAID_ORDERS_PER_ADDRESS'], 1)}/{cfg['ORDER_EXPIRY_MINUTES']}minutes"
    )


# --- keys and answers -------------------------------------------------------------------------


def _address_key() -> str:
    return f"address:{get_remote_address()}"


def _email_in_body() -> str | None:
    data = request.get_json(silent=True)
    raw = data.get("email") if isinstance(data, dict) else request.form.get("email")
    if raw is None and request.endpoint == "orders.payment_intent":
        return None
    try:
        return normalise_email(raw) if isinstance(raw, str) else None
    except OrderError:
        return None


def _account_name() -> str:
    return (request.form.get("email") or request.form.get("username") or "").strip().lower()[:200]


def _too_many(message: str, reset: float) -> TooManyRequests:
    return TooManyRequests(message, retry_after=max(1, math.ceil(reset - time.time())))
