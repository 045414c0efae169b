"""API resources: each module lists its routes, parameters and handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import Ctx
from ..errors import NotFoundError
from ..params import Spec

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, Werkzeug rule, handler, parameters, who may call it."""

    method: str
    rule: str
    handler: Handler
    spec: Spec
    publishable: bool = False


def load(
    ctx: Ctx, object_type: str, object_id: str, kind: str, param: str = "id"
) -> dict[str, Any]:
    """The stored object, or Stripe's resource_missing error."""
    obj = ctx.store.get(object_id, object_type)
    if obj is None:
        raise NotFoundError(kind, object_id, param)
    return obj


def linked(params: dict[str, Any]) -> dict[str, str] | None:
    """The charge or PaymentIntent a list call is narrowed to, as the store's `where`."""
    where: dict[str, str] = {
        name: params[name] for name in ("charge", "payment_intent") if name in params
    }
    return where or None


def list_object(
    ctx: Ctx,
    object_type: str,
    url: str,
    params: dict[str, Any],
    where: dict[str, str] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Stripe's list object for a paginated query."""
    items, has_more = ctx.store.page(
        object_type,
        limit=params.get("limit", 10),
        starting_after=params.get("starting_after"),
        ending_before=params.get("ending_before"),
        created=params.get("created"),
        where=where,
        tags=tags,
    )
    return {"object": "list", "data": items, "has_more": has_more, "url": url}
