"""Stock at its boundaries: exactly the copies left can be sold, one more cannot, and a book already
loaded reads the stock as it is after copies are reserved or released."""

from __future__ import annotations

import pytest

from bookshop import orders
from shop_support import HAMMING, book, new_order, stock


@pytest.mark.parametrize("left", [1, 3])
def test_exactly_the_copies_left_can_be_reserved_and_the_shelf_is_then_empty(session, left):
    book(session, HAMMING).stock = left
    session.commit()
    assert orders.reserve_stock(session, book(session, HAMMING), left) is True
    assert stock(session, HAMMING) == 0


@pytest.mark.parametrize("left", [0, 2])
def test_one_copy_more_than_is_left_cannot_be_reserved_and_nothing_is_taken(session, left):
    book(session, HAMMING).stock = left
    session.commit()
    assert orders.reserve_stock(session, book(session, HAMMING), left + 1) is False
    assert stock(session, HAMMING) == left


def test_a_loaded_book_reads_its_stock_after_copies_are_released(session):
    loaded = book(session, HAMMING)
    order = new_order(session, (HAMMING, 2))
    assert loaded.stock == 23
    orders.order_canceled(session, order, "canceled by the customer")
    assert loaded.stock == 25  # read again, not the number from before the release


def test_releasing_copies_of_a_book_put_back_on_the_shelf_adds_exactly_them(session):
    orders.release_stock(session, book(session, HAMMING).id, 3)
    assert stock(session, HAMMING) == 28
