"""A refund made at Stripe's dashboard, reported to the shop: its own ledger row, on the payment
it refunds, with what Stripe says of it (amount, currency, reason)."""

import pytest
from sqlalchemy.orm import Session

from bookshop import orders
from bookshop.models import Order
from bookshop.orders import OrderError, OrderStatus, RefundStatus
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, paid_order


def dashboard_refund(order, reason, status="succeeded"):
    return StripeRefund(
        id="re_dash1",
        amount=1000,
        currency=order.currency,
        status=status,
        payment_intent=order.payments[0].payment_intent_id,
        charge="ch_1",
        reason=reason,
        metadata={},
    )


@pytest.mark.parametrize("reason", ["duplicate", "fraudulent", None])
def test_a_dashboard_refund_is_recorded_with_stripes_reason(session, reason):
    order = paid_order(session, (HAMMING, 2))

    assert orders.refund_updated(session, dashboard_refund(order, reason)) is order
    session.flush()

    [row] = order.refunds
    assert (row.stripe_refund_id, row.amount, row.currency, row.status, row.reason) == (
        "re_dash1",
        1000,
        "sgd",
        RefundStatus.SUCCEEDED,
        reason,
    )
    assert row.payment is order.payments[0]
    assert order.status == OrderStatus.PARTIALLY_REFUNDED


def test_a_pending_dashboard_refund_counts_against_what_is_left_without_moving_the_order(session):
    order = paid_order(session, (HAMMING, 2))

    orders.refund_updated(session, dashboard_refund(order, "duplicate", status="pending"))
    session.flush()

    assert [(r.status, r.reason) for r in order.refunds] == [(RefundStatus.PENDING, "duplicate")]
    assert order.status == OrderStatus.PAID
    assert orders.plan_amount_refund(order, 2 * 2300 - 1000).amount == 2 * 2300 - 1000
    with pytest.raises(OrderError, match="more than is left"):
        orders.plan_amount_refund(order, 2 * 2300 - 1000 + 1)


def test_a_refund_is_judged_on_the_order_as_saved_when_another_process_moved_it(session):
    """The order is read again once locked: a dispute recorded meanwhile elsewhere is seen."""
    order = paid_order(session, (HAMMING, 2))
    session.commit()
    with Session(session.get_bind()) as elsewhere:
        orders.transition(
            elsewhere, elsewhere.get(Order, order.id), OrderStatus.DISPUTED, "dispute dp_1"
        )
        elsewhere.commit()

    orders.refund_updated(session, dashboard_refund(order, "duplicate"))
    session.commit()

    assert order.status == OrderStatus.DISPUTED
    assert [(r.stripe_refund_id, r.status) for r in order.refunds] == [
        ("re_dash1", RefundStatus.SUCCEEDED)
    ]
