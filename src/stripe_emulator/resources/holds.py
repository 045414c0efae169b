"""Card authorizations held for manual capture: captured in full or part, released, or expired."""

from __future__ import annotations

from typing import Any

from .. import events, ids
from ..core import Ctx
from ..errors import InvalidRequestError
from . import load, payment_flow


def capture(ctx: Ctx, pi: dict[str, Any], amount: int | None) -> None:
    """Capture amount (all that is held by default) and release the rest of the hold."""
    if pi["status"] != "requires_capture":
        raise payment_flow.unexpected_state(
            pi,
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}."
            " Only a PaymentIntent with one of the following statuses may be captured:"
            " requires_capture.",
        )
    amount = pi["amount_capturable"] if amount is None else amount
    if amount > pi["amount_capturable"]:
        raise InvalidRequestError(
            "The amount to capture must be less than or equal to the amount capturable "
            f"({pi['amount_capturable']}).",
            code="amount_too_large",
            param="amount_to_capture",
        )
    charge = load(ctx, "charge", pi["latest_charge"], "charge")
    previous = {"amount_captured": 0, "balance_transaction": None, "captured": False}
    charge.update(
        captured=True,
        amount_captured=amount,
        # What is not captured goes back to the cardholder, and counts as refunded.
        amount_refunded=charge["amount"] - amount,
        balance_transaction=ids.new_id("txn"),
    )
    ctx.store.put(charge)
    events.emit(ctx, "charge.captured", charge, previous)
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    payment_flow.move(ctx, pi, "succeeded")


def release(ctx: Ctx, pi: dict[str, Any], event_type: str) -> None:
    """The held amount goes back to the cardholder: the charge shows it refunded."""
    if pi["status"] != "requires_capture" or not pi["latest_charge"]:
        return
    charge = load(ctx, "charge", pi["latest_charge"], "charge")
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] = charge["amount"]
    charge["refunded"] = True
    ctx.store.put(charge)
    events.emit(ctx, event_type, charge, previous)


def expire(ctx: Ctx, intent: str) -> None:
    """The capture window closed with nothing captured: Stripe cancels the PaymentIntent."""
    pi = ctx.store.get(intent, "payment_intent")
    if pi is None or pi["status"] != "requires_capture":
        return  # captured or canceled in time
    release(ctx, pi, "charge.expired")
    payment_flow.cancel(ctx, pi, "automatic")
