"""Charges: one per payment attempt, made by PaymentIntents; retrieve and list."""

from __future__ import annotations

from typing import Any

from .. import ids
from ..cards import Outcome
from ..core import Ctx
from ..params import LIST_SPEC, Spec, expand, string
from . import Route, linked, list_object, load

RETRIEVE: Spec = {"expand": expand()}
# How long an authorization may wait for its capture: seven days for online card payments.
CAPTURE_WINDOW_SECONDS = 7 * 86_400
LIST: Spec = {**LIST_SPEC, "payment_intent": string(), "customer": string()}


def build(
    ctx: Ctx,
    payment_intent: dict[str, Any],
    payment_method: dict[str, Any],
    outcome: Outcome,
    *,
    captured: bool,
) -> dict[str, Any]:
    """The charge of one attempt to pay a PaymentIntent with a card."""
    charge_id = ids.new_id("ch")
    succeeded = outcome.decline_code is None
    card = payment_method["card"]
    created = ctx.now()
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": payment_intent["amount"],
        "amount_captured": payment_intent["amount"] if succeeded and captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": ids.new_id("txn") if succeeded and captured else None,
        "billing_details": payment_method["billing_details"],
        "calculated_statement_descriptor": "BOOKSHOP",
        "captured": succeeded and captured,
        "created": created,
        "currency": payment_intent["currency"],
        "customer": None,
        "description": payment_intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeeded else outcome.code,
        "failure_message": None if succeeded else outcome.message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(payment_intent["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": None if succeeded else outcome.decline_code,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": payment_intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": payment_intent["amount"] if succeeded else None,
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "network": card["brand"],
                "network_token": {"used": False},
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": payment_intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": f"{ctx.base_url}/_emulator/receipts/{charge_id}",
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": payment_intent["shipping"],
        "source_transfer": None,
        "statement_descriptor": payment_intent["statement_descriptor"],
        "statement_descriptor_suffix": payment_intent["statement_descriptor_suffix"],
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    if succeeded and not captured:
        details = charge["payment_method_details"]["card"]
        details["capture_before"] = created + CAPTURE_WINDOW_SECONDS
    return charge


def retrieve(ctx: Ctx, params: dict[str, Any], charge: str) -> dict[str, Any]:
    """GET /v1/charges/{id}."""
    return load(ctx, "charge", charge, "charge")


def list_charges(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/charges, optionally of one PaymentIntent."""
    return list_object(ctx, "charge", "/v1/charges", params, linked(params))


ROUTES = [
    Route("GET", "/v1/charges", list_charges, LIST),
    Route("GET", "/v1/charges/<charge>", retrieve, RETRIEVE),
]
