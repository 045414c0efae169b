"""PaymentMethods of type card, and Stripe's `pm_card_*` test shorthands."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from .. import cards, ids
from ..core import PRIVATE, Ctx
from ..errors import CardError, InvalidRequestError, NotFoundError
from ..params import Spec, enum, expand, integer, metadata, obj, string
from . import Route

BILLING_DETAILS: Spec = {
    "name": string(),
    "email": string(800),
    "phone": string(),
    "address": obj(
        {name: string() for name in ("city", "country", "line1", "line2", "postal_code", "state")}
    ),
}
CARD: Spec = {
    "number": string(required=True),
    "exp_month": integer(required=True),
    "exp_year": integer(required=True),
    "cvc": string(),
}
PAYMENT_METHOD_DATA: Spec = {
    "type": enum("card", required=True),
    "card": obj(CARD),
    "billing_details": obj(BILLING_DETAILS),
    "metadata": metadata(),
    "allow_redisplay": enum("always", "limited", "unspecified"),
}
CREATE: Spec = {**PAYMENT_METHOD_DATA, "expand": expand()}
RETRIEVE: Spec = {"expand": expand()}


def build(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """A card PaymentMethod from validated `payment_method_data`; refuses bad card input."""
    card = data.get("card")
    if card is None:
        raise InvalidRequestError("Missing required param: card.", param="card")
    number = card["number"].replace(" ", "")
    today = datetime.date.fromtimestamp(ctx.now())
    problem = cards.validate(number, card["exp_month"], card["exp_year"], card.get("cvc"), today)
    if problem is not None:
        raise CardError(problem.message, code=problem.code, param=problem.param)
    exp_year = card["exp_year"] + 2000 if card["exp_year"] < 100 else card["exp_year"]
    card_brand = cards.brand(number)
    address = (data.get("billing_details") or {}).get("address") or {}
    billing = data.get("billing_details") or {}
    return {
        "id": ids.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": data.get("allow_redisplay", "unspecified"),
        "billing_details": {
            "address": {
                name: address.get(name)
                for name in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
        },
        "card": {
            "brand": card_brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": "pass" if address.get("postal_code") else None,
                "cvc_check": "pass" if card.get("cvc") else None,
            },
            "country": "US",
            "display_brand": card_brand,
            "exp_month": card["exp_month"],
            "exp_year": exp_year,
            "fingerprint": hashlib.sha256(number.encode()).hexdigest()[:16],
            "funding": "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": [card_brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now(),
        "customer": None,
        "livemode": False,
        "metadata": data.get("metadata", {}),
        "type": "card",
        # Only the emulator reads this: which test card decides the outcome.
        PRIVATE: {"number": number},
    }


def from_shorthand(ctx: Ctx, name: str) -> dict[str, Any]:
    """A fresh PaymentMethod for a `pm_card_*` test shorthand."""
    number = cards.PAYMENT_METHOD_SHORTHANDS[name]
    exp_year = ctx.now() // 31_557_600 + 1970 + 2
    return build(
        ctx,
        {
            "type": "card",
            "card": {
                "number": number,
                "exp_month": 12,
                "exp_year": exp_year,
                "cvc": "1234" if cards.brand(number) == "amex" else "123",
            },
        },
    )


def resolve(ctx: Ctx, payment_method_id: str, param: str = "payment_method") -> dict[str, Any]:
    """A stored PaymentMethod, or one made from a test shorthand."""
    if payment_method_id in cards.PAYMENT_METHOD_SHORTHANDS:
        return ctx.store.put(from_shorthand(ctx, payment_method_id))
    found = ctx.store.get(payment_method_id, "payment_method")
    if found is None:
        raise NotFoundError("PaymentMethod", payment_method_id, param)
    return found


def card_number(payment_method: dict[str, Any]) -> str:
    """The test card behind a PaymentMethod."""
    number: str = payment_method[PRIVATE]["number"]
    return number


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_methods."""
    return ctx.store.put(build(ctx, params))


def retrieve(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    """GET /v1/payment_methods/{id}."""
    return resolve(ctx, payment_method, "id")


ROUTES = [
    Route("POST", "/v1/payment_methods", create, CREATE, publishable=True),
    Route("GET", "/v1/payment_methods/<payment_method>", retrieve, RETRIEVE),
]
