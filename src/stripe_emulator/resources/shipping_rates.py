"""Shipping rates: a fixed amount with a name and a delivery estimate, for Checkout Sessions."""

from __future__ import annotations

from typing import Any

from .. import currencies, ids
from ..core import Ctx
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, boolean, enum, expand, integer, metadata, obj, string
from . import Route, list_object, load

_ESTIMATE_BOUND = obj(
    {
        "unit": enum("business_day", "day", "hour", "month", "week", required=True),
        "value": integer(1, required=True),
    }
)
RATE_DATA: Spec = {
    "display_name": string(100, required=True),
    "type": enum("fixed_amount"),
    "fixed_amount": obj(
        {"amount": integer(0, 99_999_999, required=True), "currency": string(3, required=True)},
        required=True,
    ),
    "delivery_estimate": obj({"minimum": _ESTIMATE_BOUND, "maximum": _ESTIMATE_BOUND}),
    "metadata": metadata(),
    "tax_behavior": enum("exclusive", "inclusive", "unspecified"),
    "tax_code": string(),
}
CREATE: Spec = {**RATE_DATA, "expand": expand()}
RETRIEVE: Spec = {"expand": expand()}
LIST: Spec = {**LIST_SPEC, "active": boolean(), "currency": string(3)}


def build(ctx: Ctx, data: dict[str, Any], param: str = "fixed_amount") -> dict[str, Any]:
    """A stored shipping rate from validated `shipping_rate_data`."""
    fixed = data["fixed_amount"]
    currency = fixed["currency"].lower()
    if not currencies.supported(currency):
        raise InvalidRequestError(f"Invalid currency: {currency}.", param=f"{param}[currency]")
    estimate = data.get("delivery_estimate")
    rate = {
        "id": ids.new_id("shr"),
        "object": "shipping_rate",
        "active": True,
        "created": ctx.now(),
        "delivery_estimate": (
            {"maximum": estimate.get("maximum"), "minimum": estimate.get("minimum")}
            if estimate
            else None
        ),
        "display_name": data["display_name"],
        "fixed_amount": {"amount": fixed["amount"], "currency": currency},
        "livemode": False,
        "metadata": data.get("metadata", {}),
        "tax_behavior": data.get("tax_behavior", "unspecified"),
        "tax_code": data.get("tax_code"),
        "type": "fixed_amount",
    }
    return ctx.store.put(rate)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/shipping_rates."""
    return build(ctx, params)


def retrieve(ctx: Ctx, params: dict[str, Any], rate: str) -> dict[str, Any]:
    """GET /v1/shipping_rates/{id}."""
    return load(ctx, "shipping_rate", rate, "shipping_rate", "shipping_rate_token")


def list_rates(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/shipping_rates (every rate here is active)."""
    if params.get("active") is False:
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/shipping_rates"}
    return list_object(ctx, "shipping_rate", "/v1/shipping_rates", params)


ROUTES = [
    Route("POST", "/v1/shipping_rates", create, CREATE),
    Route("GET", "/v1/shipping_rates", list_rates, LIST),
    Route("GET", "/v1/shipping_rates/<rate>", retrieve, RETRIEVE),
]
