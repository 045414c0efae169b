"""The cart at its limits: exactly the stock left, exactly the quantity limit, a sold-out book, the
most lines a cart holds, mixed currencies, and what the session may hold."""

import pytest

from bookshop import cart as carts
from bookshop.models import Book
from bookshop.orders import LineRequest, OrderError

LIMIT = 10


def a_book(book_id=1, stock=5, price=2300, currency="sgd", position=0, title=None):
    return Book(
        id=book_id,
        slug=f"book-{book_id}",
        title=title or f"Book {book_id}",
        price_amount=price,
        currency=currency,
        position=position,
        stock=stock,
    )


def priced(*entries, limit=LIMIT):
    """The cart priced for (book, quantity) entries."""
    return carts.price(
        {book.id: quantity for book, quantity in entries},
        {book.id: book for book, _ in entries},
        limit,
    )


# --- stock and the quantity limit when pricing -------------------------------------------------


@pytest.mark.parametrize(
    ("stock", "quantity", "problem"),
    [
        (3, 3, None),
        (3, 2, None),
        (3, 4, "Only 3 copies are left of “Book 1”."),
        (1, 2, "Only 1 copy is left of “Book 1”."),
        (0, 1, "Sorry, “Book 1” is sold out. Please remove it."),
        (-1, 1, "Sorry, “Book 1” is sold out. Please remove it."),
        (20, LIMIT, None),
        (20, LIMIT + 1, f"You can order at most {LIMIT} copies of “Book 1”."),
    ],
)
def test_a_line_is_a_problem_only_past_the_stock_or_the_limit(stock, quantity, problem):
    cart = priced((a_book(stock=stock), quantity))
    assert [line.problem for line in cart.lines] == [problem]
    assert cart.problems == ((problem,) if problem else ())
    assert cart.can_check_out is (problem is None)


def test_a_book_no_longer_sold_is_dropped_with_a_word():
    kept = a_book(1)
    cart = carts.price({1: 2, 99: 1}, {1: kept}, LIMIT)
    assert [(line.book.id, line.quantity) for line in cart.lines] == [(1, 2)]
    assert cart.problems == ("A book in your cart is no longer sold and was removed.",)
    assert not cart.can_check_out


def test_an_empty_cart_cannot_check_out():
    cart = carts.price({}, {}, LIMIT)
    assert (cart.lines, cart.total, cart.currency, cart.count) == ((), 0, None, 0)
    assert not cart.can_check_out


# --- currencies, totals, order ------------------------------------------------------------------


def test_books_in_two_currencies_cannot_share_an_order():
    cart = priced((a_book(1, currency="sgd"), 1), (a_book(2, currency="usd"), 1))
    assert cart.problems == ("Books priced in different currencies cannot share an order.",)
    assert cart.currency is None
    assert not cart.can_check_out


def test_books_in_one_currency_are_totalled_in_it_in_the_catalogs_order():
    first, second = a_book(7, price=2800, position=1), a_book(3, price=2300, position=2)
    cart = priced((second, 1), (first, 2))
    assert [line.book.id for line in cart.lines] == [7, 3]
    assert [line.amount for line in cart.lines] == [5600, 2300]
    assert (cart.total, cart.currency, cart.count, cart.problems) == (7900, "sgd", 3, ())
    assert cart.line_requests() == [LineRequest(first, 2), LineRequest(second, 1)]


def test_books_at_the_same_position_are_ordered_by_id():
    cart = priced((a_book(9, position=0), 1), (a_book(4, position=0), 1))
    assert [line.book.id for line in cart.lines] == [4, 9]


# --- adding and changing lines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_cart", "adding", "stock", "message"),
    [
        (0, LIMIT, 20, None),  # exactly the limit
        (LIMIT - 1, 1, 20, None),
        (LIMIT - 1, 2, 20, f"You can have at most {LIMIT} copies of “Book 1” in your cart."),
        (0, 4, 4, None),  # exactly the stock left
        (2, 2, 4, None),
        (2, 3, 4, "Only 4 copies are left of “Book 1”."),
        (0, 1, 0, "Sorry, “Book 1” is sold out."),
    ],
)
def test_adding_stops_at_the_limit_and_the_stock(in_cart, adding, stock, message):
    book = a_book(stock=stock)
    cart = {book.id: in_cart} if in_cart else {}
    if message is None:
        assert carts.add(cart, book, adding, LIMIT) == {book.id: in_cart + adding}
    else:
        with pytest.raises(OrderError) as refused:
            carts.add(cart, book, adding, LIMIT)
        assert (refused.value.message, refused.value.field) == (message, "quantity")
        assert cart == ({book.id: in_cart} if in_cart else {})


def test_a_full_cart_takes_more_copies_of_its_books_but_no_new_book():
    full = {book_id: 1 for book_id in range(1, carts.MAX_LINES + 1)}
    assert carts.add(full, a_book(1), 1, LIMIT)[1] == 2
    with pytest.raises(OrderError, match="Your cart is full"):
        carts.add(full, a_book(carts.MAX_LINES + 1), 1, LIMIT)


def test_a_cart_one_line_short_of_full_takes_a_new_book():
    almost = {book_id: 1 for book_id in range(1, carts.MAX_LINES)}
    added = carts.add(almost, a_book(carts.MAX_LINES), 1, LIMIT)
    assert len(added) == carts.MAX_LINES


@pytest.mark.parametrize(
    ("quantity", "stock", "message"),
    [
        (4, 4, None),
        (5, 4, "Only 4 copies are left of “Book 1”."),
        (LIMIT, 20, None),
        (LIMIT + 1, 20, f"You can order 1 to {LIMIT} copies."),
        (None, 20, "Please choose a quantity."),
    ],
)
def test_setting_a_quantity_stops_at_the_limit_and_the_stock(quantity, stock, message):
    book = a_book(stock=stock)
    if message is None:
        assert carts.set_quantity({book.id: 1, 2: 3}, book, quantity, LIMIT) == {
            book.id: quantity,
            2: 3,
        }
    else:
        with pytest.raises(OrderError) as refused:
            carts.set_quantity({book.id: 1}, book, quantity, LIMIT)
        assert (refused.value.message, refused.value.field) == (message, "quantity")


def test_a_book_not_in_the_cart_cannot_have_its_quantity_set():
    with pytest.raises(OrderError, match="That book is not in your cart."):
        carts.set_quantity({2: 1}, a_book(1), 1, LIMIT)


def test_removing_a_book_keeps_the_others():
    assert carts.remove({1: 2, 2: 3}, 1) == {2: 3}
    assert carts.remove({1: 2}, 5) == {1: 2}


# --- what the session may hold -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cart"),
    [
        ({"1": 1}, {1: 1}),
        ({"1": 0}, {}),
        ({"12345678901": 2}, {12345678901: 2}),  # eleven digits: still an id
        ({"123456789012": 2}, {}),  # twelve: not one
        ({"1": False, "2": True}, {}),
        ({"-1": 1, "1.0": 1, "": 1}, {}),
        ([("1", 1)], {}),
        (None, {}),
    ],
)
def test_only_well_formed_entries_are_read_from_the_session(raw, cart):
    assert carts.load(raw) == cart


def test_the_session_keeps_the_cart_with_string_keys_and_counts_its_copies():
    assert carts.dump({3: 2, 12: 1}) == {"3": 2, "12": 1}
    assert carts.count(carts.dump({3: 2, 12: 1})) == 3
    assert carts.count("junk") == 0


@pytest.mark.parametrize(
    "change",
    [
        {"book_id": 2},
        {"price": 2400},
        {"currency": "usd"},
    ],
)
def test_the_version_changes_with_the_book_its_price_or_currency(change):
    before = carts.version([(a_book(), 1)])
    assert carts.version([(a_book(**change), 1)]) != before
    assert carts.version([(a_book(), 2)]) != before
    assert len(before) == 16 and int(before, 16) >= 0
    assert carts.version([(a_book(), 1)]) == before


def test_the_version_names_every_line():
    one, two = a_book(1), a_book(2)
    assert carts.version([(one, 1), (two, 1)]) != carts.version([(one, 1)])
    assert carts.version([(one, 1), (two, 1)]) != carts.version([(two, 1), (one, 1)])
