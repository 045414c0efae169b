"""Refunds of an amount at their boundaries: one cent, exactly what is left and one cent more,
nothing left because a pending refund takes it, and what each refusal says and blames."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookshop import orders
from bookshop.orders import OrderError, RefundStatus
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, new_order, paid_order

TOTAL = 2 * 2300


def dashboard_refund(session, order, amount, status="succeeded"):
    orders.refund_updated(
        session,
        StripeRefund(
            id=f"re_{amount}_{status}",
            amount=amount,
            currency=order.currency,
            status=status,
            payment_intent=order.payments[0].payment_intent_id,
            charge="ch_1",
            reason=None,
            metadata={},
        ),
    )
    session.flush()


def refusal(order, amount):
    with pytest.raises(OrderError) as refused:
        orders.plan_amount_refund(order, amount)
    return refused.value.message, refused.value.field


@pytest.mark.parametrize("amount", [1, TOTAL - 1, TOTAL])
def test_any_amount_from_one_cent_to_everything_paid_can_be_refunded(session, amount):
    plan = orders.plan_amount_refund(paid_order(session, (HAMMING, 2)), amount)
    assert (plan.amount, dict(plan.quantities)) == (amount, {})


@pytest.mark.parametrize("amount", [0, -1, True, 1.0, "1"])
def test_an_amount_that_is_not_a_whole_number_of_cents_above_zero_is_refused(session, amount):
    assert refusal(paid_order(session, (HAMMING, 2)), amount) == (
        "The amount must be more than zero.",
        "amount",
    )


def test_one_cent_more_than_is_left_is_refused(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, 1000)
    assert orders.plan_amount_refund(order, TOTAL - 1000).amount == TOTAL - 1000
    assert refusal(order, TOTAL - 1000 + 1) == (
        "That is more than is left to refund on this order.",
        "amount",
    )


def test_the_last_cent_left_can_be_refunded(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL - 1)
    assert orders.plan_amount_refund(order, 1).amount == 1


def test_nothing_left_because_a_refund_is_pending_is_said_so(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL, status="pending")
    assert [r.status for r in order.refunds] == [RefundStatus.PENDING]
    assert order.status == "paid"  # a pending refund does not move the order
    assert refusal(order, 1) == ("Everything in this order has already been refunded.", None)


def test_an_order_that_is_not_paid_cannot_be_refunded(session):
    order = new_order(session, (HAMMING, 1))
    assert refusal(order, 1) == ("This order cannot be refunded.", None)


def test_a_fully_refunded_order_cannot_be_refunded_again(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL)
    assert order.status == "refunded"
    assert refusal(order, 1) == ("This order cannot be refunded.", None)


# --- refunds of copies: what each refusal says ---------------------------------------------------


def refusal_of_copies(order, quantities):
    with pytest.raises(OrderError) as refused:
        orders.plan_refund(order, quantities)
    return refused.value.message, refused.value.field


def test_copies_worth_more_than_is_left_after_a_dashboard_refund_are_refused(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL - 2300 + 1)  # leaves one copy's price less a cent
    line_id = order.lines[0].id
    assert refusal_of_copies(order, {line_id: 1}) == (
        "That is more than is left to refund on this order.",
        "quantity",
    )


def test_copies_worth_exactly_what_is_left_after_a_dashboard_refund_can_be_refunded(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL - 2300)
    line_id = order.lines[0].id
    assert orders.plan_refund(order, {line_id: 1}).amount == 2300


def test_everything_left_when_a_pending_refund_takes_it_all_is_refused_saying_so(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL, status="pending")
    assert refusal_of_copies(order, None) == (
        "Everything in this order has already been refunded.",
        None,
    )


# --- the refund window ----------------------------------------------------------------------------


def test_a_refund_can_be_asked_for_until_the_last_moment_of_the_window(session):
    order = paid_order(session, (HAMMING, 2))
    deadline = orders.paid_at(order) + timedelta(days=14)
    assert orders.refund_deadline(order, 14) == deadline
    assert orders.can_request_refund(order, 14, deadline) is True
    assert orders.can_request_refund(order, 14, deadline + timedelta(microseconds=1)) is False


def test_no_refund_can_be_asked_for_when_a_pending_refund_takes_everything(session):
    order = paid_order(session, (HAMMING, 2))
    dashboard_refund(session, order, TOTAL - 1, status="pending")
    now = orders.paid_at(order)
    assert orders.can_request_refund(order, 14, now) is True  # one cent is left
    dashboard_refund(session, order, 1, status="pending")
    assert orders.can_request_refund(order, 14, now) is False


def test_an_unpaid_order_has_no_refund_window(session):
    order = new_order(session, (HAMMING, 1))
    assert orders.refund_deadline(order, 14) is None
    assert orders.can_request_refund(order, 14, order.created_at) is False
