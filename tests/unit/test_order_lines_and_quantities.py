"""What a customer asks for, checked before anything is reserved or charged: quantities typed in
a form, one line per book in the catalog's order, the total from the catalog's prices, and the
text naming what is bought at Stripe."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookshop import orders
from bookshop.models import Book
from bookshop.orders import LineRequest, OrderError
from bookshop.orders.lines import describe_lines, merge_lines, payment_description, price_lines


def a_book(book_id, slug="a-book", price=2300, currency="sgd", position=0, on_sale=True):
    return Book(
        id=book_id,
        slug=slug,
        title=f"Title {book_id}",
        price_amount=price,
        currency=currency,
        position=position,
        on_sale=on_sale,
    )


def refusal(raw, **limits):
    with pytest.raises(OrderError) as refused:
        orders.parse_quantity(raw, **limits)
    return refused.value.message, refused.value.field


# --- quantities -------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=10), st.sampled_from(["{}", " {} ", "+{}", "{}\n"]))
def test_a_quantity_from_one_to_the_limit_is_read_as_typed(quantity, form):
    assert orders.parse_quantity(form.format(quantity)) == quantity
    assert orders.parse_quantity(quantity) == quantity


@pytest.mark.parametrize("raw", [0, "0", -1, "-3", 11, "11", "1234567", "9" * 5000])
def test_a_quantity_out_of_range_is_refused_naming_the_range(raw):
    assert refusal(raw) == ("You can order 1 to 10 copies.", "quantity")


@pytest.mark.parametrize(("raw", "limit"), [("4", 3), ("9999999", 3), (31, 30)])
def test_the_callers_limit_is_named(raw, limit):
    assert refusal(raw, limit=limit) == (f"You can order 1 to {limit} copies.", "quantity")


def test_a_quantity_of_six_characters_is_read_and_a_longer_one_is_out_of_range():
    assert orders.parse_quantity("000005") == 5
    assert orders.parse_quantity("+00005") == 5
    assert refusal("0000005") == ("You can order 1 to 10 copies.", "quantity")


@pytest.mark.parametrize("raw", ["two", "1.5", "", "  ", "1 2", "0x3", "½"])
def test_text_that_is_not_a_whole_number_is_refused_saying_so(raw):
    assert refusal(raw) == ("Please enter the quantity as a whole number.", "quantity")


@pytest.mark.parametrize("raw", [True, False, 1.0, 1.5, [], {}, b"1"])
def test_what_is_neither_a_number_nor_text_is_refused_asking_for_a_quantity(raw):
    assert refusal(raw) == ("Please choose a quantity.", "quantity")


def test_no_quantity_is_one_copy_unless_one_must_be_chosen():
    assert orders.parse_quantity(None) == 1
    assert orders.parse_quantity(None, default=3) == 3
    assert refusal(None, default=None) == ("Please choose a quantity.", "quantity")


def test_where_none_is_allowed_zero_is_read_and_the_range_named_from_zero():
    assert orders.parse_quantity("0", limit=2, minimum=0) == 0
    assert orders.parse_quantity("2", limit=2, minimum=0) == 2
    assert refusal("3", limit=2, minimum=0) == ("Please enter 0 to 2 copies.", "quantity")
    assert refusal("-1", limit=2, minimum=0) == ("Please enter 0 to 2 copies.", "quantity")


# --- lines and their total ----------------------------------------------------------------------


def test_lines_for_the_same_book_are_one_line_in_the_catalogs_order():
    first, second, third = a_book(1, position=2), a_book(2, position=1), a_book(3, position=1)

    merged = merge_lines(
        [
            LineRequest(first, 1),
            LineRequest(third, 2),
            LineRequest(second, 1),
            LineRequest(first, 3),
        ]
    )

    assert [(line.book.id, line.quantity) for line in merged] == [(2, 1), (3, 2), (1, 4)]


def test_the_total_is_each_catalog_price_times_its_copies():
    lines = [LineRequest(a_book(1, price=2300), 3), LineRequest(a_book(2, price=2800), 2)]
    assert price_lines(lines) == (3 * 2300 + 2 * 2800, "sgd")


def test_a_book_not_saved_yet_is_on_sale():
    unsaved = Book(slug="new", title="New", price_amount=1000, currency="sgd")
    assert price_lines([LineRequest(unsaved, 1)]) == (1000, "sgd")


def test_a_book_off_sale_is_refused_by_its_title():
    lines = [LineRequest(a_book(1), 1), LineRequest(a_book(2, on_sale=False), 1)]
    with pytest.raises(OrderError) as refused:
        price_lines(lines)
    assert (refused.value.message, refused.value.field) == (
        "Sorry, “Title 2” is no longer on sale.",
        "cart",
    )


def test_books_in_two_currencies_cannot_share_an_order():
    lines = [LineRequest(a_book(1), 1), LineRequest(a_book(2, currency="usd"), 1)]
    with pytest.raises(OrderError) as refused:
        price_lines(lines)
    assert refused.value.message == "Books priced in different currencies cannot share an order."


def test_an_empty_order_is_refused_saying_so():
    with pytest.raises(OrderError) as refused:
        price_lines([])
    assert refused.value.message == "Your order is empty."


# --- what Stripe is told --------------------------------------------------------------------


def lines_naming(length):
    """One line whose text ("<slug> x1") is `length` characters long."""
    return [LineRequest(a_book(1, slug="s" * (length - 3)), 1)]


def test_the_items_name_each_book_and_its_copies():
    lines = [LineRequest(a_book(1, slug="one"), 2), LineRequest(a_book(2, slug="two"), 1)]

    metadata, description = payment_description("BK-AAAA-BBBB", lines)

    assert metadata == {"order_reference": "BK-AAAA-BBBB", "items": "one x2, two x1"}
    assert description == "Bookshop order BK-AAAA-BBBB: one x2, two x1"


def test_items_of_500_characters_are_kept_whole():
    assert describe_lines(lines_naming(500)) == "s" * 497 + " x1"


def test_items_of_501_characters_are_cut_to_500_with_an_ellipsis():
    assert describe_lines(lines_naming(501)) == "s" * 497 + "..."
