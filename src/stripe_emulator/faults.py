"""Injected faults for reliability tests: latency, API errors, webhook mischief, slow payments.

`POST /_emulator/faults` takes a JSON object with any of these keys (`DELETE` clears them all):

    {"latency": [{"path": "/v1/payment_intents*", "ms": 300}],          # or min_ms and max_ms
     "errors": [{"status": 500 | 429 | 409 | "drop", "path": "*", "method": "POST",
                 "count": 2, "fraction": 0.5,                            # the next N, or a share
                 "should_retry": true}],                                 # Stripe-Should-Retry
     "webhooks": {"duplicate": 3, "delay_seconds": 1.5, "shuffle": true, "drop": 0.2,
                  "drop_next": 1, "paused": true, "retry_base_seconds": 0.1,
                  "timeout_seconds": 2},
     "payments": {"settle_seconds": 3},
     "rate_limit": {"per_second": 25}}                                  # 0: no limit

`rate_limit` answers API requests beyond that many in any one second with Stripe's 429
`rate_limit` error, as Stripe's sandbox does past 25 a second.

`payments.settle_seconds` > 0 makes card payments asynchronous: a confirmation leaves the
PaymentIntent `processing` (event payment_intent.processing) and the charge goes through, or
declines, that many seconds later in the background, as a bank transfer would.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR_STATUSES = (500, 429, 409, "drop")


class FaultSpecError(ValueError):
    """A control request that does not describe a fault."""


@dataclass
class Latency:
    """Delay matching API requests by a fixed or random number of milliseconds."""

    path: str = "*"
    min_ms: int = 0
    max_ms: int = 0


@dataclass
class InjectedError:
    """Answer matching requests with 500, 429, 409 or a dropped connection."""

    status: int | str
    path: str = "*"
    method: str = "*"
    count: int | None = None  # the next N matching requests; None: no limit
    fraction: float = 1.0  # of matching requests, while count lasts
    should_retry: bool = True  # the answer's Stripe-Should-Retry header


@dataclass
class WebhookFaults:
    """How webhook deliveries misbehave."""

    duplicate: int = 1  # copies of each delivery, sent at once
    delay_seconds: float = 0.0  # before the first attempt
    shuffle: bool = False  # send what is due in random order
    drop: float = 0.0  # fraction of new deliveries never sent
    drop_next: int = 0  # the next N new deliveries never sent
    paused: bool = False  # hold every delivery until resumed
    retry_base_seconds: float = 2.0  # first retry delay; doubles each attempt
    timeout_seconds: float = 10.0  # an endpoint slower than this counts as failed


@dataclass
class PaymentFaults:
    """How card payments behave."""

    settle_seconds: float = 0.0  # > 0: confirmations go to processing and settle this much later


@dataclass
class RateLimit:
    """How many API requests a second are served; the rest answer 429."""

    per_second: int = 0  # 0: no limit


SANDBOX_RATE_LIMIT = 25  # requests a second, as Stripe allows in test mode


@dataclass
class Faults:
    """The faults in force, changed through the control API."""

    latency: list[Latency] = field(default_factory=list)
    errors: list[InjectedError] = field(default_factory=list)
    webhooks: WebhookFaults = field(default_factory=WebhookFaults)
    payments: PaymentFaults = field(default_factory=PaymentFaults)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _served: deque[float] = field(default_factory=deque, repr=False)  # last second's requests

    def configure(self, spec: object) -> None:
        """Add latency and error rules; update webhook and payment settings (see the module doc)."""
        if not isinstance(spec, dict):
            raise FaultSpecError("expected a JSON object")
        unknown = set(spec) - {"latency", "errors", "webhooks", "payments", "rate_limit"}
        if unknown:
            raise FaultSpecError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        latency = [_latency(item) for item in _as_list(spec.get("latency", []))]
        errors = [_error(item) for item in _as_list(spec.get("errors", []))]
        webhooks = _webhooks(self.webhooks, spec.get("webhooks", {}))
        payments = _payments(self.payments, spec.get("payments", {}))
        rate_limit = _rate_limit(spec["rate_limit"]) if "rate_limit" in spec else self.rate_limit
        with self._lock:
            self.latency.extend(latency)
            self.errors.extend(errors)
            self.webhooks = webhooks
            self.payments = payments
            self.rate_limit = rate_limit

    def clear(self) -> None:
        """No faults at all."""
        with self._lock:
            self.latency.clear()
            self.errors.clear()
            self.webhooks = WebhookFaults()
            self.payments = PaymentFaults()
            self.rate_limit = RateLimit()
            self._served.clear()

    def describe(self) -> dict[str, Any]:
        """The faults in force, as JSON."""
        return {
            "latency": [asdict(item) for item in self.latency],
            "errors": [asdict(item) for item in self.errors],
            "webhooks": asdict(self.webhooks),
            "payments": asdict(self.payments),
            "rate_limit": asdict(self.rate_limit),
        }

    def delay_for(self, path: str) -> float:
        """Seconds to wait before answering a request to path."""
        total = 0.0
        for rule in self.latency:
            if fnmatch.fnmatchcase(path, rule.path):
                total += random.uniform(rule.min_ms, rule.max_ms) / 1000
        return total

    def over_rate_limit(self) -> bool:
        """Whether this request is one too many for the last second (refused ones do not count)."""
        limit = self.rate_limit.per_second
        if not limit:
            return False
        now = time.monotonic()
        with self._lock:
            while self._served and self._served[0] <= now - 1.0:
                self._served.popleft()
            if len(self._served) >= limit:
                return True
            self._served.append(now)
            return False

    def error_for(self, method: str, path: str) -> InjectedError | None:
        """The rule whose injected answer this request gets, if any fires."""
        with self._lock:
            for rule in self.errors:
                if rule.method not in ("*", method) or not fnmatch.fnmatchcase(path, rule.path):
                    continue
                if rule.count is not None and rule.count <= 0:
                    continue
                if random.random() >= rule.fraction:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None

    def drop_delivery(self) -> bool:
        """Whether a new webhook delivery is lost."""
        with self._lock:
            if self.webhooks.drop_next > 0:
                self.webhooks.drop_next -= 1
                return True
            return random.random() < self.webhooks.drop


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise FaultSpecError("latency and errors take an object or a list of objects")
    return value


def _number(item: dict[str, Any], name: str, default: float, minimum: float = 0) -> float:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultSpecError(f"{name} must be a number of at least {minimum}")
    return value


def _latency(item: Any) -> Latency:
    if not isinstance(item, dict) or set(item) - {"path", "ms", "min_ms", "max_ms"}:
        raise FaultSpecError("latency takes path, and ms or min_ms and max_ms")
    if "ms" in item:
        fixed = int(_number(item, "ms", 0))
        low, high = fixed, fixed
    else:
        low = int(_number(item, "min_ms", 0))
        high = int(_number(item, "max_ms", low))
    if high < low:
        raise FaultSpecError("max_ms must not be below min_ms")
    return Latency(path=str(item.get("path", "*")), min_ms=low, max_ms=high)


def _error(item: Any) -> InjectedError:
    known = {"status", "path", "method", "count", "fraction", "should_retry"}
    if not isinstance(item, dict) or set(item) - known:
        raise FaultSpecError("errors take status, path, method, count, fraction and should_retry")
    if item.get("status") not in ERROR_STATUSES:
        raise FaultSpecError('status must be 500, 429, 409 or "drop"')
    if not isinstance(item.get("should_retry", True), bool):
        raise FaultSpecError("should_retry must be true or false")
    count = item.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultSpecError("count must be a whole number of at least 1")
    fraction = _number(item, "fraction", 1.0)
    if fraction > 1:
        raise FaultSpecError("fraction must be between 0 and 1")
    return InjectedError(
        status=item["status"],
        path=str(item.get("path", "*")),
        method=str(item.get("method", "*")).upper(),
        count=count,
        fraction=fraction,
        should_retry=item.get("should_retry", True),
    )


def _webhooks(current: WebhookFaults, item: Any) -> WebhookFaults:
    if not isinstance(item, dict):
        raise FaultSpecError("webhooks takes an object")
    known = set(asdict(current))
    unknown = set(item) - known
    if unknown:
        raise FaultSpecError(f"unknown webhook settings: {', '.join(sorted(unknown))}")
    values = asdict(current)
    for name, value in item.items():
        if name in ("shuffle", "paused"):
            if not isinstance(value, bool):
                raise FaultSpecError(f"{name} must be true or false")
        elif name in ("duplicate", "drop_next"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 50:
                raise FaultSpecError(f"{name} must be a whole number from 0 to 50")
        else:
            value = _number(item, name, 0)
            if name == "drop" and value > 1:
                raise FaultSpecError("drop must be between 0 and 1")
            if name == "timeout_seconds" and not 0 < value <= 60:
                raise FaultSpecError("timeout_seconds must be more than 0 and at most 60")
        values[name] = value
    values["duplicate"] = max(1, values["duplicate"])
    return WebhookFaults(**values)


def _rate_limit(item: Any) -> RateLimit:
    if not isinstance(item, dict) or set(item) - {"per_second"}:
        raise FaultSpecError("rate_limit takes per_second")
    per_second = item.get("per_second", SANDBOX_RATE_LIMIT)
    if isinstance(per_second, bool) or not isinstance(per_second, int) or per_second < 0:
        raise FaultSpecError("per_second must be a whole number of at least 0")
    return RateLimit(per_second=per_second)


def _payments(current: PaymentFaults, item: Any) -> PaymentFaults:
    if not isinstance(item, dict) or set(item) - {"settle_seconds"}:
        raise FaultSpecError("payments takes settle_seconds")
    seconds = _number(item, "settle_seconds", current.settle_seconds)
    if seconds > 3600:
        raise FaultSpecError("settle_seconds must be at most 3600")
    return PaymentFaults(settle_seconds=seconds)
