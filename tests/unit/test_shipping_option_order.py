"""Shipping options are offered in the shop's order: by position, and options sharing a position
in the order they were created (their id), however the database happens to store them."""

from __future__ import annotations

from sqlalchemy import func, select

from bookshop import orders
from bookshop.models import ShippingOption
from shop_support import shipping_option


def option(id: int, code: str, position: int) -> ShippingOption:
    return shipping_option(code, id=id, position=position)


def offered(session, codes):
    """The codes of these options, in the order the shop offers them."""
    return [o.code for o in orders.active_options(session) if o.code in codes]


def test_options_sharing_a_position_come_in_id_order_whatever_order_they_were_stored_in(
    session,
):
    top = session.scalar(select(func.max(ShippingOption.id))) or 0
    for row in (option(top + 3, "c", 70), option(top + 2, "b", 70), option(top + 1, "a", 70)):
        session.add(row)
        session.flush()  # stored in this order: the last id first

    assert offered(session, {"a", "b", "c"}) == ["a", "b", "c"]


def test_position_comes_before_id(session):
    top = session.scalar(select(func.max(ShippingOption.id))) or 0
    for row in (option(top + 1, "late", 90), option(top + 2, "early", 80)):
        session.add(row)
    session.flush()

    assert offered(session, {"early", "late"}) == ["early", "late"]
