"""Calls to Stripe about payments, refunds, disputes and webhook endpoints: small functions taking
and returning plain values. This module and stripe_client are the only ones that import stripe."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote_plus

import stripe
from stripe.params import (
    DisputeListParams,
    PaymentIntentCreateParams,
    PaymentIntentListParams,
    PaymentIntentModifyParams,
    RefundCreateParams,
    RefundListParams,
    WebhookEndpointCreateParams,
)

from .errors import InvalidWebhook
from .objects import (
    Dispute,
    Event,
    PaymentIntent,
    Refund,
    WebhookEndpoint,
    dispute_from_dict,
    event_from_payload,
    payment_intent_from_dict,
    refund_from_dict,
)
from .stripe_client import client, translated_errors

# How old a webhook's signed timestamp may be, in seconds (Stripe's own default): older is a replay.
WEBHOOK_TOLERANCE = 300


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
    with translated_errors():
        # The answer read as it came: the customer waits on this call, and the SDK's objects
        # (built field by field, then turned back into a dict) are not needed for a plain value.
        # `usage` as the SDK's own services send it, so Stripe sees the same request.
        answer = client().raw_request(
            "post",
            "/v1/payment_intents",
            **params,
            idempotency_key=idempotency_key,
            usage=["stripe_client"],
        )
    return payment_intent_from_dict(answer.data)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntent:
    """The PaymentIntent as Stripe has it now (with its charge: when an authorization runs out)."""
    with translated_errors():
        # Read as it came, like a new one: this read follows every webhook event and every
        # return from the payment page. The id is escaped as the SDK's services escape it.
        answer = client().raw_request(
            "get",
            f"/v1/payment_intents/{quote_plus(payment_intent_id)}",
            expand=["latest_charge"],
            usage=["stripe_client"],
        )
    return payment_intent_from_dict(answer.data)


def update_payment_intent(
    payment_intent_id: str, amount: int, shipping: Mapping[str, Any] | None = None
) -> PaymentIntent:
    """Change what an unpaid PaymentIntent charges, and where the books go."""
    params: PaymentIntentModifyParams = {"amount": amount}
    if shipping is not None:
        params["shipping"] = cast(Any, dict(shipping))
    with translated_errors():
        intent = client().v1.payment_intents.update(payment_intent_id, params)
    return _payment_intent(intent)


def update_receipt_email(payment_intent_id: str, email: str) -> PaymentIntent:
    """Send an unpaid PaymentIntent's receipt to another address (the customer corrected it)."""
    with translated_errors():
        intent = client().v1.payment_intents.update(payment_intent_id, {"receipt_email": email})
    return _payment_intent(intent)


def capture_payment_intent(
    payment_intent_id: str, amount_to_capture: int, idempotency_key: str
) -> PaymentIntent:
    """Take `amount_to_capture` of an authorization; Stripe releases the rest of the hold."""
    with translated_errors():
        intent = client().v1.payment_intents.capture(
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
    with translated_errors():
        intent = client().v1.payment_intents.cancel(
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
    with translated_errors():
        refund = client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    return refund_from_dict(refund.to_dict())


def retrieve_refund(refund_id: str) -> Refund:
    """The Refund as Stripe has it now."""
    with translated_errors():
        refund = client().v1.refunds.retrieve(refund_id)
    return refund_from_dict(refund.to_dict())


def retrieve_dispute(dispute_id: str) -> Dispute:
    """The Dispute as Stripe has it now."""
    with translated_errors():
        dispute = client().v1.disputes.retrieve(dispute_id)
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
    with translated_errors():
        dispute = client().v1.disputes.update(
            dispute_id, cast(Any, params), {"idempotency_key": idempotency_key}
        )
    return dispute_from_dict(dispute.to_dict())


def list_payment_intents(created_gte: int, created_lt: int) -> Iterator[PaymentIntent]:
    """Every PaymentIntent created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: PaymentIntentListParams = {
        "created": {"gte": created_gte, "lt": created_lt},
        "limit": 100,
    }
    with translated_errors():
        for intent in client().v1.payment_intents.list(params).auto_paging_iter():
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
    with translated_errors():
        for refund in client().v1.refunds.list(params).auto_paging_iter():
            yield refund_from_dict(refund.to_dict())


def list_disputes(created_gte: int, created_lt: int) -> Iterator[Dispute]:
    """Every dispute created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: DisputeListParams = {"created": {"gte": created_gte, "lt": created_lt}, "limit": 100}
    with translated_errors():
        for dispute in client().v1.disputes.list(params).auto_paging_iter():
            yield dispute_from_dict(dispute.to_dict())


def list_webhook_endpoints() -> list[WebhookEndpoint]:
    """The account's webhook endpoints (without their secrets)."""
    with translated_errors():
        page = client().v1.webhook_endpoints.list({"limit": 100})
    return [WebhookEndpoint(id=e.id, url=e.url) for e in page.auto_paging_iter()]


def create_webhook_endpoint(url: str, events: list[str]) -> WebhookEndpoint:
    """Register a URL for events; the returned secret is shown only this once."""
    with translated_errors():
        params = cast(WebhookEndpointCreateParams, {"url": url, "enabled_events": events})
        endpoint = client().v1.webhook_endpoints.create(params)
    data = endpoint.to_dict()
    return WebhookEndpoint(id=data["id"], url=data["url"], secret=data.get("secret"))


def delete_webhook_endpoint(endpoint_id: str) -> None:
    """Remove a webhook endpoint."""
    with translated_errors():
        client().v1.webhook_endpoints.delete(endpoint_id)


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
