"""A refund that failed after Stripe had reported it succeeded: the order goes back to what the
ledger says, its copies come off the shelf again (or staff are told they were sold meanwhile),
and the timeline names the refund."""

from __future__ import annotations

import logging

from bookshop import orders
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, book, paid_order, stock


def refund_one_copy(session, order, refund_id):
    row = orders.refund_requested(session, order, orders.plan_refund(order, {order.lines[0].id: 1}))
    report(session, order, row, refund_id, "succeeded")
    return row


def report(session, order, row, refund_id, status):
    orders.refund_updated(
        session,
        StripeRefund(
            id=refund_id,
            amount=row.amount,
            currency=order.currency,
            status=status,
            payment_intent=order.payments[0].payment_intent_id,
            charge="ch_1",
            reason=None,
            metadata={"refund_id": str(row.id)},
        ),
    )
    session.flush()


def test_the_only_refund_failing_puts_the_order_back_to_paid_and_its_copy_off_the_shelf(session):
    order = paid_order(session, (HAMMING, 2))
    row = refund_one_copy(session, order, "re_a")
    assert (order.status, stock(session, HAMMING)) == ("partially_refunded", 24)
    assert order.events[-1].note == "refund re_a succeeded"

    report(session, order, row, "re_a", "failed")

    assert order.status == "paid"
    assert order.events[-1].note == "refund re_a failed"
    assert stock(session, HAMMING) == 23


def test_one_of_two_refunds_failing_leaves_the_order_partly_refunded(session):
    order = paid_order(session, (HAMMING, 2))
    refund_one_copy(session, order, "re_a")
    second = refund_one_copy(session, order, "re_b")
    assert order.status == "refunded"

    report(session, order, second, "re_b", "failed")

    assert order.status == "partially_refunded"
    assert order.events[-1].note == "refund re_b failed"
    assert stock(session, HAMMING) == 24


def test_copies_sold_meanwhile_are_named_for_staff_and_not_oversold(session, caplog):
    order = paid_order(session, (HAMMING, 2))
    row = refund_one_copy(session, order, "re_a")
    book(session, HAMMING).stock = 0  # the copy back on the shelf was sold to someone else
    session.flush()

    with caplog.at_level(logging.ERROR):
        report(session, order, row, "re_a", "failed")

    assert stock(session, HAMMING) == 0
    assert (
        f"order {order.reference}: 1 of {HAMMING} sold meanwhile, not taken back for the "
        "failed refund" in caplog.messages
    )


def test_copies_still_on_the_shelf_are_taken_back_without_a_word_about_them(session, caplog):
    order = paid_order(session, (HAMMING, 2))
    row = refund_one_copy(session, order, "re_a")

    with caplog.at_level(logging.ERROR):
        report(session, order, row, "re_a", "failed")

    assert not [m for m in caplog.messages if "sold meanwhile" in m]


def test_a_refund_succeeding_on_a_disputed_order_is_named_for_staff_with_the_orders_state(
    session, caplog
):
    order = paid_order(session, (HAMMING, 2))
    orders.transition(session, order, orders.OrderStatus.DISPUTED, "dispute dp_1 opened")
    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {order.lines[0].id: 1}))

    with caplog.at_level(logging.WARNING):
        report(session, order, row, "re_a", "succeeded")

    assert order.status == "disputed"
    assert f"order {order.reference} is disputed: refund {row.id} recorded only" in caplog.messages
