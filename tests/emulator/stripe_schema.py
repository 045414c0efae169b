"""Checks every object the emulator answers with against Stripe's schema, nested ones included."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_FILE = Path(__file__).parent / "stripe-openapi" / "stripe-api-subset.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

# Object types the shared subset leaves out, with the fields Stripe's API reference always shows.
EXTRA_DEFS: dict[str, dict[str, Any]] = {
    "webhook_endpoint": {
        "type": "object",
        "required": [
            "id",
            "object",
            "api_version",
            "application",
            "created",
            "description",
            "enabled_events",
            "livemode",
            "metadata",
            "status",
            "url",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^we_"},
            "object": {"const": "webhook_endpoint"},
            "created": {"type": "integer"},
            "description": {"type": ["string", "null"]},
            "enabled_events": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "livemode": {"type": "boolean"},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            "secret": {"type": "string", "pattern": "^whsec_"},
            "status": {"enum": ["enabled", "disabled"]},
            "url": {"type": "string", "pattern": "^https?://"},
        },
    },
    "item": {
        "type": "object",
        "required": [
            "id",
            "object",
            "amount_discount",
            "amount_subtotal",
            "amount_tax",
            "amount_total",
            "currency",
            "description",
            "price",
            "quantity",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^li_"},
            "amount_subtotal": {"type": "integer"},
            "amount_total": {"type": "integer"},
            "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
            "quantity": {"type": ["integer", "null"]},
            "balance_transaction": {
                "type": "object",
                "required": [
                    "id",
                    "object",
                    "amount",
                    "available_on",
                    "created",
                    "currency",
                    "description",
                    "exchange_rate",
                    "fee",
                    "fee_details",
                    "net",
                    "reporting_category",
                    "source",
                    "status",
                    "type",
                ],
                "properties": {
                    "id": {"type": "string", "pattern": "^txn_"},
                    "object": {"const": "balance_transaction"},
                    "amount": {"type": "integer"},
                    "available_on": {"type": "integer"},
                    "created": {"type": "integer"},
                    "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
                    "fee": {"type": "integer"},
                    "fee_details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "amount",
                                "application",
                                "currency",
                                "description",
                                "type",
                            ],
                        },
                    },
                    "net": {"type": "integer"},
                    "source": {"type": ["string", "object", "null"]},
                    "status": {"enum": ["available", "pending"]},
                    "type": {"type": "string"},
                },
            },
            "shipping_rate": {
                "type": "object",
                "required": [
                    "id",
                    "object",
                    "active",
                    "created",
                    "delivery_estimate",
                    "display_name",
                    "fixed_amount",
                    "livemode",
                    "metadata",
                    "tax_behavior",
                    "tax_code",
                    "type",
                ],
                "properties": {
                    "id": {"type": "string", "pattern": "^shr_"},
                    "object": {"const": "shipping_rate"},
                    "active": {"type": "boolean"},
                    "created": {"type": "integer"},
                    "delivery_estimate": {"type": ["object", "null"]},
                    "display_name": {"type": ["string", "null"]},
                    "fixed_amount": {
                        "type": "object",
                        "required": ["amount", "currency"],
                        "properties": {
                            "amount": {"type": "integer"},
                            "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
                        },
                    },
                    "tax_behavior": {"enum": ["exclusive", "inclusive", "unspecified", None]},
                    "type": {"const": "fixed_amount"},
                },
            },
            "price": {"type": ["object", "null"]},
        },
    },
    "balance_transaction": {
        "type": "object",
        "required": [
            "id",
            "object",
            "amount",
            "available_on",
            "created",
            "currency",
            "description",
            "exchange_rate",
            "fee",
            "fee_details",
            "net",
            "reporting_category",
            "source",
            "status",
            "type",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^txn_"},
            "object": {"const": "balance_transaction"},
            "amount": {"type": "integer"},
            "available_on": {"type": "integer"},
            "created": {"type": "integer"},
            "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
            "fee": {"type": "integer"},
            "fee_details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["amount", "application", "currency", "description", "type"],
                },
            },
            "net": {"type": "integer"},
            "source": {"type": ["string", "object", "null"]},
            "status": {"enum": ["available", "pending"]},
            "type": {"type": "string"},
        },
    },
    "shipping_rate": {
        "type": "object",
        "required": [
            "id",
            "object",
            "active",
            "created",
            "delivery_estimate",
            "display_name",
            "fixed_amount",
            "livemode",
            "metadata",
            "tax_behavior",
            "tax_code",
            "type",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^shr_"},
            "object": {"const": "shipping_rate"},
            "active": {"type": "boolean"},
            "created": {"type": "integer"},
            "delivery_estimate": {"type": ["object", "null"]},
            "display_name": {"type": ["string", "null"]},
            "fixed_amount": {
                "type": "object",
                "required": ["amount", "currency"],
                "properties": {
                    "amount": {"type": "integer"},
                    "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
                },
            },
            "tax_behavior": {"enum": ["exclusive", "inclusive", "unspecified", None]},
            "type": {"const": "fixed_amount"},
        },
    },
    "price": {
        "type": "object",
        "required": ["id", "object", "active", "currency", "product", "type", "unit_amount"],
        "properties": {
            "id": {"type": "string", "pattern": "^price_"},
            "type": {"enum": ["one_time", "recurring"]},
            "unit_amount": {"type": ["integer", "null"]},
        },
    },
}
DELETED = {
    "type": "object",
    "required": ["id", "object", "deleted"],
    "properties": {"deleted": {"const": True}, "id": {"type": "string"}},
}
LIST = {
    "type": "object",
    "required": ["object", "data", "has_more", "url"],
    "properties": {
        "object": {"const": "list"},
        "data": {"type": "array"},
        "has_more": {"type": "boolean"},
        "url": {"type": "string", "pattern": "^/v1/"},
    },
}
# Free-form hashes: their keys are the caller's, not Stripe object fields.
OPAQUE = {"metadata", "previous_attributes"}


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one object type (a `$defs` name, or one of EXTRA_DEFS, list, deleted)."""
    if name == "list":
        return Draft202012Validator(LIST)
    if name == "deleted":
        return Draft202012Validator(DELETED)
    if name in EXTRA_DEFS:
        return Draft202012Validator(EXTRA_DEFS[name])
    if name not in SCHEMA["$defs"]:
        raise AssertionError(f"no schema for Stripe object type {name!r}")
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": SCHEMA["$defs"]})


_PASSED: set[str] = set()  # objects already found valid: lists repeat them, events never change


def check(name: str, node: Any, where: str) -> None:
    """Fail with the first schema violation of node, said plainly."""
    key = name + json.dumps(node, sort_keys=True)
    if key in _PASSED:
        return
    errors = sorted(validator(name).iter_errors(node), key=lambda error: list(error.path))
    if errors:
        first = errors[0]
        field = ".".join(str(part) for part in first.absolute_path) or "(top)"
        raise AssertionError(
            f"{name} at {where} does not match Stripe's schema: {field}: {first.message[:300]}"
        )
    _PASSED.add(key)


def validate(body: Any) -> Any:
    """Validate an API answer (object, list or error) and every object inside it; returns it."""
    if isinstance(body, dict) and "error" in body and "object" not in body:
        check("error", body, "$")
    _walk(body, "$")
    return body


def _walk(node: Any, where: str) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{where}[{index}]")
        return
    if not isinstance(node, dict):
        return
    if "_private" in node:
        raise AssertionError(f"the emulator's private fields leaked at {where}")
    kind = node.get("object")
    if isinstance(kind, str):
        check("deleted" if node.get("deleted") else kind, node, where)
    for key, value in node.items():
        if key not in OPAQUE:
            _walk(value, f"{where}.{key}")
