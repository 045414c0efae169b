"""Shipping options are offered in the shop's order: by position, and options sharing a position
in the order they were created (their id), however the database happens to store them."""

from __future__ import annotations

from bookshop import orders
from bookshop.models import ShippingOption


def option(id: int, code: str, position: int) -> ShippingOption:
    return ShippingOption(
        id=id,
        code=code,
        name=code.title(),
        countries="SG",
        amount=500,
        currency="sgd",
        min_days=1,
        max_days=3,
        position=position,
    )


def test_options_sharing_a_position_come_in_id_order_whatever_order_they_were_stored_in(
    session,
):
    for row in (option(903, "c", 70), option(902, "b", 70), option(901, "a", 70)):
        session.add(row)
        session.flush()  # stored in this order: the last id first

    offered = [o.code for o in orders.active_options(session) if o.id > 900]

    assert offered == ["a", "b", "c"]


def test_position_comes_before_id(session):
    for row in (option(901, "late", 90), option(902, "early", 80)):
        session.add(row)
    session.flush()

    offered = [o.code for o in orders.active_options(session) if o.id > 900]

    assert offered == ["early", "late"]
