"""Shipping in the domain: copies let go before the money is taken go back on the shelf and off
the total, a shipment records what left and how to follow it, the order's books move to partly
shipped, shipped and delivered, and the timeline says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bookshop import orders
from bookshop.models import Email
from bookshop.orders import FulfilmentStatus, OrderError, OrderStatus, ShipmentPlan
from shop_support import HAMMING, PUBLIC, intent_for, line_of, new_order, paid_order, stock

HAMMING_TITLE = "The Art of Doing Science and Engineering"
PUBLIC_TITLE = "Working in Public"


def to_singapore(order, shipping=1000):
    order.ship_to_name = "Ada Reader"
    order.ship_to_line1 = "1 Fusionopolis Way"
    order.ship_to_country = "SG"
    order.shipping_amount = shipping
    order.total_amount = order.items_amount + shipping
    return order


def authorized_order(session, *lines):
    """Two Hammings and one Public (S$74.00) with S$10.00 shipping, held on the card."""
    order = to_singapore(new_order(session, *(lines or [(HAMMING, 2), (PUBLIC, 1)])))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    held = intent_for(order, "requires_capture", amount_capturable=order.total_amount)
    orders.payment_updated(session, payment, held)
    session.flush()
    assert order.status == OrderStatus.AUTHORIZED
    return order


def paid_to_singapore(session, *lines):
    order = to_singapore(paid_order(session, *lines), shipping=0)
    session.flush()
    return order


def fulfilment_events(order):
    return [(e.from_status, e.to_status, e.note) for e in order.events if e.track == "fulfilment"]


# --- copies let go before the money is taken --------------------------------------------------


def test_copies_let_go_go_back_on_the_shelf_and_off_the_total(session):
    order = authorized_order(session)
    hamming, public = line_of(order, HAMMING), line_of(order, PUBLIC)
    before = (stock(session, HAMMING), stock(session, PUBLIC))

    orders.books_let_go(session, order, {hamming.id: 1, public.id: 1}, "out of print")
    session.flush()

    assert (hamming.canceled_quantity, public.canceled_quantity) == (1, 1)
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (before[0] + 1, before[1] + 1)
    assert order.total_amount == 2300 + 1000  # one Hamming and the shipping
    assert order.status == OrderStatus.AUTHORIZED
    assert fulfilment_events(order) == [
        ("unfulfilled", "unfulfilled", f"out of print: 1 × {HAMMING_TITLE}, 1 × {PUBLIC_TITLE}")
    ]


def test_copies_let_go_add_to_those_let_go_before(session):
    order = authorized_order(session, (HAMMING, 3))
    hamming = line_of(order, HAMMING)
    orders.books_let_go(session, order, {hamming.id: 1}, "damaged")
    before = stock(session, HAMMING)

    orders.books_let_go(session, order, {hamming.id: 2}, "customer asked")
    session.flush()

    assert hamming.canceled_quantity == 3
    assert hamming.to_ship == 0
    assert stock(session, HAMMING) == before + 2
    assert order.total_amount == 1000
    assert [note for _, _, note in fulfilment_events(order)] == [
        f"damaged: 1 × {HAMMING_TITLE}",
        f"customer asked: 2 × {HAMMING_TITLE}",
    ]


def test_lines_not_named_or_named_with_no_copies_are_left_alone(session):
    order = authorized_order(session)
    hamming, public = line_of(order, HAMMING), line_of(order, PUBLIC)
    before = stock(session, HAMMING)

    orders.books_let_go(session, order, {hamming.id: 0, public.id: 1}, "out of print")
    session.flush()

    assert (hamming.canceled_quantity, public.canceled_quantity) == (0, 1)
    assert stock(session, HAMMING) == before
    assert order.total_amount == 2 * 2300 + 1000
    assert fulfilment_events(order)[-1][2] == f"out of print: 1 × {PUBLIC_TITLE}"


def test_more_copies_than_are_left_to_ship_cannot_be_let_go(session):
    order = authorized_order(session, (HAMMING, 2))
    hamming = line_of(order, HAMMING)
    hamming.shipped_quantity = 1
    session.flush()
    before = stock(session, HAMMING)

    with pytest.raises(OrderError) as refused:
        orders.books_let_go(session, order, {hamming.id: 2}, "out of print")

    assert refused.value.message == f"At most 1 of “{HAMMING_TITLE}” can be let go."
    assert hamming.canceled_quantity == 0
    assert stock(session, HAMMING) == before
    assert fulfilment_events(order) == []


def test_a_long_reason_is_cut_to_the_timelines_length(session):
    order = authorized_order(session)

    orders.books_let_go(session, order, {line_of(order, PUBLIC).id: 1}, "x" * 600)

    assert fulfilment_events(order)[-1][2] == "x" * 500


# --- shipments --------------------------------------------------------------------------------


def ship(session, order, plan, carrier="SingPost", number="RR123456789SG", url=None):
    return orders.shipment_recorded(session, order, plan, carrier, number, url)


def test_a_shipment_records_its_copies_and_how_to_follow_them(session):
    order = paid_to_singapore(session, (HAMMING, 2), (PUBLIC, 1))

    shipment = ship(
        session, order, orders.plan_shipment(order, None), url="https://track.example/RR1"
    )

    assert (shipment.carrier, shipment.tracking_number, shipment.tracking_url) == (
        "SingPost",
        "RR123456789SG",
        "https://track.example/RR1",
    )
    assert [(sl.order_line.title, sl.quantity) for sl in shipment.lines] == [
        (HAMMING_TITLE, 2),
        (PUBLIC_TITLE, 1),
    ]
    assert order.shipments == [shipment]
    assert [line.shipped_quantity for line in order.lines] == [2, 1]
    assert order.fulfilment_status == FulfilmentStatus.SHIPPED
    assert fulfilment_events(order) == [
        ("unfulfilled", "shipped", "shipped with SingPost, RR123456789SG")
    ]


def test_the_shipped_email_names_what_left_and_how_to_follow_it(session):
    order = paid_to_singapore(session, (HAMMING, 2), (PUBLIC, 1))

    ship(session, order, orders.plan_shipment(order, {line_of(order, PUBLIC).id: 1}))

    email = session.scalars(select(Email).where(Email.kind == "order_shipped")).one()
    assert email.order_id == order.id
    assert "RR123456789SG" in email.body
    assert PUBLIC_TITLE in email.body
    assert HAMMING_TITLE not in email.body


def test_shipping_part_leaves_the_order_partly_shipped_and_the_rest_ships_later(session):
    order = paid_to_singapore(session, (HAMMING, 2), (PUBLIC, 1))
    hamming, public = line_of(order, HAMMING), line_of(order, PUBLIC)

    ship(session, order, orders.plan_shipment(order, {hamming.id: 1}))

    assert (hamming.shipped_quantity, public.shipped_quantity) == (1, 0)
    assert order.fulfilment_status == FulfilmentStatus.PARTIALLY_SHIPPED

    ship(session, order, orders.plan_shipment(order, {hamming.id: 1}), number="RR2")

    assert (hamming.shipped_quantity, public.shipped_quantity) == (2, 0)
    assert order.fulfilment_status == FulfilmentStatus.PARTIALLY_SHIPPED

    ship(session, order, orders.plan_shipment(order, None), number="RR3")

    assert (hamming.shipped_quantity, public.shipped_quantity) == (2, 1)
    assert order.fulfilment_status == FulfilmentStatus.SHIPPED
    assert [(to, note) for _, to, note in fulfilment_events(order)] == [
        ("partially_shipped", "shipped with SingPost, RR123456789SG"),
        ("partially_shipped", "shipped with SingPost, RR2"),
        ("shipped", "shipped with SingPost, RR3"),
    ]
    assert (
        session.scalars(select(Email.kind).where(Email.kind == "order_shipped")).all()
        == ["order_shipped"] * 3
    )


def test_the_last_single_copy_shipping_ships_the_order(session):
    order = paid_to_singapore(session, (HAMMING, 1))

    ship(session, order, orders.plan_shipment(order, None))

    assert order.fulfilment_status == FulfilmentStatus.SHIPPED


def test_a_shipment_that_takes_the_money_lets_go_what_it_leaves(session):
    order = authorized_order(session)
    hamming, public = line_of(order, HAMMING), line_of(order, PUBLIC)
    plan = orders.plan_shipment(order, {hamming.id: 1})
    before = stock(session, PUBLIC)

    ship(session, order, plan)
    session.flush()

    assert (hamming.canceled_quantity, hamming.shipped_quantity) == (1, 1)
    assert (public.canceled_quantity, public.shipped_quantity) == (1, 0)
    assert stock(session, PUBLIC) == before + 1
    assert order.total_amount == plan.capture_amount == 2300 + 1000
    assert order.fulfilment_status == FulfilmentStatus.SHIPPED  # nothing left to ship
    assert [note for _, _, note in fulfilment_events(order)] == [
        f"not shipped, released from the card's hold: 1 × {HAMMING_TITLE}, 1 × {PUBLIC_TITLE}",
        "shipped with SingPost, RR123456789SG",
    ]


def test_a_shipment_letting_nothing_go_keeps_every_copy(session):
    order = paid_to_singapore(session, (HAMMING, 2))
    plan = ShipmentPlan(shipped={line_of(order, HAMMING).id: 1}, let_go={}, capture_amount=None)

    ship(session, order, plan)

    assert line_of(order, HAMMING).canceled_quantity == 0
    assert order.total_amount == 4600
    assert [note for _, _, note in fulfilment_events(order)] == [
        "shipped with SingPost, RR123456789SG"
    ]


# --- delivery ---------------------------------------------------------------------------------


def test_a_shipped_order_is_delivered_on_the_timeline(session):
    order = paid_to_singapore(session, (HAMMING, 1))
    ship(session, order, orders.plan_shipment(order, None))

    orders.order_delivered(session, order)

    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert fulfilment_events(order)[-1] == ("shipped", "delivered", "delivered")


@pytest.mark.parametrize("shipped", [0, 1])
def test_an_order_not_wholly_shipped_cannot_be_delivered(session, shipped):
    order = paid_to_singapore(session, (HAMMING, 2))
    if shipped:
        ship(session, order, orders.plan_shipment(order, {line_of(order, HAMMING).id: 1}))
    before = order.fulfilment_status

    with pytest.raises(OrderError) as refused:
        orders.order_delivered(session, order)

    assert refused.value.message == (
        f"Order {order.reference} has not shipped, so it cannot be delivered."
    )
    assert order.fulfilment_status == before


def test_a_delivered_order_cannot_be_delivered_again(session):
    order = paid_to_singapore(session, (HAMMING, 1))
    ship(session, order, orders.plan_shipment(order, None))
    orders.order_delivered(session, order)

    with pytest.raises(OrderError, match="has not shipped, so it cannot be delivered"):
        orders.order_delivered(session, order)

    assert [to for _, to, _ in fulfilment_events(order)] == ["shipped", "delivered"]
