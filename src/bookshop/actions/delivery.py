"""Delivery at checkout: the customer chooses where and how the books go; the order's total and
its PaymentIntent (amount and shipping) follow, priced by the shop."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order, Payment
from ..orders import Address, OrderError, OrderStatus, Quote
from ..payments import PAYABLE_INTENT_STATUSES

log = logging.getLogger(__name__)


def choose_delivery(session: Session, order: Order, data: Mapping[str, Any]) -> Quote:
    """Apply the customer's choice ({option, country} while choosing, {option, address} before
    paying): the PaymentIntent is updated at Stripe first, then the order; OrderError when the
    choice is refused or the order can no longer change."""
    allowed = orders.delivery_countries(session)
    address = orders.parse_address(data["address"], allowed) if "address" in data else None
    country = address.country if address else orders.parse_country(data.get("country"), allowed)
    payment = live_payment(order)
    if order.status != OrderStatus.PENDING_PAYMENT or payment is None:
        raise OrderError("This order can no longer be changed.")
    chosen = _quote(session, order, data.get("option"), country)
    total = order.items_amount + chosen.amount
    session.commit()  # no transaction stays open across the call to Stripe
    try:
        intent = payments.update_payment_intent(
            payment.payment_intent_id, total, shipping_of(address)
        )
    except payments.InvalidPaymentRequest as exc:
        log.warning("order %s: delivery not applied at Stripe: %s", order.reference, exc)
        raise OrderError("This order can no longer be changed.") from None
    orders.lock_order(session, order)
    chosen = orders.delivery_chosen(session, order, data.get("option"), country, address)
    orders.payment_mirrored(payment, intent)
    session.commit()
    if order.total_amount != total:
        # Another tab chose differently at the same moment: Stripe follows the order.
        payments.update_payment_intent(
            payment.payment_intent_id, order.total_amount, shipping_of(orders.address_of(order))
        )
    return chosen


def live_payment(order: Order) -> Payment | None:
    """The order's PaymentIntent the customer can still pay, if any."""
    current = order.payments[-1] if order.payments else None
    return current if current and current.status in PAYABLE_INTENT_STATUSES else None


def shipping_of(address: Address | None) -> dict[str, Any] | None:
    """Stripe's `shipping` hash for an address (empty parts left out)."""
    if address is None:
        return None
    parts = {
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }
    return {
        "name": address.name,
        "phone": address.phone,
        "address": {name: value for name, value in parts.items() if value},
    }


def _quote(session: Session, order: Order, option: object, country: str) -> Quote:
    offered = orders.quotes_for(session, country, order.items_amount, order.currency)
    if not offered:
        raise OrderError("Sorry, we do not deliver to that country.", field="country")
    for quote in offered:
        if quote.code == option:
            return quote
    raise OrderError("Please choose a delivery option offered for this address.", "shipping")
