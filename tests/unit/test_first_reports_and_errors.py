"""A dispute as first reported is recorded whole, and the words a customer sees when their order
changed meanwhile."""

from __future__ import annotations

from sqlalchemy import select

from bookshop import orders
from bookshop.models import Dispute
from bookshop.orders import OrderChanged
from bookshop.payments import Dispute as StripeDispute
from shop_support import HAMMING, intent_for, new_order


def test_a_dispute_first_reported_is_recorded_with_its_reason_amount_and_status(session):
    order = new_order(session, (HAMMING, 1))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    orders.dispute_updated(
        session,
        StripeDispute(
            id="dp_first",
            amount=1500,
            currency=order.currency,
            status="needs_response",
            reason="product_not_received",
            payment_intent=payment.payment_intent_id,
            charge="ch_1",
        ),
    )
    session.flush()
    row = session.scalars(select(Dispute)).one()
    assert (row.stripe_dispute_id, row.amount, row.reason, row.status) == (
        "dp_first",
        1500,
        "product_not_received",
        "needs_response",
    )


def test_an_order_that_changed_meanwhile_says_so_and_blames_no_field():
    changed = OrderChanged()
    assert (changed.message, changed.field) == (
        "This order changed meanwhile. Please look again.",
        None,
    )
    assert str(changed) == "This order changed meanwhile. Please look again."
