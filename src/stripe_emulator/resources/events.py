"""Events: retrieve and list, newest first, filtered by type and creation time."""

from __future__ import annotations

from typing import Any

from ..core import Ctx
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, array, boolean, expand, string
from . import Route, list_object, load

RETRIEVE: Spec = {"expand": expand()}
LIST: Spec = {
    **LIST_SPEC,
    "type": string(),
    "types": array(string(), max_items=20),
    "delivery_success": boolean(),
}


def matches(event_type: str, pattern: str) -> bool:
    """Stripe's event type filter: exact, or `prefix.*`."""
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def retrieve(ctx: Ctx, params: dict[str, Any], event: str) -> dict[str, Any]:
    """GET /v1/events/{id}."""
    return load(ctx, "event", event, "event")


def list_events(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/events."""
    if "type" in params and "types" in params:
        raise InvalidRequestError("You may pass either type or types, but not both.", param="types")
    wanted = params.get("types") or ([params["type"]] if "type" in params else [])
    if any(pattern.endswith(".*") for pattern in wanted):
        # Wildcards are rare: match them against the stored types once, then query exactly.
        rows = ctx.store.query("SELECT DISTINCT tag FROM objects WHERE type = 'event'")
        known = [row["tag"] for row in rows]
        wanted = [name for name in known if any(matches(name, pattern) for pattern in wanted)] or [
            "\x00none"
        ]
    return list_object(ctx, "event", "/v1/events", params, tags=wanted or None)


ROUTES = [
    Route("GET", "/v1/events", list_events, LIST),
    Route("GET", "/v1/events/<event>", retrieve, RETRIEVE),
]
