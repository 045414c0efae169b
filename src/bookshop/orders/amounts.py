"""Refunds of an amount rather than of books: money back without stock (a goodwill gesture, a
damaged copy the customer keeps, delivery refunded), priced against what is left to refund."""

from __future__ import annotations

from ..models import Order
from .errors import OrderError
from .ledger import RefundPlan, balance
from .statuses import REFUNDABLE, OrderStatus


def plan_amount_refund(order: Order, amount: int) -> RefundPlan:
    """A refund of `amount` minor units with no books (their stock stays sold); OrderError when
    the order cannot be refunded or the amount is not above zero and within what is left."""
    if OrderStatus(order.status) not in REFUNDABLE:
        raise OrderError("This order cannot be refunded.")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise OrderError("The amount must be more than zero.", field="amount")
    left = balance(order).refundable
    if left <= 0:
        raise OrderError("Everything in this order has already been refunded.")
    if amount > left:
        raise OrderError("That is more than is left to refund on this order.", field="amount")
    return RefundPlan(amount=amount, quantities={})
