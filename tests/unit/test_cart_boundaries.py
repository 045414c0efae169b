"""The cart's quantity limit is the shop's setting, not the domain's default, whatever it is."""

from __future__ import annotations

import pytest

from bookshop import cart as carts
from bookshop.models import Book
from bookshop.orders import MAX_QUANTITY, OrderError


def a_book(stock=50):
    return Book(id=1, slug="book-1", title="Book 1", price_amount=2300, currency="sgd", stock=stock)


@pytest.mark.parametrize("limit", [3, MAX_QUANTITY + 5])
def test_setting_a_quantity_is_allowed_up_to_the_shops_limit(limit):
    assert carts.set_quantity({1: 1}, a_book(), limit, limit) == {1: limit}


@pytest.mark.parametrize("limit", [3, MAX_QUANTITY + 5])
def test_setting_a_quantity_past_the_shops_limit_is_refused(limit):
    with pytest.raises(OrderError) as refused:
        carts.set_quantity({1: 1}, a_book(), limit + 1, limit)
    assert (refused.value.message, refused.value.field) == (
        f"You can order 1 to {limit} copies.",
        "quantity",
    )


@pytest.mark.parametrize("limit", [3, MAX_QUANTITY + 5])
def test_adding_is_allowed_up_to_the_shops_limit_and_no_further(limit):
    assert carts.add({}, a_book(), limit, limit) == {1: limit}
    with pytest.raises(OrderError):
        carts.add({1: limit}, a_book(), 1, limit)


def test_a_book_not_in_the_cart_is_named_so_and_the_cart_is_unchanged():
    cart = {2: 1}
    with pytest.raises(OrderError) as refused:
        carts.set_quantity(cart, a_book(), 1, MAX_QUANTITY)
    assert (refused.value.message, refused.value.field) == ("That book is not in your cart.", None)
    assert cart == {2: 1}


def test_a_full_cart_says_so_exactly():
    full = {book_id: 1 for book_id in range(2, carts.MAX_LINES + 2)}
    with pytest.raises(OrderError) as refused:
        carts.add(full, a_book(), 1, MAX_QUANTITY)
    assert (refused.value.message, refused.value.field) == (
        "Your cart is full. Please check out or remove a book first.",
        None,
    )


def test_a_book_no_longer_sold_is_dropped_and_the_books_after_it_are_still_priced():
    book = a_book()
    priced = carts.price({99: 1, book.id: 2}, {book.id: book}, MAX_QUANTITY)
    assert [(line.book.id, line.quantity) for line in priced.lines] == [(book.id, 2)]
    assert priced.total == 2 * 2300
    assert priced.problems == ("A book in your cart is no longer sold and was removed.",)
