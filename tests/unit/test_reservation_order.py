"""Copies are reserved book by book in book id order, whatever the catalog's order: every buyer of
the same books takes them in the same order, and the first book short in that order is named."""

import pytest

from bookshop import orders
from bookshop.orders import OutOfStock
from shop_support import EMAIL, HAMMING, PUBLIC, book


@pytest.mark.parametrize("lines", [[(HAMMING, 1), (PUBLIC, 1)], [(PUBLIC, 1), (HAMMING, 1)]])
def test_the_first_book_short_in_book_id_order_is_named(session, lines):
    hamming, public = book(session, HAMMING), book(session, PUBLIC)
    first, second = sorted([hamming, public], key=lambda b: b.id)
    # The catalog shows the higher id first, so its order and the id order differ.
    first.position, second.position = 2, 1
    hamming.stock = public.stock = 0
    session.commit()

    with pytest.raises(OutOfStock) as refused:
        orders.place_order(
            session,
            [orders.LineRequest(book(session, slug), n) for slug, n in lines],
            EMAIL,
            "BK-TEST-0001",
        )

    assert refused.value.message == f"Sorry, “{first.title}” is sold out."
