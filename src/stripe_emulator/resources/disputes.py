"""Disputes: opened by the dispute test card, answered with evidence, closed won or lost through
the control API."""

from __future__ import annotations

from typing import Any

from .. import events, ids
from ..core import Ctx
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, boolean, expand, metadata, obj, string
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
# Evidence that is a file upload's id (file_...), not text.
FILE_FIELDS = frozenset(
    {
        "cancellation_policy",
        "customer_communication",
        "customer_signature",
        "duplicate_charge_documentation",
        "receipt",
        "refund_policy",
        "service_documentation",
        "shipping_documentation",
        "uncategorized_file",
    }
)
# Free text Stripe takes up to 20,000 characters of; the other fields up to 5,000.
LONG_TEXT = frozenset(
    {
        "access_activity_log",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "duplicate_charge_explanation",
        "product_description",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "uncategorized_text",
    }
)
EVIDENCE_LIMIT = 150_000  # all text evidence of one dispute together
UPDATE: Spec = {
    "evidence": obj(
        {name: string(20_000 if name in LONG_TEXT else 5000) for name in EVIDENCE_FIELDS}
    ),
    "metadata": metadata(),
    "submit": boolean(),
    "expand": expand(),
}
# A submission moves the dispute (or the inquiry before it) to the bank's review.
UNDER_REVIEW = {"needs_response": "under_review", "warning_needs_response": "warning_under_review"}


def open_for(ctx: Ctx, charge: dict[str, Any], inquiry: bool = False) -> dict[str, Any]:
    """The cardholder disputes the whole charge as fraudulent (or asks first: an inquiry)."""
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
        "status": "warning_needs_response" if inquiry else "needs_response",
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


def update(ctx: Ctx, params: dict[str, Any], dispute: str) -> dict[str, Any]:
    """POST /v1/disputes/{id}: evidence staged or submitted (the default), metadata merged."""
    found = load(ctx, "dispute", dispute, "dispute")
    evidence = params.get("evidence", {})
    submit = params.get("submit", True) and ("evidence" in params or "submit" in params)
    if evidence or submit:
        _refuse_if_answered(found)
    previous: dict[str, Any] = {}
    if evidence:
        previous["evidence"] = dict(found["evidence"])
        _stage(found, evidence)
    if "metadata" in params:
        previous["metadata"] = found["metadata"]
        merged = {**found["metadata"], **params["metadata"]} if params["metadata"] else {}
        found["metadata"] = {key: value for key, value in merged.items() if value != ""}
    details = found["evidence_details"]
    previous["evidence_details"] = dict(details)
    details["has_evidence"] = any(value is not None for value in found["evidence"].values())
    if submit:
        previous["status"] = found["status"]
        details["submission_count"] += 1
        details["past_due"] = details["due_by"] is not None and ctx.now() > details["due_by"]
        found["status"] = UNDER_REVIEW[found["status"]]
    ctx.store.put(found)
    events.emit(ctx, "charge.dispute.updated", found, _changed(previous, found))
    return found


def _changed(previous: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """Stripe's previous_attributes: only what changed, nested hashes down to their fields."""
    changed: dict[str, Any] = {}
    for key, value in previous.items():
        if key != "metadata" and isinstance(value, dict):
            inner = {name: old for name, old in value.items() if now[key].get(name) != old}
            if inner:
                changed[key] = inner
        elif now.get(key) != value:
            changed[key] = value
    return changed


def _refuse_if_answered(dispute: dict[str, Any]) -> None:
    """Evidence goes to the bank once, and never after the dispute is decided."""
    status = dispute["status"]
    if status in ("won", "lost", "warning_closed"):
        raise InvalidRequestError(
            f"This dispute is already closed ({status}); its evidence can no longer be changed."
        )
    if status not in UNDER_REVIEW:
        raise InvalidRequestError(
            f"The evidence for dispute {dispute['id']} has already been submitted and is under"
            " review; it can no longer be changed."
        )


def _stage(dispute: dict[str, Any], evidence: dict[str, str]) -> None:
    """Merge the given fields into the dispute's evidence; an empty string clears one."""
    for name, value in evidence.items():
        if name in FILE_FIELDS and value and not value.startswith("file_"):
            raise InvalidRequestError(
                f"No such file upload: '{value[:40]}'",
                code="resource_missing",
                param=f"evidence[{name}]",
            )
    merged = {**dispute["evidence"], **{k: (v or None) for k, v in evidence.items()}}
    text = sum(len(v) for k, v in merged.items() if v is not None and k not in FILE_FIELDS)
    if text > EVIDENCE_LIMIT:
        raise InvalidRequestError(
            f"The combined character count of all evidence fields is limited to"
            f" {EVIDENCE_LIMIT:,}; this evidence has {text:,}.",
            param="evidence",
        )
    dispute["evidence"] = merged


def list_disputes(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/disputes."""
    return list_object(ctx, "dispute", "/v1/disputes", params, linked(params))


ROUTES = [
    Route("GET", "/v1/disputes", list_disputes, LIST),
    Route("GET", "/v1/disputes/<dispute>", retrieve, RETRIEVE),
    Route("POST", "/v1/disputes/<dispute>", update, UPDATE),
]
