"""Card holds running out: staff see the authorized orders whose hold ends within the warning
window (two days unless told), soonest first, and no order whose money is not held by a card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bookshop import orders
from bookshop.orders import OrderStatus
from shop_support import HAMMING, intent_for, new_order

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def held_until(session, reference, ends):
    """An order whose card is held until `ends` (None: Stripe gave no end)."""
    order = new_order(session, (HAMMING, 1), reference=reference)
    payment = orders.payment_started(
        session, order, intent_for(order, "requires_payment_method", id=f"pi_{reference}")
    )
    held = intent_for(
        order,
        "requires_capture",
        id=f"pi_{reference}",
        capture_method="manual",
        amount_capturable=order.total_amount,
        capture_before=int(ends.timestamp()) if ends else None,
    )
    orders.payment_updated(session, payment, held)
    session.flush()
    return order


def running_out(session, **within):
    return [order.reference for order in orders.holds_running_out(session, NOW, **within)]


def test_holds_ending_within_two_days_are_listed_soonest_first(session):
    held_until(session, "BK-TOMORROW", NOW + timedelta(days=1))
    held_until(session, "BK-TWO-DAYS", NOW + timedelta(days=2))  # exactly at the warning's edge
    held_until(session, "BK-LATER", NOW + timedelta(days=2, seconds=1))
    held_until(session, "BK-PAST", NOW - timedelta(hours=1))  # ran out, not yet reported
    held_until(session, "BK-SOON", NOW + timedelta(hours=1))

    assert running_out(session) == ["BK-PAST", "BK-SOON", "BK-TOMORROW", "BK-TWO-DAYS"]
    assert orders.HOLD_WARNING == timedelta(days=2)


def test_the_warning_window_can_be_told(session):
    held_until(session, "BK-SOON", NOW + timedelta(hours=1))
    held_until(session, "BK-LATER", NOW + timedelta(days=5))

    assert running_out(session, within=timedelta(days=5)) == ["BK-SOON", "BK-LATER"]
    assert running_out(session, within=timedelta(0)) == []


def test_a_hold_without_an_end_is_not_listed(session):
    order = held_until(session, "BK-NO-END", None)

    assert order.status == OrderStatus.AUTHORIZED
    assert running_out(session, within=timedelta(days=3650)) == []


def test_an_order_whose_hold_was_captured_is_not_listed(session):
    order = held_until(session, "BK-SHIPPED", NOW + timedelta(days=1))
    captured = intent_for(
        order,
        "succeeded",
        id="pi_BK-SHIPPED",
        capture_before=int((NOW + timedelta(days=1)).timestamp()),
    )
    orders.payment_updated(session, order.payments[0], captured)
    session.flush()

    assert order.status == OrderStatus.PAID
    assert running_out(session) == []


def test_a_hold_reported_for_an_order_already_canceled_is_not_listed(session):
    order = new_order(session, (HAMMING, 1), reference="BK-GIVEN-UP")
    payment = orders.payment_started(
        session, order, intent_for(order, "requires_payment_method", id="pi_late")
    )
    orders.order_canceled(session, order, "canceled by the customer")
    late = intent_for(
        order,
        "requires_capture",
        id="pi_late",
        amount_capturable=order.total_amount,
        capture_before=int((NOW + timedelta(hours=1)).timestamp()),
    )
    orders.payment_updated(session, payment, late)
    session.flush()

    assert (order.status, payment.status) == (OrderStatus.CANCELED, "requires_capture")
    assert running_out(session) == []


def test_an_authorized_orders_earlier_payment_that_was_canceled_does_not_list_it(session):
    order = held_until(session, "BK-SECOND", NOW + timedelta(days=6))
    canceled = intent_for(
        order,
        "canceled",
        id="pi_first_try",
        capture_before=int((NOW + timedelta(hours=1)).timestamp()),
    )
    orders.payment_mirrored(orders.payment_started(session, order, canceled), canceled)
    session.flush()

    assert order.status == OrderStatus.AUTHORIZED
    assert running_out(session) == []
    assert running_out(session, within=timedelta(days=7)) == ["BK-SECOND"]
