"""Events: every change is recorded as Stripe's event object and queued for each endpoint."""

from __future__ import annotations

import json
from typing import Any

from . import ids
from .core import Ctx, public_json
from .subscriptions import subscribes_to


def emit(
    ctx: Ctx,
    event_type: str,
    obj: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record an event with a snapshot of obj and queue its webhook deliveries."""
    endpoints = [endpoint for endpoint in ctx.em.endpoints() if subscribes_to(endpoint, event_type)]
    # A snapshot, so later changes to obj do not reach the event; JSON is the fastest deep copy.
    data: dict[str, Any] = {"object": json.loads(public_json(obj))}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    event: dict[str, Any] = {
        "id": ids.new_id("evt"),
        "object": "event",
        "api_version": ctx.em.api_version,
        "created": ctx.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": len(endpoints),
        "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
        "type": event_type,
    }
    with ctx.store.transaction() as conn:
        ctx.store.put(event, tag=event_type)
        if endpoints and ctx.em.dispatcher is not None:
            ctx.em.dispatcher.enqueue(conn, event["id"], [e["id"] for e in endpoints])
    ctx.emitted.append(event["id"])
    return event
