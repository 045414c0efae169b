"""Disputes: opened by the dispute test card, closed won or lost through the control API."""

from __future__ import annotations

from typing import Any

from .. import events, ids
from ..core import Ctx
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, expand, string
from . import Route, linked, list_object, load

RETRIEVE: Spec = {"expand": expand()}
LIST: Spec = {**LIST_SPEC, "charge": string(), "payment_intent": string()}
EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def open_for(ctx: Ctx, charge: dict[str, Any]) -> dict[str, Any]:
    """The cardholder disputes the whole charge as fraudulent."""
    dispute = {
        "id": ids.new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": charge["currency"],
        "evidence": dict.fromkeys(EVIDENCE_FIELDS),
        "evidence_details": {
            "due_by": ctx.now() + 7 * 86_400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": charge["payment_method_details"]["card"]["brand"],
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": "fraudulent",
        "status": "needs_response",
    }
    ctx.store.put(dispute)
    charge["disputed"] = True
    ctx.store.put(charge)
    events.emit(ctx, "charge.dispute.created", dispute)
    return dispute


def close(ctx: Ctx, dispute_id: str, status: str) -> dict[str, Any]:
    """Decide a dispute: won or lost."""
    if status not in ("won", "lost"):
        raise InvalidRequestError("status must be won or lost", param="status")
    dispute = load(ctx, "dispute", dispute_id, "dispute")
    if dispute["status"] in ("won", "lost"):
        raise InvalidRequestError(f"This dispute is already closed ({dispute['status']}).")
    previous = dispute["status"]
    dispute["status"] = status
    ctx.store.put(dispute)
    events.emit(ctx, "charge.dispute.closed", dispute, {"status": previous})
    return dispute


def retrieve(ctx: Ctx, params: dict[str, Any], dispute: str) -> dict[str, Any]:
    """GET /v1/disputes/{id}."""
    return load(ctx, "dispute", dispute, "dispute")


def list_disputes(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/disputes."""
    return list_object(ctx, "dispute", "/v1/disputes", params, linked(params))


ROUTES = [
    Route("GET", "/v1/disputes", list_disputes, LIST),
    Route("GET", "/v1/disputes/<dispute>", retrieve, RETRIEVE),
]
