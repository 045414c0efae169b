"""What a Checkout Session ships: where it may ship to, its shipping options, the buyer's choice."""

from __future__ import annotations

from typing import Any

from ..core import PRIVATE, Ctx
from ..countries import SHIPPING_COUNTRIES
from ..errors import InvalidRequestError
from ..params import Field, array, enum, obj, string
from . import load, shipping_rates

MAX_OPTIONS = 5


def address_collection() -> Field:
    """`shipping_address_collection[allowed_countries][]`."""
    countries = array(enum(*SHIPPING_COUNTRIES), max_items=len(SHIPPING_COUNTRIES), required=True)
    return obj({"allowed_countries": countries})


def options() -> Field:
    """`shipping_options[]`: each a `shipping_rate` id or `shipping_rate_data` to make one."""
    option = obj({"shipping_rate": string(), "shipping_rate_data": obj(shipping_rates.RATE_DATA)})
    return array(option, max_items=MAX_OPTIONS)


def session_options(ctx: Ctx, given: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """The session's `shipping_options`, making the rates given as data."""
    found = []
    for index, option in enumerate(given):
        param = f"shipping_options[{index}]"
        if ("shipping_rate" in option) == ("shipping_rate_data" in option):
            raise InvalidRequestError(
                f"You must specify exactly one of `shipping_rate` or `shipping_rate_data` in"
                f" {param}.",
                param=param,
            )
        if "shipping_rate" in option:
            rate = load(
                ctx,
                "shipping_rate",
                option["shipping_rate"],
                "shipping rate",
                f"{param}[shipping_rate]",
            )
        else:
            rate = shipping_rates.build(
                ctx, option["shipping_rate_data"], f"{param}[shipping_rate_data][fixed_amount]"
            )
        if rate["fixed_amount"]["currency"] != currency:
            raise InvalidRequestError(
                f"The currency of the shipping rate in {param} ({rate['fixed_amount']['currency']})"
                f" must match the currency of the Checkout Session ({currency}).",
                param=param,
            )
        found.append(
            {"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]}
        )
    return found


def choose(session: dict[str, Any], rate_id: str | None) -> None:
    """The buyer's shipping option (the first by default) goes into the session's totals."""
    if not session["shipping_options"]:
        return
    chosen = next(
        (o for o in session["shipping_options"] if o["shipping_rate"] == rate_id),
        session["shipping_options"][0],
    )
    amount = chosen["shipping_amount"]
    session["shipping_cost"] = {
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "shipping_rate": chosen["shipping_rate"],
    }
    session["total_details"]["amount_shipping"] = amount
    session["amount_total"] = session["amount_subtotal"] + amount


def rates(ctx: Ctx, session: dict[str, Any]) -> list[dict[str, Any]]:
    """The session's shipping rates, in the order it offers them."""
    return [
        load(ctx, "shipping_rate", option["shipping_rate"], "shipping rate")
        for option in session["shipping_options"]
    ]


def collect(session: dict[str, Any], details: dict[str, Any] | None) -> None:
    """Keep the buyer's shipping details; an address the session cannot ship to is refused."""
    wanted = session["shipping_address_collection"]
    if wanted is None:
        return
    if details is None:
        raise InvalidRequestError("A shipping address is required.", param="shipping_details")
    country = details["address"]["country"]
    if country not in wanted["allowed_countries"]:
        raise InvalidRequestError(
            f"This Checkout Session does not ship to {country or 'that country'}.",
            param="shipping_details[address][country]",
        )
    session[PRIVATE]["shipping_details"] = details


def shipping_details(session: dict[str, Any]) -> dict[str, Any] | None:
    """What the buyer gave, for the session's PaymentIntent; else payment_intent_data's."""
    given: dict[str, Any] | None = session[PRIVATE].get("shipping_details")
    return given or session[PRIVATE]["payment_intent_data"].get("shipping")


def show_collected(session: dict[str, Any]) -> None:
    """On completion, the session shows the shipping details the buyer gave."""
    details = session[PRIVATE].get("shipping_details")
    if details is None:
        return
    session["shipping_details"] = details
    session["collected_information"] = {
        "business_name": None,
        "individual_name": None,
        "shipping_details": {"address": details["address"], "name": details["name"]},
    }
