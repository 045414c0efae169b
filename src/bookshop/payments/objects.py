"""Stripe's objects as plain values, and Stripe's status words: one enum per object type.

Nothing here talks to Stripe; the domain and the sync layer read these values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import GENERIC_DECLINE, InvalidWebhook

_CLIENT_SECRET = re.compile(r"\b((?:pi|seti|cs)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+")


class IntentStatus(StrEnum):
    """A PaymentIntent's status, as Stripe names it."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"  # new, or the last attempt failed
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"  # e.g. 3-D Secure in the customer's browser
    PROCESSING = "processing"  # submitted; the bank has not confirmed yet
    REQUIRES_CAPTURE = "requires_capture"  # authorized; money held until captured
    CANCELED = "canceled"  # final: can never take money
    SUCCEEDED = "succeeded"  # final: the money was received


# Statuses Stripe never leaves: a report of one is true whenever it arrives.
FINAL_INTENT_STATUSES = frozenset({IntentStatus.SUCCEEDED, IntentStatus.CANCELED})
# Statuses in which the customer can still pay the PaymentIntent.
PAYABLE_INTENT_STATUSES = frozenset(
    {
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        IntentStatus.REQUIRES_CONFIRMATION,
        IntentStatus.REQUIRES_ACTION,
    }
)


class StripeRefundStatus(StrEnum):
    """A Refund's status, as Stripe names it."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class DisputeStatus(StrEnum):
    """A Dispute's status, as Stripe names it."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"  # an inquiry, not yet a dispute
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"  # the inquiry ended without becoming a dispute
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


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
    capture_method: str = "automatic"  # "manual": authorized first, captured later
    amount_capturable: int = 0  # held on the card, not yet captured
    capture_before: int | None = None  # Unix seconds: when the card's hold runs out
    cancellation_reason: str | None = None  # "automatic": Stripe canceled it (the hold expired)


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
    evidence_due_by: int | None = None  # Unix seconds: the last moment to answer
    evidence_submitted: bool = False  # evidence went to the bank (submission_count > 0)


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


def refund_from_dict(data: Mapping[str, Any]) -> Refund:
    """A Refund from Stripe's JSON (an API answer or a webhook's data.object)."""
    return Refund(
        id=data["id"],
        amount=data["amount"],
        currency=data["currency"],
        status=data.get("status") or "pending",
        payment_intent=id_of(data.get("payment_intent")),
        charge=id_of(data.get("charge")),
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
        payment_intent=id_of(data.get("payment_intent")),
        charge=id_of(data.get("charge")),
        evidence_due_by=(data.get("evidence_details") or {}).get("due_by"),
        evidence_submitted=bool((data.get("evidence_details") or {}).get("submission_count")),
    )


def id_of(value: Any) -> str | None:
    """The id of an expandable field: an id, an expanded object, or null."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None


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
        capture_method=intent.get("capture_method") or "automatic",
        amount_capturable=intent.get("amount_capturable") or 0,
        capture_before=_capture_before(intent.get("latest_charge")),
        cancellation_reason=intent.get("cancellation_reason"),
    )


def _capture_before(charge: Any) -> int | None:
    # Only an expanded charge says when an authorization runs out.
    if not isinstance(charge, Mapping):
        return None
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    value = card.get("capture_before")
    return int(value) if value else None


def _safe_error_message(error: Mapping[str, Any]) -> str:
    # Card errors carry a message written for customers; anything else gets our own words.
    if error.get("type") == "card_error" and error.get("message"):
        return str(error["message"])
    return GENERIC_DECLINE


def without_client_secrets(payload: str) -> str:
    """A Stripe payload with every client secret masked, fit to store or log: a client secret
    lets a browser confirm a payment, so it never rests anywhere but at Stripe."""
    return _CLIENT_SECRET.sub(r"\1_secret_***", payload)


class CheckoutStatus(StrEnum):
    """A Checkout Session's status, as Stripe names it."""

    OPEN = "open"  # the customer can still pay on Stripe's page
    COMPLETE = "complete"  # paid, or paid by a method that settles later (payment_status unpaid)
    EXPIRED = "expired"  # final: can never be paid


@dataclass(frozen=True)
class CheckoutLine:
    """One line a Checkout Session charges for, priced by the shop."""

    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class ShippingRateData:
    """A delivery option offered on Stripe's page; `code` comes back in the rate's metadata."""

    code: str
    name: str
    amount: int
    min_days: int
    max_days: int


@dataclass(frozen=True)
class ShippingDetails:
    """Where the customer asked Stripe's page to send the books (Stripe's words, unchecked)."""

    name: str
    phone: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class ChosenShipping:
    """The delivery option the customer chose on Stripe's page, and what it charged."""

    rate_id: str
    amount: int
    name: str = ""  # known when the rate was expanded
    code: str | None = None  # the shop's option code, from the rate's metadata


@dataclass(frozen=True)
class CheckoutSession:
    """The parts of a Stripe Checkout Session the shop uses."""

    id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    client_reference_id: str | None
    currency: str
    amount_total: int
    expires_at: int  # Unix seconds
    url: str | None = field(default=None, repr=False)  # Stripe's page, while the session is open
    payment_intent_id: str | None = None
    intent: PaymentIntent | None = None  # when the PaymentIntent was expanded
    shipping: ShippingDetails | None = None
    chosen_shipping: ChosenShipping | None = None
    created: int = 0


def checkout_session_from_dict(data: Mapping[str, Any]) -> CheckoutSession:
    """A Checkout Session from Stripe's JSON (an API answer or a webhook's data.object)."""
    intent = data.get("payment_intent")
    return CheckoutSession(
        id=data["id"],
        status=data.get("status") or CheckoutStatus.OPEN,
        payment_status=data.get("payment_status") or "unpaid",
        client_reference_id=data.get("client_reference_id"),
        currency=data["currency"],
        amount_total=data.get("amount_total") or 0,
        expires_at=int(data.get("expires_at") or 0),
        url=data.get("url"),
        payment_intent_id=id_of(intent),
        intent=payment_intent_from_dict(intent) if isinstance(intent, Mapping) else None,
        shipping=_shipping_details(data),
        chosen_shipping=_chosen_shipping(data.get("shipping_cost")),
        created=int(data.get("created") or 0),
    )


def _shipping_details(data: Mapping[str, Any]) -> ShippingDetails | None:
    # Newer API versions move it under collected_information; older ones keep shipping_details.
    collected = (data.get("collected_information") or {}).get("shipping_details")
    details = collected or data.get("shipping_details")
    if not isinstance(details, Mapping) or not isinstance(details.get("address"), Mapping):
        return None
    address = details["address"]
    phone = (data.get("customer_details") or {}).get("phone")
    return ShippingDetails(
        name=str(details.get("name") or ""),
        phone=str(phone or ""),
        **{part: str(address.get(part) or "") for part in _ADDRESS_PARTS},
    )


_ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


def _chosen_shipping(cost: Any) -> ChosenShipping | None:
    if not isinstance(cost, Mapping) or not cost.get("shipping_rate"):
        return None
    rate = cost["shipping_rate"]
    if not isinstance(rate, Mapping):
        return ChosenShipping(rate_id=str(rate), amount=int(cost.get("amount_total") or 0))
    return ChosenShipping(
        rate_id=str(rate["id"]),
        amount=int(cost.get("amount_total") or 0),
        name=str(rate.get("display_name") or ""),
        code=(rate.get("metadata") or {}).get("option"),
    )
