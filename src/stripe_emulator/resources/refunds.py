"""Refunds of succeeded charges, never more than what is left."""

from __future__ import annotations

from typing import Any

from .. import cards, currencies, events, ids, jobs
from ..core import Ctx
from ..errors import InvalidRequestError
from ..params import LIST_SPEC, Spec, enum, expand, integer, metadata, string
from . import Route, linked, list_object, load, payment_methods

CREATE: Spec = {
    "payment_intent": string(),
    "charge": string(),
    "amount": integer(1),
    "reason": enum("duplicate", "fraudulent", "requested_by_customer"),
    "metadata": metadata(),
    "expand": expand(),
}
UPDATE: Spec = {"metadata": metadata(), "expand": expand()}
RETRIEVE: Spec = {"expand": expand()}
LIST: Spec = {**LIST_SPEC, "payment_intent": string(), "charge": string()}
# How long a refund of the refund-failure test card stays succeeded before it fails.
FAILURE_DELAY_SECONDS = 0.5


def _charge_to_refund(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    if ("charge" in params) == ("payment_intent" in params):
        raise InvalidRequestError(
            "You must pass either a charge or a payment_intent, but not both.",
            param="payment_intent" if "charge" in params else "charge",
        )
    if "charge" in params:
        return load(ctx, "charge", params["charge"], "charge", "charge")
    pi = load(ctx, "payment_intent", params["payment_intent"], "payment_intent", "payment_intent")
    if pi["status"] != "succeeded" or not pi["latest_charge"]:
        raise InvalidRequestError(
            f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
            code="charge_not_refundable" if pi["status"] != "succeeded" else None,
            param="payment_intent",
        )
    return load(ctx, "charge", pi["latest_charge"], "charge")


def _apply_to_charge(ctx: Ctx, charge: dict[str, Any], delta: int) -> dict[str, Any]:
    """Move the charge's refunded amount; returns the previous attributes."""
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += delta
    # A partial capture already counts its released part as refunded.
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    # The charge embeds its first page of refunds, newest first, as Stripe lists them.
    refunds, has_more = ctx.store.page("refund", limit=10, where={"charge": charge["id"]})
    charge["refunds"]["data"] = refunds
    charge["refunds"]["has_more"] = has_more
    ctx.store.put(charge)
    return previous


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/refunds."""
    charge = _charge_to_refund(ctx, params)
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise InvalidRequestError(
            f"Charge {charge['id']} has not been captured and cannot be refunded.",
            code="charge_not_refundable",
        )
    if charge["disputed"]:
        raise InvalidRequestError(
            f"Charge {charge['id']} has been charged back; it cannot be refunded.",
            code="charge_disputed",
        )
    left = charge["amount"] - charge["amount_refunded"]
    if left <= 0:
        raise InvalidRequestError(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
        )
    amount = params.get("amount", left)
    if amount > left:
        currency = charge["currency"]
        raise InvalidRequestError(
            f"Refund amount ({currencies.display(amount, currency)}) is greater than unrefunded"
            f" amount on charge ({currencies.display(left, currency)})",
            code="amount_too_large",
            param="amount",
        )
    refund = {
        "id": ids.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ids.new_id("txn"),
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": charge["currency"],
        "destination_details": {
            "card": {"reference_status": "pending", "type": "refund"},
            "type": "card",
        },
        "metadata": params.get("metadata", {}),
        "payment_intent": charge["payment_intent"],
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.store.put(refund)
    previous = _apply_to_charge(ctx, charge, amount)
    events.emit(ctx, "refund.created", refund)
    events.emit(ctx, "charge.refunded", charge, previous)
    payment_method = ctx.store.get(charge["payment_method"], "payment_method")
    if payment_method and cards.outcome(payment_methods.card_number(payment_method)).refund_fails:
        jobs.schedule(ctx, jobs.FAIL_REFUND, refund["id"], FAILURE_DELAY_SECONDS)
    return refund


def fail(ctx: Ctx, refund_id: str) -> None:
    """The refund-failure test card: the refund fails a moment after it succeeded."""
    refund = ctx.store.get(refund_id, "refund")
    if refund is None or refund["status"] != "succeeded":
        return
    refund["status"] = "failed"
    refund["failure_reason"] = "expired_or_canceled_card"
    refund["failure_balance_transaction"] = ids.new_id("txn")
    ctx.store.put(refund)
    charge = load(ctx, "charge", refund["charge"], "charge")
    _apply_to_charge(ctx, charge, -refund["amount"])
    events.emit(ctx, "refund.updated", refund, {"status": "succeeded"})
    events.emit(ctx, "refund.failed", refund)


def retrieve(ctx: Ctx, params: dict[str, Any], refund: str) -> dict[str, Any]:
    """GET /v1/refunds/{id}."""
    return load(ctx, "refund", refund, "refund")


def update(ctx: Ctx, params: dict[str, Any], refund: str) -> dict[str, Any]:
    """POST /v1/refunds/{id}: metadata only, as Stripe allows."""
    found = load(ctx, "refund", refund, "refund")
    if "metadata" in params:
        merged = {**found["metadata"], **params["metadata"]} if params["metadata"] else {}
        found["metadata"] = {key: value for key, value in merged.items() if value != ""}
    ctx.store.put(found)
    events.emit(ctx, "refund.updated", found)
    return found


def list_refunds(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/refunds, optionally of one charge or PaymentIntent."""
    return list_object(ctx, "refund", "/v1/refunds", params, linked(params))


ROUTES = [
    Route("POST", "/v1/refunds", create, CREATE),
    Route("GET", "/v1/refunds", list_refunds, LIST),
    Route("GET", "/v1/refunds/<refund>", retrieve, RETRIEVE),
    Route("POST", "/v1/refunds/<refund>", update, UPDATE),
]
