"""Test tools for the emulator: a schema-checking SDK client, raw HTTP calls, a webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import requests
import stripe
from stripe_schema import validate

from stripe_emulator import DEFAULT_SECRET_KEY, RunningEmulator

T = TypeVar("T")
E = TypeVar("E", bound=RunningEmulator)
FUTURE_YEAR = time.gmtime().tm_year + 3


class ValidatingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, checking every JSON answer against Stripe's schema."""

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content, status, response_headers = super().request(method, url, headers, post_data)
        if response_headers.get("Content-Type", "").startswith("application/json"):
            validate(json.loads(content))
        return content, status, response_headers


def sdk(server: RunningEmulator, retries: int = 0) -> stripe.StripeClient:
    """The official SDK pointed at an emulator, as the shop configures it."""
    return stripe.StripeClient(
        server.secret_key,
        base_addresses={"api": server.url},
        max_network_retries=retries,
        http_client=ValidatingClient(),
    )


class Api:
    """curl-style calls: form bodies built by hand, answers checked against the schema."""

    def __init__(self, server: RunningEmulator, key: str | None = DEFAULT_SECRET_KEY) -> None:
        self.url = server.url
        self.key = key
        self.session = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        headers: dict[str, str] | None = None,
        key: str | None = "",
        check: bool = True,
    ) -> requests.Response:
        """Send one request; key="" means this Api's key, None means no Authorization header."""
        key = self.key if key == "" else key
        sent = {"Authorization": f"Bearer {key}"} if key else {}
        sent.update(headers or {})
        if method == "POST":
            response = self.session.request(method, self.url + path, data=data, headers=sent)
        else:
            response = self.session.request(method, self.url + path, params=data, headers=sent)
        if check and path.startswith("/v1/"):
            assert response.headers["Content-Type"].startswith("application/json"), response.text
            validate(response.json())
        return response

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, params, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def control(server: RunningEmulator, method: str, path: str, body: Any = None) -> requests.Response:
    """A call to the emulator's control API under /_emulator/."""
    return requests.request(method, f"{server.url}/_emulator/{path}", json=body, timeout=30)


def emptied(server: E) -> E:
    """The emulator after a reset: no objects, no faults."""
    response = control(server, "POST", "reset")
    assert response.status_code == 200, response.text
    return server


def set_faults(server: RunningEmulator, spec: dict[str, Any]) -> dict[str, Any]:
    """Add faults; fails the test if the emulator refuses them."""
    response = control(server, "POST", "faults", spec)
    assert response.status_code == 200, response.text
    return response.json()


def advance_clock(server: RunningEmulator, seconds: float) -> dict[str, Any]:
    """Move the emulator's time forward; what fell due has run when this returns."""
    response = control(server, "POST", "clock/advance", {"seconds": seconds})
    assert response.status_code == 200, response.text
    return response.json()


def flush(server: RunningEmulator) -> None:
    """Wait until every webhook delivery due now has been attempted."""
    response = control(server, "POST", "webhooks/flush")
    assert response.json() == {"flushed": True}


def deliveries(server: RunningEmulator, **query: str) -> list[dict[str, Any]]:
    """The emulator's webhook deliveries, newest first."""
    response = requests.get(f"{server.url}/_emulator/deliveries", params=query, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def object_counts(server: RunningEmulator) -> dict[str, int]:
    """How many objects of each type the emulator holds."""
    return control(server, "GET", "").json()["objects"]


def wait_until(condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll until condition() is truthy; return its value or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def card_data(number: str, /, **overrides: Any) -> dict[str, Any]:
    """payment_method_data for a card, as Stripe.js sends it."""
    card = {"number": number, "exp_month": 12, "exp_year": FUTURE_YEAR, "cvc": "123"}
    card.update(overrides)
    return {"type": "card", "card": card}


def event_types(server: RunningEmulator, object_id: str, limit: int = 25) -> list[str]:
    """Types of the recent events about one object, oldest first."""
    response = requests.get(
        f"{server.url}/v1/events",
        params={"limit": limit},
        headers={"Authorization": f"Bearer {server.secret_key}"},
        timeout=10,
    )
    events = validate(response.json())["data"]
    return [
        event["type"] for event in reversed(events) if event["data"]["object"]["id"] == object_id
    ]


@dataclass
class Received:
    """One webhook request as the receiver saw it."""

    body: bytes
    signature: str
    content_type: str
    at: float

    def event(self, secret: str) -> stripe.Event:
        """The event, after checking its signature as the shop does."""
        return stripe.Webhook.construct_event(self.body, self.signature, secret)

    @property
    def event_id(self) -> str:
        """The event's id, without checking the signature."""
        return json.loads(self.body)["id"]


class WebhookReceiver:
    """A merchant's webhook endpoint on a free port: records requests, answers as told."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []  # answers for the next requests; then 200
        self.delay = 0.0  # seconds to wait before answering
        self._lock = threading.Lock()
        self._closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            body,
                            self.headers.get("Stripe-Signature", ""),
                            self.headers.get("Content-Type", ""),
                            time.monotonic(),
                        )
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay:
                    receiver._closing.wait(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Where the emulator should deliver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The first `count` requests, waiting for them to arrive."""
        wait_until(lambda: len(self.received) >= count, timeout)
        return self.received[:count]

    def close(self) -> None:
        """Stop serving; requests being delayed are answered at once."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
