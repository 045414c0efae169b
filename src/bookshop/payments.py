"""Every call to Stripe: small functions taking and returning plain values. Nothing else imports
stripe."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import Flask, current_app

# The SDK's own pinned API version, stated so an SDK upgrade is a visible change here.
API_VERSION = stripe.api_version
MAX_NETWORK_RETRIES = 2
# How old a webhook's signed timestamp may be, in seconds (Stripe's own default): older is a replay.
WEBHOOK_TOLERANCE = 300
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
class Refund:
    """The parts of a Stripe Refund the shop uses."""

    id: str
    amount: int
    currency: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    payment_intent: str | None
    charge: str | None
    reason: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class Dispute:
    """The parts of a Stripe Dispute the shop uses."""

    id: str
    amount: int
    currency: str
    status: str  # warning_needs_response | needs_response | under_review | won | lost | ...
    reason: str | None
    payment_intent: str | None
    charge: str | None


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
    created: int = 0  # Stripe's `created`, Unix seconds
    object: Mapping[str, Any] = field(default_factory=dict, repr=False)  # data.object
    payload: str = field(default="", repr=False)  # the body exactly as received


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


def cancel_payment_intent(
    payment_intent_id: str, reason: str = "abandoned", idempotency_key: str | None = None
) -> PaymentIntent:
    """Cancel a PaymentIntent so it can never take money; InvalidPaymentRequest if too late."""
    options = {"idempotency_key": idempotency_key} if idempotency_key else {}
    with _translated_errors():
        intent = _client().v1.payment_intents.cancel(
            payment_intent_id, {"cancellation_reason": reason}, options
        )
    return _payment_intent(intent)


def create_refund(
    payment_intent_id: str,
    amount: int,
    idempotency_key: str,
    metadata: Mapping[str, str],
    reason: str | None = "requested_by_customer",
) -> Refund:
    """Return `amount` of a PaymentIntent's money to the customer."""
    params: dict[str, Any] = {
        "payment_intent": payment_intent_id,
        "amount": amount,
        "metadata": dict(metadata),
    }
    if reason:
        params["reason"] = reason
    with _translated_errors():
        refund = _client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    return refund_from_dict(refund.to_dict())


def retrieve_refund(refund_id: str) -> Refund:
    """The Refund as Stripe has it now."""
    with _translated_errors():
        refund = _client().v1.refunds.retrieve(refund_id)
    return refund_from_dict(refund.to_dict())


def retrieve_dispute(dispute_id: str) -> Dispute:
    """The Dispute as Stripe has it now."""
    with _translated_errors():
        dispute = _client().v1.disputes.retrieve(dispute_id)
    return dispute_from_dict(dispute.to_dict())


def list_payment_intents(created_gte: int, created_lt: int) -> Iterator[PaymentIntent]:
    """Every PaymentIntent created in [created_gte, created_lt) (Unix seconds), page by page."""
    params = {"created": {"gte": created_gte, "lt": created_lt}, "limit": 100}
    with _translated_errors():
        for intent in _client().v1.payment_intents.list(params).auto_paging_iter():
            yield _payment_intent(intent)


def list_refunds(
    created_gte: int | None = None,
    created_lt: int | None = None,
    payment_intent_id: str | None = None,
) -> Iterator[Refund]:
    """Refunds created in a window, or every refund of one PaymentIntent, page by page."""
    params: dict[str, Any] = {"limit": 100}
    if created_gte is not None and created_lt is not None:
        params["created"] = {"gte": created_gte, "lt": created_lt}
    if payment_intent_id:
        params["payment_intent"] = payment_intent_id
    with _translated_errors():
        for refund in _client().v1.refunds.list(params).auto_paging_iter():
            yield refund_from_dict(refund.to_dict())


def list_disputes(created_gte: int, created_lt: int) -> Iterator[Dispute]:
    """Every dispute created in [created_gte, created_lt) (Unix seconds), page by page."""
    params = {"created": {"gte": created_gte, "lt": created_lt}, "limit": 100}
    with _translated_errors():
        for dispute in _client().v1.disputes.list(params).auto_paging_iter():
            yield dispute_from_dict(dispute.to_dict())


def refund_from_dict(data: Mapping[str, Any]) -> Refund:
    """A Refund from Stripe's JSON (an API answer or a webhook's data.object)."""
    return Refund(
        id=data["id"],
        amount=data["amount"],
        currency=data["currency"],
        status=data.get("status") or "pending",
        payment_intent=_id_of(data.get("payment_intent")),
        charge=_id_of(data.get("charge")),
        reason=data.get("reason"),
        metadata=dict(data.get("metadata") or {}),
    )


def dispute_from_dict(data: Mapping[str, Any]) -> Dispute:
    """A Dispute from Stripe's JSON (an API answer or a webhook's data.object)."""
    return Dispute(
        id=data["id"],
        amount=data["amount"],
        currency=data["currency"],
        status=data["status"],
        reason=data.get("reason"),
        payment_intent=_id_of(data.get("payment_intent")),
        charge=_id_of(data.get("charge")),
    )


def _id_of(value: Any) -> str | None:
    # Expandable fields are an id, an expanded object, or null.
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None


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


def verify_webhook(
    payload: bytes, signature_header: str | None, secrets: str | Sequence[str]
) -> Event:
    """Check a webhook's signature against any of the secrets (several while one is rotated),
    then parse it; InvalidWebhook when either fails."""
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("unreadable payload: not UTF-8") from None
    problem = "no signing secret"
    for secret in candidates:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature_header or "", secret, WEBHOOK_TOLERANCE
            )
            break
        except stripe.SignatureVerificationError as exc:
            problem = str(exc.user_message or exc)
    else:
        raise InvalidWebhook(f"bad signature: {problem}")
    return event_from_payload(text)


def event_from_payload(payload: str) -> Event:
    """An Event from a webhook body whose signature was checked (now, or when it was stored)."""
    try:
        event = json.loads(payload)
        obj = event["data"]["object"]
        if event.get("object") != "event" or not isinstance(obj, dict):
            raise ValueError("not an event")
        return Event(
            id=str(event["id"]),
            type=str(event["type"]),
            object_id=obj.get("id"),
            object_type=obj.get("object"),
            created=int(event.get("created") or 0),
            object=obj,
            payload=payload,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidWebhook(f"unreadable payload: {type(exc).__name__}") from None


def _payment_intent(obj: Any) -> PaymentIntent:
    return payment_intent_from_dict(obj.to_dict())


def payment_intent_from_dict(intent: Mapping[str, Any]) -> PaymentIntent:
    """A PaymentIntent from Stripe's JSON (an API answer or a webhook's data.object)."""
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
