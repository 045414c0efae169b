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
