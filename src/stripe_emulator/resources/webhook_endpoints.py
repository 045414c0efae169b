"""Webhook endpoints: where events are delivered, each with its signing secret."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .. import ids
from ..core import PRIVATE, Ctx, public
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, array, boolean, expand, metadata, string
from . import Route, list_object, load

CREATE: Spec = {
    "url": string(2048, required=True),
    "enabled_events": array(string(), max_items=200, required=True),
    "description": string(),
    "metadata": metadata(),
    "api_version": string(),
    "expand": expand(),
}
UPDATE: Spec = {
    "url": string(2048),
    "enabled_events": array(string(), max_items=200),
    "description": string(),
    "metadata": metadata(),
    "disabled": boolean(),
    "expand": expand(),
}
RETRIEVE: Spec = {"expand": expand()}
LIST: Spec = {**LIST_SPEC}


def _check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidRequestError(f"Invalid URL: {url}", param="url")
    return url


def _check_events(enabled: list[str]) -> list[str]:
    if not enabled:
        raise InvalidRequestError("enabled_events must not be empty", param="enabled_events")
    for name in enabled:
        if name != "*" and ("." not in name or " " in name):
            raise InvalidRequestError(
                f"Invalid enabled_events: {name} is not a valid event type",
                param="enabled_events",
            )
    return enabled


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/webhook_endpoints: the answer carries the secret, once."""
    secret = ids.webhook_secret()
    endpoint = {
        "id": ids.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": ctx.now(),
        "description": params.get("description"),
        "enabled_events": _check_events(params["enabled_events"]),
        "livemode": False,
        "metadata": params.get("metadata", {}),
        "status": "enabled",
        "url": _check_url(params["url"]),
        PRIVATE: {"secret": secret},
    }
    ctx.store.put(endpoint)
    ctx.em.endpoints_changed()
    return {**public(endpoint), "secret": secret}


def retrieve(ctx: Ctx, params: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """GET /v1/webhook_endpoints/{id}."""
    return load(ctx, "webhook_endpoint", endpoint, "webhook endpoint")


def update(ctx: Ctx, params: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """POST /v1/webhook_endpoints/{id}."""
    found = load(ctx, "webhook_endpoint", endpoint, "webhook endpoint")
    if "url" in params:
        found["url"] = _check_url(params["url"])
    if "enabled_events" in params:
        found["enabled_events"] = _check_events(params["enabled_events"])
    if "description" in params:
        found["description"] = params["description"] or None
    if "metadata" in params:
        found["metadata"] = (
            {**found["metadata"], **params["metadata"]} if params["metadata"] else {}
        )
    if "disabled" in params:
        found["status"] = "disabled" if params["disabled"] else "enabled"
    ctx.store.put(found)
    ctx.em.endpoints_changed()
    return found


def delete(ctx: Ctx, params: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """DELETE /v1/webhook_endpoints/{id}."""
    load(ctx, "webhook_endpoint", endpoint, "webhook endpoint")
    ctx.store.delete(endpoint)
    ctx.em.endpoints_changed()
    return {"id": endpoint, "object": "webhook_endpoint", "deleted": True}


def list_endpoints(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/webhook_endpoints."""
    return list_object(ctx, "webhook_endpoint", "/v1/webhook_endpoints", params)


ROUTES = [
    Route("POST", "/v1/webhook_endpoints", create, CREATE),
    Route("GET", "/v1/webhook_endpoints", list_endpoints, LIST),
    Route("GET", "/v1/webhook_endpoints/<endpoint>", retrieve, RETRIEVE),
    Route("POST", "/v1/webhook_endpoints/<endpoint>", update, UPDATE),
    Route("DELETE", "/v1/webhook_endpoints/<endpoint>", delete, RETRIEVE),
]
