"""A card hold for the whole order: the order is authorized, says on its timeline when the card
is charged, no longer expires, and is confirmed to the customer once."""

from datetime import timedelta

from bookshop import orders
from bookshop.models import Email, utcnow
from bookshop.orders import OrderStatus
from shop_support import count, intent_for, new_order


def test_a_hold_for_the_whole_order_authorizes_it_once_with_one_confirmation(session):
    order = new_order(session, expires_at=utcnow() + timedelta(minutes=30))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    held = intent_for(order, "requires_capture", amount_capturable=order.total_amount)

    orders.payment_updated(session, payment, held)
    orders.payment_updated(session, payment, held)
    session.flush()

    assert order.status == OrderStatus.AUTHORIZED
    assert [(e.to_status, e.note) for e in order.events] == [
        ("pending_payment", "placed"),
        ("authorized", "payment pi_unit1 authorized: charged when the books ship"),
    ]
    assert order.expires_at is None
    assert count(session, Email, Email.kind == "order_paid") == 1
