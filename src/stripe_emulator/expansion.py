"""`expand[]`: which fields each object lets Stripe replace by what they name, and with what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import Ctx, public
from .errors import InvalidRequestError
from .resources import checkout_sessions

# The fields Stripe documents as expandable, per object type: ids (or null) that expansion
# replaces by their object, and `line_items`, which is shown only when expanded.
EXPANDABLE: dict[str, set[str]] = {
    "list": {"data"},
    "payment_intent": {
        "application",
        "customer",
        "invoice",
        "latest_charge",
        "on_behalf_of",
        "payment_method",
        "review",
    },
    "charge": {
        "application",
        "application_fee",
        "balance_transaction",
        "customer",
        "failure_balance_transaction",
        "invoice",
        "on_behalf_of",
        "payment_intent",
        "refunds",
        "review",
        "source_transfer",
        "transfer",
    },
    "refund": {
        "balance_transaction",
        "charge",
        "failure_balance_transaction",
        "payment_intent",
        "source_transfer_reversal",
        "transfer_reversal",
    },
    "dispute": {"charge", "payment_intent"},
    "checkout.session": {
        "customer",
        "invoice",
        "line_items",
        "payment_intent",
        "payment_link",
        "setup_intent",
        "shipping_cost",
        "shipping_options",
        "subscription",
    },
    "payment_method": {"customer"},
    # Hashes inside a Checkout Session that hold an expandable shipping rate.
    "checkout.session.shipping_cost": {"shipping_rate"},
    "checkout.session.shipping_options": {"shipping_rate"},
}
# Stripe's fee on a card charge here: 2.9% and 30 in the currency's minor unit.
FEE_RATE, FEE_FIXED = 0.029, 30
AVAILABLE_AFTER = 2 * 86_400  # seconds until a charge's funds are available


def present(ctx: Ctx, result: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The object as the API shows it, with each dotted path of `expand[]` expanded."""
    result = public(result)
    for path in paths:
        _expand(ctx, result, result.get("object", ""), path.split("."), path)
    return result


def _expand(ctx: Ctx, node: Any, kind: str, parts: list[str], path: str) -> None:
    if isinstance(node, list):  # the shipping options of a session
        for item in node:
            _expand(ctx, item, kind, parts, path)
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head not in EXPANDABLE.get(kind, ()):
        raise InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")
    inner = f"{kind}.{head}"
    if inner in EXPANDABLE:  # a hash that holds expandable fields: go into it
        value = node.get(head)
        if rest and value is not None:
            _expand(ctx, value, inner, rest, path)
        elif not rest:
            raise InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")
        return
    special = SPECIAL.get((kind, head))
    if special is not None:
        node[head] = special(ctx, node)
    elif isinstance(node.get(head), str):
        found = ctx.store.get(node[head])
        if found is None:
            raise InvalidRequestError(f"This property cannot be expanded ({path}).", param="expand")
        node[head] = public(found)
    value = node.get(head)
    if not rest or value is None:
        return
    for item in value if isinstance(value, list) else [value]:  # a list's `data`, or one object
        _expand(ctx, item, item.get("object", "") if isinstance(item, dict) else "", rest, path)


def _balance_transaction(
    ctx: Ctx, txn: str | None, source: str, created: int, amount: int, currency: str, kind: str
) -> dict[str, Any] | None:
    """The balance transaction of money moving for a charge or refund."""
    if txn is None:
        return None
    fee = round(amount * FEE_RATE) + FEE_FIXED if kind == "charge" else 0
    available_on = created + AVAILABLE_AFTER
    return {
        "id": txn,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "available" if ctx.now() >= available_on else "pending",
        "type": kind,
    }


def _charge_txn(ctx: Ctx, charge: dict[str, Any]) -> Any:
    return _balance_transaction(
        ctx,
        charge["balance_transaction"],
        charge["id"],
        charge["created"],
        charge["amount_captured"],
        charge["currency"],
        "charge",
    )


def _refund_txn(ctx: Ctx, refund: dict[str, Any]) -> Any:
    return _balance_transaction(
        ctx,
        refund["balance_transaction"],
        refund["id"],
        refund["created"],
        -refund["amount"],
        refund["currency"],
        "refund",
    )


def _refund_failure_txn(ctx: Ctx, refund: dict[str, Any]) -> Any:
    return _balance_transaction(
        ctx,
        refund.get("failure_balance_transaction"),
        refund["id"],
        refund["created"],
        refund["amount"],
        refund["currency"],
        "refund_failure",
    )


def _line_items(ctx: Ctx, session: dict[str, Any]) -> Any:
    return checkout_sessions.line_items(ctx, {}, session["id"])


# Fields whose expansion is not a stored object found by its id.
SPECIAL: dict[tuple[str, str], Callable[[Ctx, dict[str, Any]], Any]] = {
    ("charge", "balance_transaction"): _charge_txn,
    ("refund", "balance_transaction"): _refund_txn,
    ("refund", "failure_balance_transaction"): _refund_failure_txn,
    ("checkout.session", "line_items"): _line_items,
}
