"""A canceled payment cancels its order; only a card hold that Stripe let run out is told to the
customer as a hold that expired, whatever else canceled the payment."""

import pytest

from bookshop import orders
from bookshop.models import Email
from bookshop.orders import OrderStatus
from shop_support import count, intent_for, stock


def authorize(session, order, payment):
    held = intent_for(order, "requires_capture", amount_capturable=order.total_amount)
    orders.payment_updated(session, payment, held)
    assert order.status == OrderStatus.AUTHORIZED


def cancel(session, order, payment, reason):
    orders.payment_updated(
        session, payment, intent_for(order, "canceled", cancellation_reason=reason)
    )
    session.flush()


@pytest.mark.parametrize("reason", ["automatic", "abandoned", None])
def test_an_unpaid_order_whose_payment_is_canceled_is_canceled_without_a_hold_email(
    session, order, payment, reason
):
    before = stock(session)

    cancel(session, order, payment, reason)

    assert order.status == OrderStatus.CANCELED
    assert order.events[-1].note == "payment pi_unit1 canceled"
    assert count(session, Email, Email.kind == "hold_expired") == 0
    assert stock(session) == before + 1


@pytest.mark.parametrize("reason", ["requested_by_customer", "abandoned", None])
def test_a_hold_released_by_the_shop_is_no_expired_hold(session, order, payment, reason):
    authorize(session, order, payment)

    cancel(session, order, payment, reason)

    assert order.status == OrderStatus.CANCELED
    assert order.events[-1].note == "payment pi_unit1 canceled"
    assert count(session, Email, Email.kind == "hold_expired") == 0


def test_a_hold_stripe_let_run_out_is_told_to_the_customer_once(session, order, payment):
    authorize(session, order, payment)

    cancel(session, order, payment, "automatic")
    cancel(session, order, payment, "automatic")

    assert order.status == OrderStatus.CANCELED
    assert order.events[-1].note == (
        "payment pi_unit1: the card's hold ran out before the books shipped"
    )
    assert count(session, Email, Email.kind == "hold_expired") == 1
