"""Asking for money back on an order that has none to give back: refused in words the customer
sees, and nothing written to the ledger."""

import pytest

from bookshop import orders
from bookshop.models import Refund
from bookshop.orders import OrderError, OrderStatus
from shop_support import HAMMING, count, intent_for, new_order


@pytest.mark.parametrize("payment_status", [None, "requires_payment_method", "processing"])
def test_an_order_with_no_money_taken_has_no_refund_to_ask_for(session, payment_status):
    order = new_order(session, (HAMMING, 1))
    if payment_status:
        orders.payment_started(session, order, intent_for(order, payment_status))

    with pytest.raises(OrderError) as refused:
        orders.refund_requested(session, order, orders.RefundPlan(2300, {}))

    assert (refused.value.message, refused.value.field) == (
        "This order has no payment to refund.",
        None,
    )
    assert count(session, Refund) == 0
    assert order.status == OrderStatus.PENDING_PAYMENT
