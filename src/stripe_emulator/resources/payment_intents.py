"""PaymentIntents over HTTP: create, retrieve, update, confirm, cancel, capture, list."""

from __future__ import annotations

from typing import Any

from .. import currencies, events, ids
from ..core import PRIVATE, Ctx
from ..errors import InvalidRequestError
from ..params import (
    LIST_SPEC,
    Spec,
    array,
    boolean,
    enum,
    expand,
    integer,
    metadata,
    obj,
    string,
)
from . import Route, holds, list_object, load, payment_flow, payment_methods, shipping

# In the order Stripe lists them in its errors.
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)

_CONFIRM_FIELDS: Spec = {
    "payment_method": string(),
    "payment_method_data": obj(payment_methods.PAYMENT_METHOD_DATA),
    "return_url": string(2048),
    "receipt_email": string(800),
    "shipping": shipping.param(),
    "use_stripe_sdk": boolean(),
    "expand": expand(),
}
CREATE: Spec = {
    **_CONFIRM_FIELDS,
    "amount": integer(required=True),
    "currency": string(3, required=True),
    "automatic_payment_methods": obj(
        {"enabled": boolean(required=True), "allow_redirects": enum("always", "never")}
    ),
    "payment_method_types": array(enum("card")),
    "confirm": boolean(),
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "confirmation_method": enum("automatic", "manual"),
    "metadata": metadata(),
    "description": string(1000),
    "statement_descriptor": string(22),
    "statement_descriptor_suffix": string(22),
}
UPDATE: Spec = {
    "amount": integer(),
    "currency": string(3),
    "payment_method": string(),
    "payment_method_types": array(enum("card")),
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "metadata": metadata(),
    "description": string(1000),
    "receipt_email": string(800),
    "shipping": shipping.param(),
    "statement_descriptor": string(22),
    "statement_descriptor_suffix": string(22),
    "expand": expand(),
}
CONFIRM: Spec = {**_CONFIRM_FIELDS, "client_secret": string()}
RETRIEVE: Spec = {"client_secret": string(), "expand": expand()}
CANCEL: Spec = {
    "cancellation_reason": enum("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    "expand": expand(),
}
CAPTURE: Spec = {"amount_to_capture": integer(1), "metadata": metadata(), "expand": expand()}
LIST: Spec = {**LIST_SPEC, "customer": string()}


def check_amount(amount: int, currency: str) -> None:
    """Stripe's currency and minimum/maximum charge checks."""
    if not currencies.supported(currency):
        raise InvalidRequestError(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(currencies.MINIMUM_CHARGE)),
            param="currency",
        )
    minimum = currencies.MINIMUM_CHARGE[currency]
    if amount < minimum:
        raise InvalidRequestError(
            f"Amount must be at least {currencies.display(minimum, currency)} {currency}",
            code="amount_too_small",
            param="amount",
        )
    if amount > currencies.MAXIMUM_AMOUNT:
        most = currencies.display(currencies.MAXIMUM_AMOUNT, currency)
        raise InvalidRequestError(
            f"Amount must be no more than {most}",
            code="amount_too_large",
            param="amount",
        )


def build(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """A new PaymentIntent in requires_payment_method."""
    currency = params["currency"].lower()
    check_amount(params["amount"], currency)
    pi_id = ids.new_id("pi")
    automatic = params.get("automatic_payment_methods")
    if automatic is None and "payment_method_types" not in params:
        automatic = {"enabled": True}  # the default since API version 2023-08-16
    if automatic is not None:
        automatic = {
            "allow_redirects": automatic.get("allow_redirects", "always"),
            "enabled": automatic["enabled"],
        }
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": ids.client_secret(pi_id),
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": ctx.now(),
        "currency": currency,
        "customer": None,
        "description": params.get("description"),
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": params.get("metadata", {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": params.get("shipping"),
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        PRIVATE: {"return_url": params.get("return_url")},
    }


def _authorize_client(ctx: Ctx, pi: dict[str, Any], params: dict[str, Any]) -> None:
    """Publishable-key calls must prove they hold this PaymentIntent's client secret."""
    if not ctx.publishable and "client_secret" not in params:
        return
    if params.get("client_secret") != pi["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret associated with the "
            "PaymentIntent.",
            param="client_secret",
        )


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_intents."""
    pi = build(ctx, params)
    if "payment_method" in params and not params.get("confirm"):
        pi["payment_method"] = payment_methods.resolve(ctx, params["payment_method"])["id"]
        payment_flow.move(ctx, pi, "requires_confirmation", emit=False)
    ctx.store.put(pi)
    events.emit(ctx, "payment_intent.created", pi)
    if params.get("confirm"):
        return payment_flow.confirm(ctx, pi, params)
    return pi


def retrieve(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """GET /v1/payment_intents/{id}; with the publishable key, the client secret is needed."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    _authorize_client(ctx, pi, params)
    return pi


def update(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if pi["status"] not in UPDATABLE:
        if "amount" in params:
            raise payment_flow.unexpected_state(
                pi,
                f"This PaymentIntent's amount could not be updated because it has a status of "
                f"{pi['status']}. You may only update the amount of a PaymentIntent with one of "
                f"the following statuses: {', '.join(UPDATABLE)}.",
                param="amount",
            )
        raise payment_flow.unexpected_state(pi, payment_flow.not_allowed(pi, "update", UPDATABLE))
    amount = params.get("amount", pi["amount"])
    currency = params.get("currency", pi["currency"]).lower()
    check_amount(amount, currency)
    pi["amount"], pi["currency"] = amount, currency
    if "metadata" in params:
        pi["metadata"] = {**pi["metadata"], **params["metadata"]} if params["metadata"] else {}
        pi["metadata"] = {k: v for k, v in pi["metadata"].items() if v != ""}
    for name in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "capture_method",
        "payment_method_types",
        "shipping",
    ):
        if name in params:
            pi[name] = params[name]
    if "payment_method" in params:
        pi["payment_method"] = payment_methods.resolve(ctx, params["payment_method"])["id"]
        if pi["status"] != "requires_confirmation":
            pi["next_action"] = None
            payment_flow.move(ctx, pi, "requires_confirmation", emit=False)
    ctx.store.put(pi)
    return pi


def confirm(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/confirm."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    _authorize_client(ctx, pi, params)
    return payment_flow.confirm(ctx, pi, params)


def cancel(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/cancel: a held payment is released."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if pi["status"] not in CANCELABLE:
        raise payment_flow.unexpected_state(pi, payment_flow.not_allowed(pi, "cancel", CANCELABLE))
    holds.release(ctx, pi, "charge.refunded")
    payment_flow.cancel(ctx, pi, params.get("cancellation_reason"))
    return pi


def capture(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/capture."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if "metadata" in params and pi["status"] == "requires_capture":
        pi["metadata"] = {**pi["metadata"], **params["metadata"]}
    holds.capture(ctx, pi, params.get("amount_to_capture"))
    return pi


def list_intents(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/payment_intents."""
    return list_object(ctx, "payment_intent", "/v1/payment_intents", params)


ROUTES = [
    Route("POST", "/v1/payment_intents", create, CREATE),
    Route("GET", "/v1/payment_intents", list_intents, LIST),
    Route("GET", "/v1/payment_intents/<intent>", retrieve, RETRIEVE, publishable=True),
    Route("POST", "/v1/payment_intents/<intent>", update, UPDATE),
    Route("POST", "/v1/payment_intents/<intent>/confirm", confirm, CONFIRM, publishable=True),
    Route("POST", "/v1/payment_intents/<intent>/cancel", cancel, CANCEL),
    Route("POST", "/v1/payment_intents/<intent>/capture", capture, CAPTURE),
]
