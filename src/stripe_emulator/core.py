"""The emulator's shared state and the per-request context handed to every resource."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Protocol

from .clock import Clock
from .faults import Faults
from .store import Store

API_VERSION = "2026-10-28.endive"
PRIVATE = "_private"
CLOCK_OFFSET = "clock_offset"  # the store's setting that keeps the clock's offset


class WebhookQueue(Protocol):
    """The webhook deliveries owed, as requests and the control API use them."""

    def enqueue(self, conn: sqlite3.Connection, event_id: str, endpoint_ids: list[str]) -> None:
        """Queue one delivery per endpoint, inside the caller's transaction."""

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""

    def catch_up(self) -> None:
        """Run the background sweeps (due jobs, expired sessions) now, in the caller's thread."""

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery due now has been attempted; False on timeout."""

    def deliveries(
        self, event_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries with their attempts, newest first."""


@dataclass
class Emulator:
    """Everything one running emulator owns."""

    store: Store
    secret_key: str
    publishable_key: str
    faults: Faults
    dispatcher: WebhookQueue | None = None
    api_version: str = API_VERSION
    clock: Clock = field(default_factory=Clock)
    _endpoint_cache: list[dict[str, Any]] | None = field(default=None, repr=False)

    def endpoints(self) -> list[dict[str, Any]]:
        """Enabled webhook endpoints, cached until one changes."""
        if self._endpoint_cache is None:
            items, _ = self.store.page("webhook_endpoint", limit=100)
            self._endpoint_cache = [item for item in items if item["status"] == "enabled"]
        return self._endpoint_cache

    def endpoints_changed(self) -> None:
        """Forget the cached endpoint list."""
        self._endpoint_cache = None

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's time forward, remembered across restarts, and run what fell due."""
        offset = self.clock.advance(seconds)
        self.store.set_setting(CLOCK_OFFSET, repr(offset))
        if self.dispatcher is not None:
            self.dispatcher.catch_up()
            self.dispatcher.wake()


@dataclass
class Ctx:
    """One API call: who makes it, where the emulator is reached, what it may emit."""

    em: Emulator
    base_url: str
    key_kind: str = "secret"
    request_id: str | None = None
    idempotency_key: str | None = None
    emitted: list[str] = field(default_factory=list)

    @property
    def store(self) -> Store:
        """The emulator's store."""
        return self.em.store

    def now(self) -> int:
        """The emulator's time in whole seconds, as Stripe's `created` fields."""
        return self.em.clock.now()

    @property
    def publishable(self) -> bool:
        """Whether the caller used the publishable key (Stripe.js)."""
        return self.key_kind == "publishable"


def public_json(obj: dict[str, Any]) -> str:
    """The JSON text of public(obj), encoding it once in the common case."""
    if PRIVATE in obj:
        obj = {key: value for key, value in obj.items() if key != PRIVATE}
    text = json.dumps(obj)
    if f'"{PRIVATE}"' in text:
        return json.dumps(_without_private(obj))
    return text


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the API shows it: without the emulator's private fields, at any depth."""
    if PRIVATE in obj:
        obj = {key: value for key, value in obj.items() if key != PRIVATE}
    # Nested private fields are rare (an embedded object not made public first); finding them
    # with the C JSON encoder is much cheaper than walking every value in Python.
    if f'"{PRIVATE}"' in json.dumps(obj):
        stripped: dict[str, Any] = _without_private(obj)
        return stripped
    return obj


def _without_private(value: Any) -> Any:
    # Objects nest others (a decline's payment method, an expanded charge): strip them all.
    if isinstance(value, dict):
        return {key: _without_private(item) for key, item in value.items() if key != PRIVATE}
    if isinstance(value, list):
        return [_without_private(item) for item in value]
    return value
