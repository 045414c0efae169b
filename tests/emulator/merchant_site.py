"""A merchant's site for the Stripe.js stand-in's browser tests: its pages on an origin of its own,
an endpoint creating PaymentIntents, and the steps a customer takes on them."""

from __future__ import annotations

import json
import sys
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe
from playwright.sync_api import Page

from stripe_emulator import RunningEmulator

PAGES = Path(__file__).parent / "pages"
FUTURE_EXPIRY = f"12 / {(date.today().year + 5) % 100:02d}"


class MerchantServer(ThreadingHTTPServer):
    """A merchant's site on its own origin: its pages, and one endpoint creating PaymentIntents."""

    daemon_threads = True

    def __init__(self, emulator: RunningEmulator, client: stripe.StripeClient) -> None:
        super().__init__(("127.0.0.1", 0), MerchantHandler)
        self.emulator = emulator
        self.client = client

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that left mid-answer (the test was over) is not the page's error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}


class MerchantHandler(BaseHTTPRequestHandler):
    """Serves pages/*.html with the emulator's URL filled in, and their scripts and stylesheets
    under /pages/; prices on the server, as shops do."""

    server: MerchantServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        name = path.strip("/")
        if path == "/pay":
            self._send_page("payment.html")
        elif path == "/return":
            self._send_page("return.html")
        elif path.startswith("/pages/"):
            self._send_static(path.removeprefix("/pages/"))
        elif name and "/" not in name and (PAGES / f"{name}.html").is_file():
            # Pages with no inline script, under a policy that allows none.
            self._send_page(f"{name}.html", strict=True)
        else:  # hosted Checkout's success_url and cancel_url, and a bare page with Stripe.js
            script = f"<script src='{self.server.emulator.url}/v3/'></script>"
            self._send(200, "text/html", f"{script}<h1 data-testid='landed'>{path}</h1>".encode())

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/create-payment-intent":
            self._send(404, "text/plain", b"not found")
            return
        intent = self.server.client.v1.payment_intents.create(
            params={
                "amount": 2300,
                "currency": "sgd",
                "automatic_payment_methods": {"enabled": True},
            }
        )
        body = json.dumps({"clientSecret": intent.client_secret}).encode()
        self._send(200, "application/json", body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _send_page(self, name: str, strict: bool = False) -> None:
        html = (PAGES / name).read_text(encoding="utf-8")
        html = html.replace("__EMULATOR_URL__", self.server.emulator.url)
        html = html.replace("__PUBLISHABLE_KEY__", self.server.emulator.publishable_key)
        self._send(200, "text/html; charset=utf-8", html.encode(), strict)

    def _send_static(self, name: str) -> None:
        """A page's script or stylesheet from pages/."""
        file = PAGES / name
        if file.parent != PAGES or file.suffix not in STATIC_TYPES or not file.is_file():
            self._send(404, "text/plain", b"not found")
        else:
            self._send(200, f"{STATIC_TYPES[file.suffix]}; charset=utf-8", file.read_bytes())

    def _send(self, status: int, content_type: str, body: bytes, strict: bool = False) -> None:
        self.send_response(status)
        emulator = self.server.emulator.url
        if strict:  # no inline script or style anywhere: Stripe.js must need neither
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'self'; script-src 'self' {emulator}; "
                f"connect-src 'self' {emulator}; style-src 'self'",
            )
        elif "csp=strict" in self.path:  # no inline styles: Stripe.js must not need them
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'self'; script-src 'self' 'unsafe-inline' {emulator}; "
                f"connect-src 'self' {emulator}; style-src 'self'",
            )
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def fill_card(
    page: Page, number: str, expiry: str = FUTURE_EXPIRY, cvc: str = "123", postal: str = "018956"
) -> None:
    page.get_by_test_id("card-number").fill(number)
    page.get_by_test_id("card-expiry").fill(expiry)
    page.get_by_test_id("card-cvc").fill(cvc)
    page.get_by_test_id("postal-code").fill(postal)


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
