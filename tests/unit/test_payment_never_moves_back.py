"""A payment never moves backwards: once succeeded or canceled, an older report of it changes
nothing, whichever path brings it (return page, webhook, reconciliation, resume)."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookshop import orders, payments, reconcile, stripe_sync
from bookshop.actions import paying
from bookshop.models import Order, utcnow
from bookshop.testing import start_cart_checkout
from shop_support import HAMMING


@pytest.fixture
def order_id(client, session) -> int:
    start_cart_checkout(client, (HAMMING, 1))
    return session.scalars(select(Order.id)).one()


def the_order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def record(session, order_id, fake_stripe, status: str) -> str:
    """Stripe moves the order's PaymentIntent to `status` and the shop records it."""
    payment = the_order(session, order_id).payments[-1]
    fake_stripe.set_status(payment.payment_intent_id, status)
    orders.payment_updated(session, payment, fake_stripe.intents[payment.payment_intent_id])
    session.commit()
    return payment.payment_intent_id


def stale(fake_stripe, payment_intent_id: str, status: str = "requires_payment_method") -> None:
    """What an out-of-date read of the PaymentIntent would say."""
    intent = fake_stripe.intents[payment_intent_id]
    fake_stripe.intents[payment_intent_id] = replace(intent, status=status, amount_received=0)


def assert_still(session, order_id, payment_status: str, order_status: str) -> None:
    order = the_order(session, order_id)
    assert order.payments[0].status == payment_status
    assert order.status == order_status


def test_the_return_page_never_moves_a_succeeded_payment_back(
    client, session, fake_stripe, order_id
):
    pi = record(session, order_id, fake_stripe, "succeeded")
    stale(fake_stripe, pi)

    response = client.get(fake_stripe.return_path(pi))

    assert response.status_code == 200
    assert_still(session, order_id, "succeeded", "paid")


def test_the_sync_layer_never_moves_a_succeeded_payment_back(session, fake_stripe, order_id):
    pi = record(session, order_id, fake_stripe, "succeeded")
    stale(fake_stripe, pi, "processing")

    stripe_sync.apply_payment_intent(session, fake_stripe.intents[pi])
    session.commit()

    assert_still(session, order_id, "succeeded", "paid")


def test_reconciliation_never_moves_a_canceled_payment_back(
    session, fake_stripe, order_id, monkeypatch
):
    pi = record(session, order_id, fake_stripe, "canceled")
    stale(fake_stripe, pi)
    listed = [fake_stripe.intents[pi]]
    monkeypatch.setattr(payments, "list_payment_intents", lambda *_: iter(listed))
    monkeypatch.setattr(payments, "list_refunds", lambda *_: iter([]))
    monkeypatch.setattr(payments, "list_disputes", lambda *_: iter([]))

    report = reconcile.reconcile(session, utcnow() - timedelta(days=1), utcnow())

    # Never moved back, and the difference from what Stripe says is shown to a person.
    assert_still(session, order_id, "canceled", "canceled")
    assert [line.verdict for line in report.lines] == [reconcile.Verdict.MISMATCHED]
    assert "recorded as canceled, Stripe says requires_payment_method" in report.render()
    assert not report.ok


def test_resume_never_moves_a_canceled_payment_back(session, fake_stripe, order_id):
    # The order's only PaymentIntent was canceled at Stripe, but the order is still unpaid
    # (a replaced payment): an out-of-date read must not make it payable again.
    order = the_order(session, order_id)
    pi = order.payments[0].payment_intent_id
    order.payments[0].status = "canceled"
    session.commit()
    stale(fake_stripe, pi)

    intent = paying.resume_payment(session, the_order(session, order_id))

    assert intent.id != pi  # a new PaymentIntent, never the canceled one
    assert the_order(session, order_id).payments[0].status == "canceled"
