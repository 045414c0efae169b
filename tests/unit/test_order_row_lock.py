"""Locking an order holds its row, and only its row, until the transaction ends: on PostgreSQL
another transaction's write to it waits; SQLite locks the whole database for any write."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bookshop import orders
from bookshop.extensions import db
from bookshop.models import Order
from bookshop.testing import database_kind
from shop_support import HAMMING, new_order

pytestmark = pytest.mark.skipif(
    database_kind() != "postgresql", reason="row locks: SQLite locks the whole database"
)


def write_elsewhere(order_id: int) -> None:
    """Another request's write to the order, giving up after a moment instead of waiting."""
    with Session(db.engine) as elsewhere:
        elsewhere.execute(text("SET LOCAL lock_timeout = '200ms'"))
        elsewhere.execute(update(Order).where(Order.id == order_id).values(email="x@example.com"))
        elsewhere.commit()


def test_a_locked_order_cannot_be_written_elsewhere_until_the_lock_ends(session):
    order = new_order(session, (HAMMING, 1), reference="BK-LOCK-0001")
    session.commit()

    orders.lock_order(session, order)
    with pytest.raises(OperationalError, match="lock timeout"):
        write_elsewhere(order.id)

    session.commit()
    write_elsewhere(order.id)  # the lock ended with the transaction


def test_locking_one_order_leaves_the_others_free(session):
    locked = new_order(session, (HAMMING, 1), reference="BK-LOCK-0001")
    other = new_order(session, (HAMMING, 1), reference="BK-LOCK-0002")
    session.commit()

    orders.lock_order(session, locked)

    write_elsewhere(other.id)
    session.rollback()
