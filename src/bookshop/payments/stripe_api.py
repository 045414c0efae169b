"""Every call to Stripe: small functions taking and returning plain values. The only module that
imports stripe."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import stripe
from flask import Flask, current_app, has_request_context
from stripe.params import (
    DisputeListParams,
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    PaymentIntentModifyParams,
    RefundCreateParams,
    RefundListParams,
    WebhookEndpointCreateParams,
)

from .errors import (
    CardDeclined,
    InvalidPaymentRequest,
    InvalidWebhook,
    PaymentError,
    PaymentNotFound,
    PaymentUnavailable,
)
from .objects import (
    CheckoutLine,
    CheckoutSession,
    Dispute,
    Event,
    PaymentIntent,
    Refund,
    ShippingRateData,
    WebhookEndpoint,
    checkout_session_from_dict,
    dispute_from_dict,
    event_from_payload,
    payment_intent_from_dict,
    refund_from_dict,
)

# The SDK's own pinned API version, stated so an SDK upgrade is a visible change here.
API_VERSION = stripe.api_version
MAX_NETWORK_RETRIES = 2
# How old a webhook's signed timestamp may be, in seconds (Stripe's own default): older is a replay.
WEBHOOK_TOLERANCE = 300
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
        http_client=stripe.RequestsClient(timeout=timeout),
        **options,
    )


def _client() -> stripe.StripeClient:
    # Inside a request someone is waiting (a customer, or Stripe for a webhook's answer).
    key = _INTERACTIVE_KEY if has_request_context() else _EXTENSION_KEY
    client: stripe.StripeClient = current_app.extensions[key]
    return client


def create_payment_intent(
    amount: int,
    currency: str,
    metadata: Mapping[str, str],
    receipt_email: str | None,
    idempotency_key: str,
    description: str | None = None,
    capture_method: str = "automatic",
    shipping: Mapping[str, Any] | None = None,
) -> PaymentIntent:
    """Create a PaymentIntent that accepts the payment methods enabled in the dashboard;
    `capture_method="manual"` only authorizes the card (captured later, when the books ship)."""
    params: PaymentIntentCreateParams = {
        "amount": amount,
        "currency": currency,
        "automatic_payment_methods": {"enabled": True},
        "metadata": dict(metadata),
        "capture_method": "manual" if capture_method == "manual" else "automatic",
    }
    if receipt_email:
        params["receipt_email"] = receipt_email
    if description:
        params["description"] = description
    if shipping:
        params["shipping"] = cast(Any, dict(shipping))
    with _translated_errors():
        intent = _client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return _payment_intent(intent)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntent:
    """The PaymentIntent as Stripe has it now (with its charge: when an authorization runs out)."""
    with _translated_errors():
        intent = _client().v1.payment_intents.retrieve(
            payment_intent_id, {"expand": ["latest_charge"]}
        )
    return _payment_intent(intent)


def update_payment_intent(
    payment_intent_id: str, amount: int, shipping: Mapping[str, Any] | None = None
) -> PaymentIntent:
    """Change what an unpaid PaymentIntent charges, and where the books go."""
    params: PaymentIntentModifyParams = {"amount": amount}
    if shipping is not None:
        params["shipping"] = cast(Any, dict(shipping))
    with _translated_errors():
        intent = _client().v1.payment_intents.update(payment_intent_id, params)
    return _payment_intent(intent)


def update_receipt_email(payment_intent_id: str, email: str) -> PaymentIntent:
    """Send an unpaid PaymentIntent's receipt to another address (the customer corrected it)."""
    with _translated_errors():
        intent = _client().v1.payment_intents.update(payment_intent_id, {"receipt_email": email})
    return _payment_intent(intent)


def capture_payment_intent(
    payment_intent_id: str, amount_to_capture: int, idempotency_key: str
) -> PaymentIntent:
    """Take `amount_to_capture` of an authorization; Stripe releases the rest of the hold."""
    with _translated_errors():
        intent = _client().v1.payment_intents.capture(
            payment_intent_id,
            {"amount_to_capture": amount_to_capture, "expand": ["latest_charge"]},
            {"idempotency_key": idempotency_key},
        )
    return _payment_intent(intent)


def cancel_payment_intent(
    payment_intent_id: str, reason: str = "abandoned", idempotency_key: str | None = None
) -> PaymentIntent:
    """Cancel a PaymentIntent so it can never take money; InvalidPaymentRequest if too late."""
    options: stripe.RequestOptions = {"idempotency_key": idempotency_key} if idempotency_key else {}
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
    params: RefundCreateParams = {
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


def update_dispute(
    dispute_id: str, evidence: Mapping[str, str], submit: bool, idempotency_key: str
) -> Dispute:
    """Send evidence for a dispute (text fields only); `submit` hands it to the bank at once,
    otherwise Stripe keeps it as a draft."""
    params: dict[str, Any] = {
        "evidence": {name: value for name, value in evidence.items() if value},
        "submit": submit,
    }
    with _translated_errors():
        dispute = _client().v1.disputes.update(
            dispute_id, cast(Any, params), {"idempotency_key": idempotency_key}
        )
    return dispute_from_dict(dispute.to_dict())


# A session read back with what the shop acts on: its PaymentIntent (with the charge, for an
# authorization's end) and the shipping rate chosen (its name and the shop's option code).
_SESSION_EXPAND = ["payment_intent.latest_charge", "shipping_cost.shipping_rate"]


def create_checkout_session(
    *,
    reference: str,
    lines: Sequence[CheckoutLine],
    currency: str,
    customer_email: str,
    allowed_countries: Sequence[str],
    shipping_options: Sequence[ShippingRateData],
    capture_method: str,
    metadata: Mapping[str, str],
    description: str,
    success_url: str,
    cancel_url: str,
    expires_at: int,
    idempotency_key: str,
) -> CheckoutSession:
    """Create a hosted Checkout Session (payment mode) for an order placed by the shop: every
    amount is the shop's, Stripe's page collects the address, the delivery option and the card."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": line.unit_amount,
                    "product_data": {"name": line.name},
                },
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "customer_email": customer_email,
        "client_reference_id": reference,
        "metadata": dict(metadata),
        "payment_intent_data": {
            "capture_method": "manual" if capture_method == "manual" else "automatic",
            "metadata": dict(metadata),
            "receipt_email": customer_email,
            "description": description,
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
    }
    if allowed_countries:
        params["shipping_address_collection"] = {"allowed_countries": sorted(allowed_countries)}
    if shipping_options:
        params["shipping_options"] = [_rate_data(option, currency) for option in shipping_options]
    with _translated_errors():
        created = _client().v1.checkout.sessions.create(
            cast(Any, params), {"idempotency_key": idempotency_key}
        )
    return checkout_session_from_dict(created.to_dict())


def _rate_data(option: ShippingRateData, currency: str) -> dict[str, Any]:
    return {
        "shipping_rate_data": {
            "type": "fixed_amount",
            "display_name": option.name,
            "fixed_amount": {"amount": option.amount, "currency": currency},
            "delivery_estimate": {
                "minimum": {"unit": "business_day", "value": option.min_days},
                "maximum": {"unit": "business_day", "value": option.max_days},
            },
            "metadata": {"option": option.code},
        }
    }


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    """The Checkout Session as Stripe has it now, with its PaymentIntent and chosen shipping."""
    with _translated_errors():
        found = _client().v1.checkout.sessions.retrieve(session_id, {"expand": _SESSION_EXPAND})
    return checkout_session_from_dict(found.to_dict())


def expire_checkout_session(session_id: str) -> CheckoutSession:
    """Close an open Checkout Session so it can never be paid (Stripe cancels its PaymentIntent);
    InvalidPaymentRequest when it is no longer open."""
    with _translated_errors():
        expired = _client().v1.checkout.sessions.expire(session_id, {"expand": _SESSION_EXPAND})
    return checkout_session_from_dict(expired.to_dict())


def list_checkout_sessions(created_gte: int, created_lt: int) -> Iterator[CheckoutSession]:
    """Every Checkout Session created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: dict[str, Any] = {
        "created": {"gte": created_gte, "lt": created_lt},
        "limit": 100,
        "expand": [f"data.{path}" for path in _SESSION_EXPAND],
    }
    with _translated_errors():
        for found in _client().v1.checkout.sessions.list(cast(Any, params)).auto_paging_iter():
            yield checkout_session_from_dict(found.to_dict())


def list_payment_intents(created_gte: int, created_lt: int) -> Iterator[PaymentIntent]:
    """Every PaymentIntent created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: PaymentIntentListParams = {
        "created": {"gte": created_gte, "lt": created_lt},
        "limit": 100,
    }
    with _translated_errors():
        for intent in _client().v1.payment_intents.list(params).auto_paging_iter():
            yield _payment_intent(intent)


def list_refunds(
    created_gte: int | None = None,
    created_lt: int | None = None,
    payment_intent_id: str | None = None,
) -> Iterator[Refund]:
    """Refunds created in a window, or every refund of one PaymentIntent, page by page."""
    params: RefundListParams = {"limit": 100}
    if created_gte is not None and created_lt is not None:
        params["created"] = {"gte": created_gte, "lt": created_lt}
    if payment_intent_id:
        params["payment_intent"] = payment_intent_id
    with _translated_errors():
        for refund in _client().v1.refunds.list(params).auto_paging_iter():
            yield refund_from_dict(refund.to_dict())


def list_disputes(created_gte: int, created_lt: int) -> Iterator[Dispute]:
    """Every dispute created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: DisputeListParams = {"created": {"gte": created_gte, "lt": created_lt}, "limit": 100}
    with _translated_errors():
        for dispute in _client().v1.disputes.list(params).auto_paging_iter():
            yield dispute_from_dict(dispute.to_dict())


def list_webhook_endpoints() -> list[WebhookEndpoint]:
    """The account's webhook endpoints (without their secrets)."""
    with _translated_errors():
        page = _client().v1.webhook_endpoints.list({"limit": 100})
    return [WebhookEndpoint(id=e.id, url=e.url) for e in page.auto_paging_iter()]


def create_webhook_endpoint(url: str, events: list[str]) -> WebhookEndpoint:
    """Register a URL for events; the returned secret is shown only this once."""
    with _translated_errors():
        params = cast(WebhookEndpointCreateParams, {"url": url, "enabled_events": events})
        endpoint = _client().v1.webhook_endpoints.create(params)
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


def _payment_intent(obj: Any) -> PaymentIntent:
    return payment_intent_from_dict(obj.to_dict())


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
