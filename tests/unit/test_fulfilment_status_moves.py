"""The books' track of an order, apart from its money: the legal moves between unfulfilled, partly
shipped, shipped and delivered, each recorded on the timeline; anything else refused; and a move
another process made first winning over this one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bookshop import orders
from bookshop.models import Order, OrderEvent
from bookshop.orders import FulfilmentStatus, IllegalTransition, OrderChanged, OrderStatus
from shop_support import new_order

F = FulfilmentStatus


def books_track(session, order):
    session.flush()
    events = session.scalars(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.track == "fulfilment")
        .order_by(OrderEvent.id)
    )
    return [(e.from_status, e.to_status, e.note) for e in events]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (F.UNFULFILLED, F.PARTIALLY_SHIPPED),
        (F.UNFULFILLED, F.SHIPPED),
        (F.PARTIALLY_SHIPPED, F.PARTIALLY_SHIPPED),  # another parcel, still not everything
        (F.PARTIALLY_SHIPPED, F.SHIPPED),
        (F.SHIPPED, F.DELIVERED),
    ],
)
def test_legal_moves_of_the_books_are_recorded_on_their_track(session, start, to):
    order = new_order(session)
    order.fulfilment_status = start

    assert orders.fulfilment_transition(session, order, to, "parcel RR1") is True

    assert order.fulfilment_status == to
    assert order.status == OrderStatus.PENDING_PAYMENT  # the money's track is untouched
    assert books_track(session, order) == [(start, to, "parcel RR1")]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (F.UNFULFILLED, F.DELIVERED),
        (F.PARTIALLY_SHIPPED, F.UNFULFILLED),
        (F.PARTIALLY_SHIPPED, F.DELIVERED),
        (F.SHIPPED, F.PARTIALLY_SHIPPED),
        (F.SHIPPED, F.UNFULFILLED),
        (F.DELIVERED, F.SHIPPED),
        (F.DELIVERED, F.UNFULFILLED),
    ],
)
def test_other_moves_of_the_books_are_refused_and_change_nothing(session, start, to):
    order = new_order(session)
    order.fulfilment_status = start

    with pytest.raises(IllegalTransition) as refused:
        orders.fulfilment_transition(session, order, to, "parcel RR1")

    assert str(refused.value) == f"order {order.reference}: {start} -> {to} is not allowed"
    assert order.fulfilment_status == start
    assert books_track(session, order) == []


@pytest.mark.parametrize("status", [F.UNFULFILLED, F.SHIPPED, F.DELIVERED])
def test_moving_the_books_where_they_are_is_a_quiet_no_op(session, status):
    order = new_order(session)
    order.fulfilment_status = status

    assert orders.fulfilment_transition(session, order, status, "again") is False

    assert books_track(session, order) == []


def test_a_move_of_the_books_without_a_note_records_an_empty_one(session):
    order = new_order(session)

    orders.fulfilment_transition(session, order, F.SHIPPED)

    assert books_track(session, order) == [("unfulfilled", "shipped", "")]


def test_a_move_of_the_money_without_a_note_records_an_empty_one(session):
    order = new_order(session)

    orders.transition(session, order, OrderStatus.CANCELED)

    session.flush()
    assert [(e.to_status, e.note) for e in order.events] == [
        ("pending_payment", "placed"),
        ("canceled", ""),
    ]


def test_a_long_note_is_cut_to_the_timelines_length(session):
    order = new_order(session)

    orders.fulfilment_transition(session, order, F.SHIPPED, "n" * 600)
    orders.transition(session, order, OrderStatus.CANCELED, "m" * 600)

    session.flush()
    assert [e.note for e in order.events[1:]] == ["n" * 500, "m" * 500]


def test_a_move_of_the_books_someone_else_made_first_wins(session):
    order = new_order(session)
    session.commit()
    # Another process ships the order behind this session's back.
    session.execute(Order.__table__.update().values(fulfilment_status="shipped"))

    with pytest.raises(OrderChanged):
        orders.fulfilment_transition(session, order, F.PARTIALLY_SHIPPED, "late")

    assert order.fulfilment_status == F.SHIPPED  # read again: what the other process did
    assert books_track(session, order) == []
