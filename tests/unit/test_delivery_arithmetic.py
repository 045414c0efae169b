"""Shipping prices and capture arithmetic at their boundaries: free exactly from the threshold,
estimates in business days, and what shipping part of an authorized order captures and lets go."""

from __future__ import annotations

import pytest

from bookshop import orders
from bookshop.models import Order, OrderLine
from bookshop.orders import OrderError, OrderStatus
from shop_support import shipping_option


def option(amount=400, free_from=6000, min_days=2, max_days=4):
    return shipping_option(
        "sg-standard",
        name="Standard",
        amount=amount,
        free_from_amount=free_from,
        min_days=min_days,
        max_days=max_days,
    )


def order_of(*lines, status=OrderStatus.AUTHORIZED, shipping=500, fulfilment="unfulfilled"):
    """An order in memory: lines are (id, unit amount, quantity, canceled, shipped)."""
    return Order(
        reference="BK-TEST-0001",
        status=status,
        fulfilment_status=fulfilment,
        currency="sgd",
        shipping_amount=shipping,
        ship_to_name="Ada Reader",
        ship_to_line1="1 Fusionopolis Way",
        ship_to_country="SG",
        lines=[
            OrderLine(
                id=line_id,
                title=f"Book {line_id}",
                unit_amount=unit,
                quantity=quantity,
                canceled_quantity=canceled,
                shipped_quantity=shipped,
            )
            for line_id, unit, quantity, canceled, shipped in lines
        ],
    )


# --- shipping prices --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "free_from", "amount"),
    [
        (5999, 6000, 400),  # one cent short of the threshold: charged
        (6000, 6000, 0),  # exactly the threshold: free
        (6001, 6000, 0),
        (0, 0, 0),  # a threshold of zero makes it always free
        (10**9, None, 400),  # no threshold: never free
    ],
)
def test_shipping_is_free_from_its_threshold_on_and_never_without_one(items, free_from, amount):
    assert orders.quote(option(free_from=free_from), items).amount == amount


def test_a_quote_names_the_option_it_prices():
    quoted = orders.quote(option(), 100)
    assert (quoted.code, quoted.name) == ("sg-standard", "Standard")


@pytest.mark.parametrize(
    ("min_days", "max_days", "estimate"),
    [
        (1, 1, "1 business day"),
        (2, 2, "2 business days"),
        (1, 3, "1–3 business days"),
        (2, 4, "2–4 business days"),
    ],
)
def test_an_estimate_is_one_day_the_same_days_or_a_range(min_days, max_days, estimate):
    assert orders.quote(option(min_days=min_days, max_days=max_days), 0).estimate == estimate


# --- capture arithmetic -----------------------------------------------------------------------


def test_shipping_everything_captures_the_books_and_the_shipping_and_lets_nothing_go():
    order = order_of((1, 2300, 2, 0, 0), (2, 2800, 1, 0, 0), shipping=500)
    plan = orders.plan_shipment(order, None)
    assert plan == orders.ShipmentPlan(
        shipped={1: 2, 2: 1}, let_go={}, capture_amount=2 * 2300 + 2800 + 500
    )


def test_shipping_part_captures_what_ships_and_lets_the_rest_go():
    order = order_of((1, 2300, 3, 0, 0), (2, 2800, 1, 0, 0), shipping=500)
    plan = orders.plan_shipment(order, {1: 1, 2: 0})
    assert plan.shipped == {1: 1}
    assert plan.let_go == {1: 2, 2: 1}
    assert plan.capture_amount == 2300 + 500


def test_copies_canceled_or_shipped_before_are_neither_shipped_nor_let_go_again():
    # Line 1: 4 ordered, 1 canceled, 1 shipped -> 2 to ship. Line 2: all shipped.
    order = order_of((1, 1000, 4, 1, 1), (2, 2800, 2, 0, 2), shipping=0)
    assert orders.plan_shipment(order, None, capturing=True) == orders.ShipmentPlan(
        shipped={1: 2}, let_go={}, capture_amount=2000
    )
    plan = orders.plan_shipment(order, {1: 1}, capturing=True)
    assert (plan.shipped, plan.let_go, plan.capture_amount) == ({1: 1}, {1: 1}, 1000)


def test_a_paid_order_ships_without_capturing_or_letting_anything_go():
    order = order_of((1, 2300, 3, 0, 0), status=OrderStatus.PAID)
    plan = orders.plan_shipment(order, {1: 1})
    assert plan == orders.ShipmentPlan(shipped={1: 1}, let_go={}, capture_amount=None)


def test_a_shipment_said_to_capture_on_a_paid_order_prices_the_capture():
    order = order_of((1, 2300, 3, 0, 0), status=OrderStatus.PAID, shipping=400)
    assert orders.plan_shipment(order, {1: 3}, capturing=True).capture_amount == 3 * 2300 + 400


def test_an_authorized_shipment_said_not_to_capture_captures_nothing():
    order = order_of((1, 2300, 3, 0, 0))
    plan = orders.plan_shipment(order, {1: 1}, capturing=False)
    assert (plan.let_go, plan.capture_amount) == ({}, None)


@pytest.mark.parametrize("status", [OrderStatus.AUTHORIZED, OrderStatus.PAID, "partially_refunded"])
def test_every_shippable_status_can_ship(status):
    assert orders.plan_shipment(order_of((1, 100, 1, 0, 0), status=status), None).shipped == {1: 1}


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (OrderStatus.PENDING_PAYMENT, "pending payment"),
        (OrderStatus.CANCELED, "canceled"),
        (OrderStatus.REFUNDED, "refunded"),
    ],
)
def test_an_order_whose_money_is_not_held_cannot_ship(status, words):
    with pytest.raises(OrderError) as refused:
        orders.plan_shipment(order_of((1, 100, 1, 0, 0), status=status), None)
    assert refused.value.message == f"Order BK-TEST-0001 is {words}, so it cannot ship."


@pytest.mark.parametrize("fulfilment", ["shipped", "delivered"])
def test_an_order_that_shipped_cannot_ship_again(fulfilment):
    with pytest.raises(OrderError, match="has already shipped"):
        orders.plan_shipment(order_of((1, 100, 1, 0, 0), fulfilment=fulfilment), None)


def test_a_partly_shipped_order_ships_the_rest():
    order = order_of((1, 100, 2, 0, 1), fulfilment="partially_shipped")
    assert orders.plan_shipment(order, None).shipped == {1: 1}


def test_an_order_without_an_address_cannot_ship():
    order = order_of((1, 100, 1, 0, 0))
    order.ship_to_line1 = None
    with pytest.raises(OrderError, match="has no delivery address yet"):
        orders.plan_shipment(order, None)


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({1: 3}, "At most 2 of “Book 1” can ship."),  # one more than is left to ship
        ({1: -1}, "At most 2 of “Book 1” can ship."),
        ({9: 1}, "That book is not part of this order."),
        ({1: 0}, "Please choose at least one book to ship."),
        ({}, "Please choose at least one book to ship."),
    ],
)
def test_a_shipment_of_copies_not_left_to_ship_is_refused(quantities, message):
    order = order_of((1, 100, 3, 0, 1))
    with pytest.raises(OrderError) as refused:
        orders.plan_shipment(order, quantities)
    assert (refused.value.message, refused.value.field) == (message, "quantity")


def test_exactly_the_copies_left_to_ship_can_ship():
    order = order_of((1, 100, 3, 0, 1))
    assert orders.plan_shipment(order, {1: 2}).shipped == {1: 2}


def test_nothing_left_to_ship_is_refused():
    order = order_of((1, 100, 2, 1, 1), fulfilment="partially_shipped")
    with pytest.raises(OrderError, match="at least one book"):
        orders.plan_shipment(order, None)
