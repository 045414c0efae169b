"""Shipping details: Stripe's `shipping` parameter and the object it becomes."""

from __future__ import annotations

from typing import Any

from ..params import Field, Spec, obj, string

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
ADDRESS: Spec = {
    **{name: string() for name in ADDRESS_FIELDS},
    "line1": string(required=True),
}
DETAILS: Spec = {
    "name": string(required=True),
    "phone": string(),
    "carrier": string(),
    "tracking_number": string(),
    "address": obj(ADDRESS, required=True),
}


def param() -> Field:
    """`shipping[...]`, or an empty string that clears it (None)."""
    details = obj(DETAILS)

    def coerce(value: Any, path: str) -> dict[str, Any] | None:
        if value == "":
            return None
        return details_of(details.coerce(value, path))

    return Field(coerce)


def details_of(given: dict[str, Any]) -> dict[str, Any]:
    """Stripe's shipping object from validated parameters, every field present."""
    address = given["address"]
    return {
        "address": {name: address.get(name) for name in ADDRESS_FIELDS},
        "carrier": given.get("carrier"),
        "name": given["name"],
        "phone": given.get("phone"),
        "tracking_number": given.get("tracking_number"),
    }
