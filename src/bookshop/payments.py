"""Every call to Stripe: small functions taking and returning plain values. Nothing else imports
stripe."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import Flask, current_app

# The SDK's own pinned API version, stated so an SDK upgrade is a visible change here.
API_VERSION = stripe.api_version
MAX_NETWORK_RETRIES = 2
_EXTENSION_KEY = "bookshop.stripe"

GENERIC_DECLINE = "Your payment was not accepted. Please try another card."
UNAVAILABLE = "Payments are unavailable right now. Please try again in a few minutes."


class PaymentError(Exception):
    """A payment could not go ahead; `user_message` is safe to show, `str()` is for the log."""

    user_message = "Something went wrong with the payment. Please try again."

    def __init__(self, detail: str, user_message: str | None = None) -> None:
        super().__init__(detail)
        if user_message:
            self.user_message = user_message


class PaymentUnavailable(PaymentError):
    """Stripe cannot be reached or is failing (connection, timeout, 5xx, 429, bad credentials)."""

    user_message = UNAVAILABLE


class CardDeclined(PaymentError):
    """The card issuer or Stripe declined the card."""

    user_message = GENERIC_DECLINE

    def __init__(self, detail: str, user_message: str | None, decline_code: str | None) -> None:
        super().__init__(detail, user_message)
        self.decline_code = decline_code


class PaymentNotFound(PaymentError):
    """Stripe has no such object (or it belongs to another account)."""

    user_message = "We could not find that payment."


class InvalidPaymentRequest(PaymentError):
    """Stripe refused the request as malformed: a bug on the shop's side, not the customer's."""


class InvalidWebhook(PaymentError):
    """A webhook whose signature or body does not check out."""


@dataclass(frozen=True)
class PaymentIntent:
    """The parts of a Stripe PaymentIntent the shop uses."""

    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    metadata: Mapping[str, str]
    receipt_email: str | None
    client_secret: str | None = field(default=None, repr=False)  # never logged
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookEndpoint:
    """A registered webhook endpoint; `secret` only comes back when it is created."""

    id: str
    url: str
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Event:
    """A verified webhook event."""

    id: str
    type: str
    object_id: str | None
    object_type: str | None


def init_app(app: Flask) -> None:
    """Build the app's one StripeClient from its settings."""
    app.extensions[_EXTENSION_KEY] = build_client(
        secret_key=app.config["STRIPE_SECRET_KEY"],
        api_base=app.config.get("STRIPE_API_BASE"),
        timeout=app.config.get("STRIPE_TIMEOUT", 20),
    )
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
        http_client=stripe.RequestsClient(timeout=timeout),
        **options,
    )


def _client() -> stripe.StripeClient:
    return current_app.extensions[_EXTENSION_KEY]


def create_payment_intent(
    amount: int,
    currency: str,
    metadata: Mapping[str, str],
    receipt_email: str | None,
    idempotency_key: str,
    description: str | None = None,
) -> PaymentIntent:
    """Create a PaymentIntent that accepts the payment methods enabled in the dashboard."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "automatic_payment_methods": {"enabled": True},
        "metadata": dict(metadata),
    }
    if receipt_email:
        params["receipt_email"] = receipt_email
    if description:
        params["description"] = description
    with _translated_errors():
        intent = _client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return _payment_intent(intent)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntent:
    """The PaymentIntent as Stripe has it now."""
    with _translated_errors():
        intent = _client().v1.payment_intents.retrieve(payment_intent_id)
    return _payment_intent(intent)


def list_webhook_endpoints() -> list[WebhookEndpoint]:
    """The account's webhook endpoints (without their secrets)."""
    with _translated_errors():
        page = _client().v1.webhook_endpoints.list({"limit": 100})
    return [WebhookEndpoint(id=e.id, url=e.url) for e in page.auto_paging_iter()]


def create_webhook_endpoint(url: str, events: list[str]) -> WebhookEndpoint:
    """Register a URL for events; the returned secret is shown only this once."""
    with _translated_errors():
        endpoint = _client().v1.webhook_endpoints.create({"url": url, "enabled_events": events})
    data = endpoint.to_dict()
    return WebhookEndpoint(id=data["id"], url=data["url"], secret=data.get("secret"))


def delete_webhook_endpoint(endpoint_id: str) -> None:
    """Remove a webhook endpoint."""
    with _translated_errors():
        _client().v1.webhook_endpoints.delete(endpoint_id)


def verify_webhook(payload: bytes, signature_header: str | None, secret: str) -> Event:
    """Check a webhook's signature and parse it; InvalidWebhook when either fails."""
    try:
        event = _client().construct_event(payload, signature_header or "", secret).to_dict()
        obj = event["data"]["object"]
        return Event(
            id=event["id"],
            type=event["type"],
            object_id=obj.get("id"),
            object_type=obj.get("object"),
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(f"bad signature: {exc.user_message}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidWebhook(f"unreadable payload: {type(exc).__name__}") from None


def _payment_intent(obj: Any) -> PaymentIntent:
    intent = obj.to_dict()
    last_error = intent.get("last_payment_error")
    return PaymentIntent(
        id=intent["id"],
        status=intent["status"],
        amount=intent["amount"],
        amount_received=intent.get("amount_received") or 0,
        currency=intent["currency"],
        metadata=dict(intent.get("metadata") or {}),
        receipt_email=intent.get("receipt_email"),
        client_secret=intent.get("client_secret"),
        last_error_message=_safe_error_message(last_error) if last_error else None,
    )


def _safe_error_message(error: Mapping[str, Any]) -> str:
    # Card errors carry a message written for customers; anything else gets our own words.
    if error.get("type") == "card_error" and error.get("message"):
        return str(error["message"])
    return GENERIC_DECLINE


@contextmanager
def _translated_errors() -> Iterator[None]:
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
