"""Order statuses, their one transition function, and the domain actions."""

import pytest
from sqlalchemy import select

from bookshop import orders
from bookshop.models import OrderEvent
from bookshop.orders import IllegalTransition, OrderError, OrderStatus
from shop_support import PUBLIC, intent_for, new_order

S = OrderStatus


def timeline(session, order):
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    )
    return [(e.from_status, e.to_status) for e in events]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.PENDING_PAYMENT, S.PROCESSING),
        (S.PENDING_PAYMENT, S.PAID),
        (S.PENDING_PAYMENT, S.CANCELED),
        (S.PROCESSING, S.PAID),
        (S.PROCESSING, S.PENDING_PAYMENT),
        (S.PAID, S.REFUNDED),
        (S.PAID, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.REFUNDED),
        (S.PAID, S.DISPUTED),
        (S.PARTIALLY_REFUNDED, S.DISPUTED),
        (S.DISPUTED, S.WON),
        (S.DISPUTED, S.LOST),
        (S.PROCESSING, S.CANCELED),
        (S.PENDING_PAYMENT, S.AUTHORIZED),
        (S.PROCESSING, S.AUTHORIZED),
        (S.AUTHORIZED, S.PAID),
        (S.AUTHORIZED, S.CANCELED),
        # A refund that fails after succeeding: back to what the ledger says.
        (S.REFUNDED, S.PAID),
        (S.REFUNDED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.PAID),
    ],
)
def test_legal_moves_change_the_status_and_are_recorded(session, start, to):
    order = new_order(session)
    order.status = start
    assert orders.transition(session, order, to, "because") is True
    session.flush()
    assert order.status == to
    assert timeline(session, order)[-1] == (start, to)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.PAID, S.PENDING_PAYMENT),
        (S.PAID, S.CANCELED),
        (S.CANCELED, S.PAID),
        (S.AUTHORIZED, S.PENDING_PAYMENT),
        (S.AUTHORIZED, S.REFUNDED),
        (S.REFUNDED, S.CANCELED),
        (S.PENDING_PAYMENT, S.REFUNDED),
        (S.CANCELED, S.PENDING_PAYMENT),
        (S.PENDING_PAYMENT, S.DISPUTED),
        (S.REFUNDED, S.DISPUTED),
        (S.CANCELED, S.DISPUTED),
        (S.DISPUTED, S.PAID),
        (S.DISPUTED, S.REFUNDED),
        (S.WON, S.PAID),
        (S.WON, S.LOST),
        (S.LOST, S.WON),
        (S.LOST, S.REFUNDED),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(session, start, to):
    order = new_order(session)
    order.status = start
    with pytest.raises(IllegalTransition):
        orders.transition(session, order, to)
    assert order.status == start


def test_every_status_has_a_rule():
    assert set(orders.TRANSITIONS) == set(OrderStatus)


def test_moving_to_the_current_status_is_a_quiet_no_op(session):
    order = new_order(session)
    assert orders.transition(session, order, S.PENDING_PAYMENT) is False
    session.flush()
    assert timeline(session, order) == [(None, "pending_payment")]


def test_placing_an_order_prices_it_from_the_catalog(session):
    order = new_order(session, (PUBLIC, 2))
    assert order.total_amount == 5600
    assert order.currency == "sgd"
    assert [(line.title, line.unit_amount, line.quantity) for line in order.lines] == [
        ("Working in Public", 2800, 2)
    ]
    assert order.status == S.PENDING_PAYMENT
    assert timeline(session, order) == [(None, "pending_payment")]


def test_an_empty_order_is_refused(session):
    with pytest.raises(OrderError):
        orders.place_order(session, [], "reader@example.com", "BK-EMPT-Y000")


@pytest.mark.parametrize("raw", [None, "", "nobody", "a@b", "a b@c.de", 42, "x" * 250 + "@a.io"])
def test_emails_that_cannot_receive_a_receipt_are_refused(raw):
    with pytest.raises(OrderError) as caught:
        orders.normalise_email(raw)
    assert caught.value.field == "email"


def test_emails_are_trimmed():
    assert orders.normalise_email("  reader@example.com ") == "reader@example.com"


@pytest.mark.parametrize(("raw", "quantity"), [(None, 1), (1, 1), ("3", 3), (10, 10)])
def test_quantities_from_one_to_ten_are_accepted(raw, quantity):
    assert orders.parse_quantity(raw) == quantity


@pytest.mark.parametrize("raw", [0, -1, 11, "two", 1.5, True, [], {}])
def test_other_quantities_are_refused(raw):
    with pytest.raises(OrderError):
        orders.parse_quantity(raw)


def test_a_succeeded_payment_marks_the_order_paid_once(session):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    session.flush()
    assert order.status == S.PAID
    assert payment.status == "succeeded"
    assert payment.amount_received == 2300
    assert timeline(session, order) == [(None, "pending_payment"), ("pending_payment", "paid")]


def test_a_short_payment_never_marks_the_order_paid(session, caplog):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded", amount_received=100))
    assert order.status == S.PENDING_PAYMENT
    assert "not marked paid" in caplog.text


def test_a_payment_in_another_currency_never_marks_the_order_paid(session):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded", currency="usd"))
    assert order.status == S.PENDING_PAYMENT


def test_processing_then_failure_returns_the_order_to_pending_payment(session):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "processing"))
    assert order.status == S.PROCESSING
    orders.payment_updated(session, payment, intent_for(order, "requires_payment_method"))
    assert order.status == S.PENDING_PAYMENT


def test_a_canceled_payment_cancels_an_unpaid_order(session):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "canceled"))
    assert order.status == S.CANCELED


def test_a_late_failure_after_payment_does_not_unpay_the_order(session):
    order = new_order(session)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    orders.payment_updated(session, payment, intent_for(order, "requires_payment_method"))
    assert order.status == S.PAID


def test_references_are_short_unambiguous_and_unique():
    references = {orders.new_reference() for _ in range(500)}
    assert len(references) == 500
    for reference in references:
        assert len(reference) == 12 and reference.startswith("BK-")
        assert not set(reference[3:]) & set("01IO")
