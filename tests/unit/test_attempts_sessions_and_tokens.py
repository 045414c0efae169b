"""Failed payment attempts recorded once each, a hosted Checkout Session that expired or whose
payment was canceled, and order tokens only of the length the shop makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from bookshop import orders
from bookshop.models import Payment
from bookshop.orders.attempts import attempt_failed
from bookshop.payments import CheckoutSession, PaymentIntent
from shop_support import HAMMING, intent_for, new_order, stock

DECLINED = "Your card was declined."


def failed(message: str | None = DECLINED, status: str = "requires_payment_method"):
    return PaymentIntent(
        id="pi_1",
        status=status,
        amount=2300,
        amount_received=0,
        currency="sgd",
        metadata={},
        receipt_email=None,
        last_error_message=message,
    )


# --- failed attempts ----------------------------------------------------------------------------


def test_a_new_failure_is_recorded_with_its_time():
    payment = Payment()
    assert attempt_failed(payment, failed()) is True
    assert payment.failure_message == DECLINED
    assert payment.failed_at is not None


@pytest.mark.parametrize(
    "intent",
    [failed(None), failed(""), failed(status="processing"), failed(status="succeeded")],
)
def test_no_failure_is_recorded_without_a_message_or_a_payment_waiting_for_a_card(intent):
    payment = Payment()
    assert attempt_failed(payment, intent) is False
    assert (payment.failure_message, payment.failed_at) == (None, None)


def test_the_same_failure_reported_again_is_not_news():
    before = datetime(2026, 1, 1, tzinfo=UTC)
    payment = Payment(failure_message=DECLINED, failed_at=before)
    assert attempt_failed(payment, failed()) is False
    assert payment.failed_at == before


def test_another_failure_or_one_never_timed_is_news():
    before = datetime(2026, 1, 1, tzinfo=UTC)
    payment = Payment(failure_message="Insufficient funds.", failed_at=before)
    assert attempt_failed(payment, failed()) is True
    assert (payment.failure_message, payment.failed_at != before) == (DECLINED, True)
    untimed = Payment(failure_message=DECLINED, failed_at=None)
    assert attempt_failed(untimed, failed()) is True
    assert untimed.failed_at is not None


def test_a_long_message_is_kept_to_300_characters_and_is_the_same_failure_when_repeated():
    payment = Payment()
    long = "x" * 301
    assert attempt_failed(payment, failed(long)) is True
    assert payment.failure_message == "x" * 300
    assert attempt_failed(payment, failed(long)) is False


# --- hosted Checkout Sessions --------------------------------------------------------------------


def hosted_order(session):
    order = new_order(session, (HAMMING, 2))
    orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    order.checkout_session_id = "cs_1"
    session.flush()
    return order


def checkout(order, status, intent):
    return CheckoutSession(
        id="cs_1",
        status=status,
        payment_status="unpaid",
        client_reference_id=order.reference,
        currency=order.currency,
        amount_total=order.total_amount,
        expires_at=0,
        payment_intent_id=intent.id,
        intent=intent,
    )


def test_an_expired_session_whose_payment_was_canceled_expires_the_order(session):
    order = hosted_order(session)
    orders.checkout_session_updated(
        session, order, checkout(order, "expired", intent_for(order, "canceled"))
    )
    assert order.payments[0].status == "canceled"
    assert order.status == "canceled"
    assert order.events[-1].note == "expired: not paid in time"
    assert stock(session, HAMMING) == 25


def test_an_open_session_whose_payment_was_canceled_cancels_the_order_for_that_reason(session):
    order = hosted_order(session)
    orders.checkout_session_updated(
        session, order, checkout(order, "open", intent_for(order, "canceled"))
    )
    assert order.status == "canceled"
    assert order.events[-1].note == "payment pi_unit1 canceled"
    assert stock(session, HAMMING) == 25


# --- order tokens ---------------------------------------------------------------------------------


def test_an_order_is_found_by_a_token_of_64_characters(session):
    order = new_order(session, (HAMMING, 1))
    order.token = "t" * 64
    session.flush()
    assert orders.find_order_by_token(session, "t" * 64) is order


def test_a_longer_token_than_the_shop_makes_is_refused_without_asking_the_database(session):
    asked = []
    engine = session.get_bind()
    record = lambda *args: asked.append(args[2])  # noqa: E731 (the statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert orders.find_order_by_token(session, "t" * 65) is None
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert asked == []


def test_an_empty_token_finds_no_order(session):
    new_order(session, (HAMMING, 1))
    assert orders.find_order_by_token(session, "") is None
