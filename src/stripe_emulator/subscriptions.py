"""Webhook endpoints as delivery sees them: the events each takes and the secret it signs with."""

from __future__ import annotations

from typing import Any

from .core import PRIVATE


def subscribes_to(endpoint: dict[str, Any], event_type: str) -> bool:
    """Whether the endpoint takes events of this type (`*` takes every one)."""
    enabled = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled


def secret_of(endpoint: dict[str, Any]) -> str:
    """The signing secret (shown by the API only when the endpoint is created)."""
    secret: str = endpoint[PRIVATE]["secret"]
    return secret
