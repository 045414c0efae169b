"""Stripe's hosted Checkout: Checkout Sessions created, read, expired and listed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from .objects import CheckoutLine, CheckoutSession, ShippingRateData, checkout_session_from_dict
from .stripe_client import client, translated_errors

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
    with translated_errors():
        created = client().v1.checkout.sessions.create(
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
    with translated_errors():
        found = client().v1.checkout.sessions.retrieve(session_id, {"expand": _SESSION_EXPAND})
    return checkout_session_from_dict(found.to_dict())


def expire_checkout_session(session_id: str) -> CheckoutSession:
    """Close an open Checkout Session so it can never be paid (Stripe cancels its PaymentIntent);
    InvalidPaymentRequest when it is no longer open."""
    with translated_errors():
        expired = client().v1.checkout.sessions.expire(session_id, {"expand": _SESSION_EXPAND})
    return checkout_session_from_dict(expired.to_dict())


def list_checkout_sessions(created_gte: int, created_lt: int) -> Iterator[CheckoutSession]:
    """Every Checkout Session created in [created_gte, created_lt) (Unix seconds), page by page."""
    params: dict[str, Any] = {
        "created": {"gte": created_gte, "lt": created_lt},
        "limit": 100,
        "expand": [f"data.{path}" for path in _SESSION_EXPAND],
    }
    with translated_errors():
        for found in client().v1.checkout.sessions.list(cast(Any, params)).auto_paging_iter():
            yield checkout_session_from_dict(found.to_dict())
