"""The StripeClients the shop calls Stripe with, and the SDK's errors turned into the PaymentError
tree; the payments package's Stripe modules share them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import stripe
from flask import Flask, current_app, has_request_context
from requests.adapters import HTTPAdapter

from .errors import (
    CardDeclined,
    InvalidPaymentRequest,
    PaymentError,
    PaymentNotFound,
    PaymentUnavailable,
)

# The SDK's own pinned API version, stated so an SDK upgrade is a visible change here.
API_VERSION = stripe.api_version
MAX_NETWORK_RETRIES = 2
STRIPE_API_BASE = "https://api.stripe.com"
# Open connections to Stripe kept for reuse, per client: one for each of a worker's threads.
KEPT_CONNECTIONS = 64
_EXTENSION_KEY = "bookshop.stripe"
_INTERACTIVE_KEY = "bookshop.stripe.interactive"


def init_app(app: Flask) -> None:
    """Build the app's StripeClients from its settings: one for background work, one for calls a
    customer waits on, whose tries together fit in STRIPE_CUSTOMER_BUDGET seconds."""
    timeout = app.config.get("STRIPE_TIMEOUT", 20)
    budget = app.config.get("STRIPE_CUSTOMER_BUDGET", 10)
    base = app.config.get("STRIPE_API_BASE")
    key = app.config["STRIPE_SECRET_KEY"]
    app.extensions[_EXTENSION_KEY] = build_client(key, base, timeout)
    # Each try gets its share of the budget (the SDK's short back-off between tries is small).
    per_try = min(timeout, budget / (MAX_NETWORK_RETRIES + 1))
    app.extensions[_INTERACTIVE_KEY] = build_client(key, base, per_try)
    # The SDK logs request and response bodies (client secrets included) at DEBUG.
    logging.getLogger("stripe").setLevel(logging.WARNING)


def build_client(secret_key: str, api_base: str | None, timeout: float) -> stripe.StripeClient:
    """A StripeClient with retries, a timeout and the pinned API version."""
    options: dict[str, Any] = {}
    if api_base:
        options["base_addresses"] = {"api": api_base.rstrip("/")}
    return stripe.StripeClient(
        secret_key,
        stripe_version=API_VERSION,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=_http_client(timeout, (api_base or STRIPE_API_BASE).rstrip("/")),
        **options,
    )


class _ThreadSessions(threading.local):
    """Each thread's own requests session (as the SDK keeps them), with the proxies given and the
    connection pool shared by every thread."""

    def __init__(self, proxies: dict[str, str], connections: HTTPAdapter) -> None:
        self.session = requests.Session()
        # The environment is read once, when the client is built: requests would otherwise scan
        # it (and look for a .netrc file) again at every call.
        self.session.trust_env = False
        self.session.proxies.update(proxies)
        # A thread's first call reuses a connection another thread opened, instead of a new one.
        self.session.mount("https://", connections)
        self.session.mount("http://", connections)


def _http_client(timeout: float, api_base: str) -> stripe.RequestsClient:
    """The SDK's requests client, with the proxy settings for `api_base` read from the
    environment now (HTTPS_PROXY, NO_PROXY and the like) instead of at every call."""
    http_client = stripe.RequestsClient(timeout=timeout)
    proxies = requests.utils.get_environ_proxies(api_base)
    connections = HTTPAdapter(pool_maxsize=KEPT_CONNECTIONS)  # the SDK retries, not the adapter
    http_client._thread_local = _ThreadSessions(proxies, connections)
    return http_client


def client() -> stripe.StripeClient:
    # Inside a request someone is waiting (a customer, or Stripe for a webhook's answer).
    key = _INTERACTIVE_KEY if has_request_context() else _EXTENSION_KEY
    client: stripe.StripeClient = current_app.extensions[key]
    return client


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the SDK's exceptions into the PaymentError tree, keeping the technical detail."""
    try:
        yield
    except stripe.StripeError as exc:
        raise translate(exc) from exc


def translate(exc: stripe.StripeError) -> PaymentError:
    """The PaymentError for a Stripe SDK exception."""
    detail = f"{type(exc).__name__} (HTTP {exc.http_status}): {exc.user_message or exc}"
    if isinstance(exc, stripe.CardError):
        return CardDeclined(detail, exc.user_message, getattr(exc.error, "decline_code", None))
    if isinstance(
        exc,
        stripe.APIConnectionError
        | stripe.RateLimitError
        | stripe.AuthenticationError
        | stripe.PermissionError,
    ):
        return PaymentUnavailable(detail)
    if isinstance(exc, stripe.InvalidRequestError):
        if exc.http_status == 404 or exc.code == "resource_missing":
            return PaymentNotFound(detail)
        if exc.http_status == 429:
            return PaymentUnavailable(detail)
        return InvalidPaymentRequest(detail)
    if exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429:
        return PaymentUnavailable(detail)
    return PaymentError(detail)
