"""Stripe's news of a payment mirrored onto the shop's records: the amounts and the card hold's
end as Stripe has them, each move on the order's timeline in words staff can read, an out-of-date
report set aside with a note, and the order read as saved once it is locked."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bookshop import orders
from bookshop.models import Order, utcnow
from bookshop.orders import OrderStatus
from shop_support import intent_for, new_order

HOLD_ENDS = 1_900_000_000  # Unix seconds


@pytest.fixture
def order(session):
    return new_order(session, expires_at=utcnow() + timedelta(minutes=30))


def notes(order):
    return [(e.to_status, e.note) for e in order.events]


def test_an_order_placed_without_saying_is_charged_at_once(order):
    assert order.capture_method == "automatic"


def test_processing_then_failing_is_noted_on_the_timeline(session, order, payment):
    orders.payment_updated(session, payment, intent_for(order, "processing"))
    orders.payment_updated(session, payment, intent_for(order, "requires_payment_method"))
    session.flush()

    assert notes(order) == [
        ("pending_payment", "placed"),
        ("processing", "payment pi_unit1 processing"),
        ("pending_payment", "payment pi_unit1 failed"),
    ]


def test_a_payment_that_succeeds_is_noted_and_the_order_no_longer_expires(session, order, payment):
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    session.flush()

    assert notes(order)[-1] == ("paid", "payment pi_unit1 succeeded")
    assert order.expires_at is None


def test_a_hold_is_mirrored_with_what_is_held_and_when_the_hold_ends(session, order, payment):
    held = intent_for(
        order,
        "requires_capture",
        amount_capturable=order.total_amount,
        capture_before=HOLD_ENDS,
    )

    orders.payment_updated(session, payment, held)

    assert (payment.status, payment.amount, payment.amount_received) == (
        "requires_capture",
        2300,
        0,
    )
    assert payment.amount_capturable == 2300
    assert payment.capture_before == datetime.fromtimestamp(HOLD_ENDS, UTC)


def test_a_captured_hold_is_noted_as_captured_with_nothing_left_held(session, order, payment):
    held = intent_for(
        order, "requires_capture", amount_capturable=order.total_amount, capture_before=HOLD_ENDS
    )
    orders.payment_updated(session, payment, held)

    captured = intent_for(order, "succeeded", amount_capturable=0, capture_before=None)
    orders.payment_updated(session, payment, captured)
    session.flush()

    assert notes(order)[-1] == ("paid", "payment pi_unit1 captured")
    assert (payment.amount_received, payment.amount_capturable) == (2300, 0)
    assert payment.capture_before == datetime.fromtimestamp(HOLD_ENDS, UTC)


def test_the_amount_asked_for_follows_stripe_while_unpaid(session, order, payment):
    orders.payment_updated(
        session, payment, intent_for(order, "requires_payment_method", amount=2800)
    )
    assert payment.amount == 2800


def test_an_out_of_date_report_is_set_aside_with_a_note(session, order, payment, caplog):
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))

    with caplog.at_level(logging.INFO, logger="bookshop.orders.placing"):
        orders.payment_updated(session, payment, intent_for(order, "processing"))

    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "payment pi_unit1 is succeeded; processing is out of date")
    ]
    assert (payment.status, order.status) == ("succeeded", OrderStatus.PAID)


def test_a_payment_is_judged_on_the_order_as_saved_when_another_process_moved_it(
    session, order, payment, caplog
):
    """The order is read again once locked: a cancelation recorded meanwhile elsewhere is seen,
    and money arriving after it raises the alarm instead of marking the order paid."""
    session.commit()
    with Session(session.get_bind()) as elsewhere:
        orders.order_expired(elsewhere, elsewhere.get(Order, order.id))
        elsewhere.commit()

    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    session.commit()

    assert order.status == OrderStatus.CANCELED
    assert "order BK-TEST-0001: payment pi_unit1 succeeded after cancel" in caplog.text


@pytest.mark.parametrize(
    ("new_status", "stale_status", "order_status"),
    [
        ("requires_payment_method", "processing", OrderStatus.PENDING_PAYMENT),
        ("processing", "requires_payment_method", OrderStatus.PROCESSING),
    ],
)
def test_an_out_of_date_report_of_a_replaced_payment_does_not_move_the_order(
    session, order, payment, new_status, stale_status, order_status
):
    newer = orders.payment_started(
        session, order, intent_for(order, "requires_payment_method", id="pi_unit2")
    )
    orders.payment_updated(session, payment, intent_for(order, "canceled"))
    orders.payment_updated(session, newer, intent_for(order, new_status, id="pi_unit2"))
    assert order.status == order_status

    orders.payment_updated(session, payment, intent_for(order, stale_status))

    assert order.status == order_status
    assert (payment.status, newer.status) == ("canceled", new_status)


def test_a_payment_first_learned_with_money_taken_records_what_was_received(session, order):
    """A Checkout Session can make its PaymentIntent and take the money before the shop hears."""
    short = intent_for(order, "succeeded", amount_received=2000)

    payment = orders.payment_started(session, order, short)
    session.flush()
    session.expire(payment)

    assert (payment.status, payment.amount, payment.amount_received) == ("succeeded", 2300, 2000)
