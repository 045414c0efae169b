"""A payment that does not cover its order: never counted as paid or authorized, and what staff
are told about it names the money Stripe took or holds, against the order's total."""

import logging

import pytest

from bookshop import orders
from bookshop.orders import OrderStatus
from shop_support import intent_for


def test_a_short_hold_names_the_amount_held_on_the_card(session, order, payment):
    short = intent_for(order, "requires_capture", amount_capturable=2299, amount_received=0)

    orders.payment_updated(session, payment, short)

    assert payment.problem == (
        "Stripe reports 2299 sgd requires_capture for an order of 2300 sgd; "
        "not marked paid or authorized"
    )
    assert (order.status, payment.status) == (
        OrderStatus.PENDING_PAYMENT,
        "requires_payment_method",
    )


def test_a_short_payment_names_the_amount_taken_not_what_is_held(session, order, payment):
    short = intent_for(order, "succeeded", amount_received=2299, amount_capturable=2300)

    orders.payment_updated(session, payment, short)

    assert payment.problem == (
        "Stripe reports 2299 sgd succeeded for an order of 2300 sgd; not marked paid or authorized"
    )
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_hold_in_another_currency_names_both_currencies(session, order, payment):
    foreign = intent_for(order, "requires_capture", amount_capturable=2300, currency="usd")

    orders.payment_updated(session, payment, foreign)

    assert payment.problem == (
        "Stripe reports 2300 usd requires_capture for an order of 2300 sgd; "
        "not marked paid or authorized"
    )
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_staff_are_told_at_error_level_which_order_and_payment_is_short(
    session, order, payment, caplog
):
    with caplog.at_level(logging.INFO, logger="bookshop.orders.placing"):
        orders.payment_updated(
            session, payment, intent_for(order, "succeeded", amount_received=100)
        )

    [record] = [r for r in caplog.records if r.name == "bookshop.orders.placing"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "order BK-TEST-0001: payment pi_unit1: Stripe reports 100 sgd succeeded for an order "
        "of 2300 sgd; not marked paid or authorized"
    )


def test_the_problem_shown_to_staff_fits_its_column_whatever_stripe_sends(session, order, payment):
    odd = intent_for(order, "succeeded", amount_received=1, currency="x" * 400)

    orders.payment_updated(session, payment, odd)

    assert payment.problem == f"Stripe reports 1 {'x' * 400}"[:300]
    assert len(payment.problem) == 300


def test_a_full_payment_after_a_short_one_clears_the_problem_and_marks_the_order_paid(
    session, order, payment
):
    orders.payment_updated(session, payment, intent_for(order, "succeeded", amount_received=100))
    assert payment.problem

    orders.payment_updated(session, payment, intent_for(order, "succeeded"))

    assert payment.problem is None
    assert (order.status, payment.status) == (OrderStatus.PAID, "succeeded")


@pytest.mark.parametrize("received", [2300, 2301])
def test_a_payment_of_the_total_or_more_marks_the_order_paid(session, order, payment, received):
    orders.payment_updated(
        session, payment, intent_for(order, "succeeded", amount_received=received)
    )

    assert payment.problem is None
    assert order.status == OrderStatus.PAID
