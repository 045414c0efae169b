"""Checkout Sessions in payment mode, paid on the emulator's hosted page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import events, ids
from ..core import PRIVATE, Ctx
from ..errors import InvalidRequestError
from ..params import (
    LIST_SPEC,
    Spec,
    array,
    enum,
    expand,
    integer,
    metadata,
    obj,
    string,
)
from . import (
    Route,
    checkout_line_items,
    checkout_shipping,
    linked,
    list_object,
    load,
    payment_intents,
    shipping,
)

MIN_LIFETIME, MAX_LIFETIME, DEFAULT_LIFETIME = 30 * 60, 24 * 3600, 24 * 3600

CREATE: Spec = {
    "mode": enum("payment", required=True),
    "line_items": array(obj(checkout_line_items.LINE_ITEM), max_items=100, required=True),
    "success_url": string(5000, required=True),
    "cancel_url": string(5000),
    "customer_email": string(800),
    "client_reference_id": string(200),
    "metadata": metadata(),
    "payment_intent_data": obj(
        {
            "metadata": metadata(),
            "description": string(1000),
            "receipt_email": string(800),
            "capture_method": enum("automatic", "automatic_async", "manual"),
            "statement_descriptor": string(22),
            "shipping": shipping.param(),
        }
    ),
    "shipping_address_collection": checkout_shipping.address_collection(),
    "shipping_options": checkout_shipping.options(),
    "payment_method_types": array(enum("card")),
    "expires_at": integer(),
    "locale": string(10),
    "submit_type": enum("auto", "book", "donate", "pay"),
    "expand": expand(),
}
RETRIEVE: Spec = {"expand": expand()}
EXPIRE: Spec = {"expand": expand()}
LIST: Spec = {
    **LIST_SPEC,
    "payment_intent": string(),
    "status": enum("open", "complete", "expired"),
}
LINE_ITEMS: Spec = {**LIST_SPEC}


def _check_url(params: dict[str, Any], name: str) -> None:
    if name not in params:
        return
    parts = urlsplit(params[name])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError("Not a valid URL", param=name)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/checkout/sessions."""
    _check_url(params, "success_url")
    _check_url(params, "cancel_url")
    if not params["line_items"]:
        raise InvalidRequestError("line_items must not be empty", param="line_items")
    line_items = [checkout_line_items.build(ctx, item) for item in params["line_items"]]
    currency = line_items[0]["currency"]
    if any(item["currency"] != currency for item in line_items):
        raise InvalidRequestError("All line items must have the same currency.", param="line_items")
    total = sum(item["amount_total"] for item in line_items)
    shipping_options = checkout_shipping.session_options(
        ctx, params.get("shipping_options", []), currency
    )
    created = ctx.now()
    expires_at = params.get("expires_at", created + DEFAULT_LIFETIME)
    if expires_at < created + MIN_LIFETIME:
        raise InvalidRequestError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if expires_at > created + MAX_LIFETIME:
        raise InvalidRequestError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    session_id = f"cs_test_{ids.random_token(58)}"
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": params.get("metadata", {}),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": params.get("shipping_address_collection"),
        "shipping_cost": None,
        "shipping_details": None,
        "shipping_options": shipping_options,
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params["success_url"],
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{ctx.base_url}/c/pay/{session_id}",
        PRIVATE: {
            "line_items": line_items,
            "payment_intent_data": params.get("payment_intent_data", {}),
        },
    }
    checkout_shipping.choose(session, None)
    payment_intents.check_amount(session["amount_total"], currency)
    ctx.store.put(session, tag="open")
    return session


def retrieve(ctx: Ctx, params: dict[str, Any], session: str) -> dict[str, Any]:
    """GET /v1/checkout/sessions/{id}."""
    return load(ctx, "checkout.session", session, "checkout.session", "session")


def list_sessions(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/checkout/sessions."""
    tags = [params["status"]] if "status" in params else None
    where = linked(params)
    return list_object(ctx, "checkout.session", "/v1/checkout/sessions", params, where, tags)


def line_items(ctx: Ctx, params: dict[str, Any], session: str) -> dict[str, Any]:
    """GET /v1/checkout/sessions/{id}/line_items."""
    found = retrieve(ctx, {}, session)
    items = found[PRIVATE]["line_items"]
    start = 0
    if "starting_after" in params:
        positions = [i for i, item in enumerate(items) if item["id"] == params["starting_after"]]
        start = positions[0] + 1 if positions else len(items)
    limit = params.get("limit", 10)
    page = items[start : start + limit]
    return {
        "object": "list",
        "data": page,
        "has_more": start + limit < len(items),
        "url": f"/v1/checkout/sessions/{session}/line_items",
    }


def expire(ctx: Ctx, params: dict[str, Any], session: str) -> dict[str, Any]:
    """POST /v1/checkout/sessions/{id}/expire: only an open session can expire."""
    found = retrieve(ctx, {}, session)
    if found["status"] != "open":
        raise InvalidRequestError(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{found["status"]}".'
        )
    return _expire(ctx, found)


def _expire(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any]:
    if session["payment_intent"]:
        pi = ctx.store.get(session["payment_intent"], "payment_intent")
        if pi and pi["status"] in payment_intents.CANCELABLE:
            payment_intents.cancel(ctx, {"cancellation_reason": "abandoned"}, pi["id"])
    session["status"] = "expired"
    session["url"] = None  # Stripe shows the URL only while the session is open
    ctx.store.put(session, tag="expired")
    events.emit(ctx, "checkout.session.expired", session)
    return session


def expire_due(ctx: Ctx) -> int:
    """Expire every open session past its expires_at; returns how many."""
    rows = ctx.store.query(
        "SELECT id FROM objects WHERE type = 'checkout.session' AND tag = 'open'"
        " AND json_extract(data, '$.expires_at') <= ?",
        (ctx.now(),),
    )
    for row in rows:
        with ctx.store.transaction():
            session = ctx.store.get(row["id"], "checkout.session")
            if session and session["status"] == "open":
                _expire(ctx, session)
    return len(rows)


def _payment_intent_for(ctx: Ctx, session: dict[str, Any], email: str) -> dict[str, Any]:
    """The session's PaymentIntent, made on the first attempt to pay and reused after a decline.

    Its amount and shipping follow the buyer's latest choice of shipping.
    """
    shipping_details = checkout_shipping.shipping_details(session)
    if session["payment_intent"]:
        return payment_intents.update(
            ctx,
            {"amount": session["amount_total"], "shipping": shipping_details},
            session["payment_intent"],
        )
    data = session[PRIVATE]["payment_intent_data"]
    params: dict[str, Any] = {
        "amount": session["amount_total"],
        "currency": session["currency"],
        "payment_method_types": ["card"],
        "metadata": data.get("metadata", {}),
        "receipt_email": data.get("receipt_email") or email,
        "shipping": shipping_details,
    }
    for name in ("description", "capture_method", "statement_descriptor"):
        if name in data:
            params[name] = data[name]
    pi = payment_intents.create(ctx, params)
    session["payment_intent"] = pi["id"]
    ctx.store.put(session)
    return pi


def pay(
    ctx: Ctx,
    session_id: str,
    payment_method_data: dict[str, Any],
    shipping_details: dict[str, Any] | None = None,
    shipping_rate: str | None = None,
) -> dict[str, Any]:
    """The hosted page's payment: confirms the session's PaymentIntent with the card given.

    Returns the PaymentIntent; a decline raises CardError with the PaymentIntent kept for a retry.
    """
    session = retrieve(ctx, {}, session_id)
    if session["status"] != "open" or session["expires_at"] <= ctx.now():
        raise InvalidRequestError("This Checkout Session is no longer open.")
    checkout_shipping.collect(session, shipping_details)
    checkout_shipping.choose(session, shipping_rate)
    ctx.store.put(session)
    email = payment_method_data.get("billing_details", {}).get("email") or ""
    pi = _payment_intent_for(ctx, session, email)
    return_url = f"{ctx.base_url}/c/pay/{session_id}/return"
    pi = payment_intents.confirm(
        ctx,
        {
            "payment_method_data": payment_method_data,
            "return_url": return_url,
            "receipt_email": pi["receipt_email"] or email,
        },
        pi["id"],
    )
    if pi["status"] in ("succeeded", "requires_capture", "processing"):
        complete(ctx, session_id)
    return pi


def complete(ctx: Ctx, session_id: str) -> dict[str, Any]:
    """Mark the session paid once its PaymentIntent has succeeded; idempotent."""
    session = retrieve(ctx, {}, session_id)
    if session["status"] == "complete" or not session["payment_intent"]:
        return session
    pi = load(ctx, "payment_intent", session["payment_intent"], "payment_intent")
    if pi["status"] not in ("succeeded", "requires_capture", "processing"):
        return session
    payment_method = ctx.store.get(pi["payment_method"], "payment_method") or {}
    billing = payment_method.get("billing_details", {})
    session["status"] = "complete"
    session["url"] = None
    session["payment_status"] = "paid" if pi["status"] == "succeeded" else "unpaid"
    session["customer_details"] = {
        "address": billing.get("address"),
        "email": billing.get("email") or pi["receipt_email"] or session["customer_email"],
        "name": billing.get("name"),
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    checkout_shipping.show_collected(session)
    ctx.store.put(session, tag="complete")
    events.emit(ctx, "checkout.session.completed", session)
    return session


def payment_settled(ctx: Ctx, pi: dict[str, Any]) -> None:
    """A processing payment settled: its completed session is now paid, or its payment failed."""
    for session in ctx.store.all_of("checkout.session", {"payment_intent": pi["id"]}):
        if session["status"] != "complete" or session["payment_status"] == "paid":
            continue
        if pi["status"] == "succeeded":
            session["payment_status"] = "paid"
            ctx.store.put(session)
            events.emit(ctx, "checkout.session.async_payment_succeeded", session)
        elif pi["status"] == "requires_payment_method":
            events.emit(ctx, "checkout.session.async_payment_failed", session)


def success_url(session: dict[str, Any]) -> str:
    """The success URL with Stripe's `{CHECKOUT_SESSION_ID}` placeholder filled in."""
    url: str = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"])


ROUTES = [
    Route("POST", "/v1/checkout/sessions", create, CREATE),
    Route("GET", "/v1/checkout/sessions", list_sessions, LIST),
    Route("GET", "/v1/checkout/sessions/<session>", retrieve, RETRIEVE),
    Route("POST", "/v1/checkout/sessions/<session>/expire", expire, EXPIRE),
    Route("GET", "/v1/checkout/sessions/<session>/line_items", line_items, LINE_ITEMS),
]
