"""A Checkout Session's line items: each a quantity of a one-time price made from price_data."""

from __future__ import annotations

from typing import Any

from .. import ids
from ..core import Ctx
from ..params import Spec, array, integer, metadata, obj, string

LINE_ITEM: Spec = {
    "price_data": obj(
        {
            "currency": string(3, required=True),
            "unit_amount": integer(0, required=True),
            "product_data": obj(
                {
                    "name": string(required=True),
                    "description": string(),
                    "images": array(string(2048), max_items=8),
                    "metadata": metadata(),
                },
                required=True,
            ),
        },
        required=True,
    ),
    "quantity": integer(1, 999_999, required=True),
}


def build(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    """A Checkout line item with its one-time price, from validated `line_items[]`."""
    price_data, quantity = item["price_data"], item["quantity"]
    product = price_data["product_data"]
    total = price_data["unit_amount"] * quantity
    return {
        "id": ids.new_id("li"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": total,
        "amount_tax": 0,
        "amount_total": total,
        "currency": price_data["currency"].lower(),
        "description": product["name"],
        "price": {
            "id": ids.new_id("price"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": ctx.now(),
            "currency": price_data["currency"].lower(),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": ids.new_id("prod"),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": price_data["unit_amount"],
            "unit_amount_decimal": str(price_data["unit_amount"]),
        },
        "quantity": quantity,
    }
