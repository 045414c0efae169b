"""What the Stripe-sync layer takes for the shop's own: Checkout Sessions by their id or the order
they name, and refunds only of the shop's payments, whatever their metadata says."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bookshop import orders, stripe_sync
from bookshop.models import Order, Payment
from bookshop.orders import RefundStatus
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, intent_for, new_order


@pytest.fixture
def opened(session):
    """An order with a hosted Checkout Session opened for it, and another order without one."""
    order = new_order(session, (HAMMING, 1), reference="BK-OPEN-0001")
    order.checkout_session_id = "cs_opened"
    new_order(session, (HAMMING, 1), reference="BK-NONE-0002")
    session.flush()
    return order


@pytest.mark.parametrize("reference", [None, "", "BK-NONE-0002", "BK-NOPE-9999"])
def test_a_session_opened_by_the_shop_is_its_own_whatever_reference_it_carries(
    session, opened, reference
):
    assert stripe_sync.checkout_is_ours(session, "cs_opened", reference) is True


@pytest.mark.parametrize("reference", [None, "", "BK-NOPE-9999"])
def test_an_unknown_session_naming_no_order_of_the_shop_is_not_its_own(session, opened, reference):
    assert stripe_sync.checkout_is_ours(session, "cs_elsewhere", reference) is False


def test_a_new_session_naming_an_order_of_the_shop_is_its_own(session, opened):
    # The order's latest session is another one: the session is matched by the order it names.
    assert stripe_sync.checkout_is_ours(session, "cs_newer", "BK-NONE-0002") is True


@pytest.mark.parametrize("session_id", [None, ""])
def test_an_event_naming_no_session_is_not_the_shops(session, opened, session_id):
    assert stripe_sync.checkout_is_ours(session, session_id, "BK-OPEN-0001") is False


def test_a_reference_that_is_not_text_is_ignored(session, opened):
    assert stripe_sync.checkout_is_ours(session, "cs_opened", {"reference": "x"}) is True
    assert stripe_sync.checkout_is_ours(session, "cs_elsewhere", {"reference": "x"}) is False


def test_a_refund_naming_no_payment_cannot_touch_a_ledger_row_through_its_metadata(session):
    order = new_order(session, (HAMMING, 2))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    row = orders.refund_requested(session, order, orders.plan_refund(order, None))
    session.flush()
    foreign = StripeRefund(
        id="re_foreign",
        amount=row.amount,
        currency=order.currency,
        status="succeeded",
        payment_intent=None,
        charge="ch_foreign",
        reason=None,
        metadata={"refund_id": str(row.id)},
    )

    assert stripe_sync.apply_refund(session, foreign) is None

    session.flush()
    session.refresh(row)
    assert (row.status, row.stripe_refund_id) == (RefundStatus.PENDING, None)
    assert order.status == "paid"


def test_a_payment_is_applied_as_saved_by_whoever_recorded_it_first(session):
    # This session read the order and its payment unpaid; another process has since recorded
    # the payment's success and paid the order. The same success reported here changes nothing.
    order = new_order(session, (HAMMING, 1))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    session.commit()
    assert (order.status, payment.status) == ("pending_payment", "requires_payment_method")
    session.execute(
        update(Payment.__table__)
        .where(Payment.__table__.c.id == payment.id)
        .values(status="succeeded", amount_received=order.total_amount)
    )
    session.execute(
        update(Order.__table__).where(Order.__table__.c.id == order.id).values(status="paid")
    )

    applied = stripe_sync.apply_payment_intent(session, intent_for(order, "succeeded"))

    assert applied is order
    assert (order.status, payment.status) == ("paid", "succeeded")
    assert [event.to_status for event in order.events] == ["pending_payment"]
