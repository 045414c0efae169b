"""The cart: adding, changing and removing books, totals from the catalog, bad input."""

import re

import pytest
from sqlalchemy import select

from bookshop import cart as carts
from bookshop.models import Order
from bookshop.orders import OrderError
from bookshop.testing import csrf_token, csrf_token_in
from shop_support import HAMMING, PUBLIC, book, count, form_post, pay_with_fake


def post(client, action, **form):
    return form_post(client, f"/cart/{action}", **form)


def cart_page(client):
    return client.get("/cart").get_data(as_text=True)


def cart_of(client):
    with client.session_transaction() as session:
        return carts.load(session.get("cart"))


# --- the pure functions -----------------------------------------------------------------------


def test_adding_the_same_book_twice_adds_up(session):
    hamming = book(session, HAMMING)
    cart = carts.add(carts.add({}, hamming, "2", 10), hamming, 3, 10)
    assert cart == {hamming.id: 5}


@pytest.mark.parametrize(
    "raw",
    [0, "0", -1, "-3", 1.5, "1.5", "2e3", "ten", "", None, True, [1], "9" * 5000, 11, "1000000"],
)
def test_quantities_must_be_whole_numbers_from_one_to_the_limit(session, raw):
    hamming = book(session, HAMMING)
    with pytest.raises(OrderError):
        carts.set_quantity({hamming.id: 1}, hamming, raw, 10)


def test_a_line_cannot_go_over_the_limit_or_the_stock(session):
    hamming = book(session, HAMMING)
    with pytest.raises(OrderError, match="at most 10 copies"):
        carts.add({hamming.id: 8}, hamming, 3, 10)
    hamming.stock = 4
    with pytest.raises(OrderError, match="Only 4 copies are left"):
        carts.add({hamming.id: 2}, hamming, 3, 10)


def test_the_total_comes_from_the_catalog(session):
    hamming, public = book(session, HAMMING), book(session, PUBLIC)
    priced = carts.price({hamming.id: 2, public.id: 1}, {b.id: b for b in (hamming, public)}, 10)
    assert (priced.total, priced.currency, priced.count) == (7400, "sgd", 3)
    assert priced.can_check_out


def test_the_version_changes_with_the_price(session):
    hamming = book(session, HAMMING)
    before = carts.version([(hamming, 1)])
    hamming.price_amount = 2400
    assert carts.version([(hamming, 1)]) != before


def test_a_cart_with_fewer_copies_left_than_wanted_cannot_check_out(session):
    hamming = book(session, HAMMING)
    hamming.stock = 1
    priced = carts.price({hamming.id: 2}, {hamming.id: hamming}, 10)
    assert priced.problems == (
        "Only 1 copy is left of “The Art of Doing Science and Engineering”.",
    )
    assert not priced.can_check_out


def test_junk_in_the_session_is_ignored():
    assert carts.load({"1": 2, "x": 1, "2": "3", "3": -1, "4": True, 5: 1}) == {1: 2}
    assert carts.load("not a cart") == {}


# --- the pages --------------------------------------------------------------------------------


def test_adding_from_the_home_page_shows_the_cart_with_count_and_total(client):
    response = post(client, "add", book=HAMMING, quantity="1")
    assert response.status_code == 303
    post(client, "add", book=PUBLIC, quantity="2")

    html = cart_page(client)
    assert html.count('data-testid="cart-line"') == 2
    assert 'data-testid="cart-total">S$79.00' in html
    assert re.search(r'data-testid="cart-count"[^>]*>3<', html)
    assert "Added “Working in Public” to your cart." in html


def test_changing_and_removing_lines(client):
    post(client, "add", book=HAMMING)
    post(client, "add", book=PUBLIC)
    post(client, "update", book=HAMMING, quantity="4")
    post(client, "remove", book=PUBLIC)
    html = cart_page(client)
    assert 'data-testid="cart-total">S$92.00' in html
    assert html.count('data-testid="cart-line"') == 1


@pytest.mark.parametrize(
    ("action", "form", "message"),
    [
        ("add", {"book": HAMMING, "quantity": "0"}, "You can order 1 to 10 copies."),
        ("add", {"book": HAMMING, "quantity": "-2"}, "You can order 1 to 10 copies."),
        (
            "add",
            {"book": HAMMING, "quantity": "1.5"},
            "Please enter the quantity as a whole number.",
        ),
        (
            "add",
            {"book": HAMMING, "quantity": "lots"},
            "Please enter the quantity as a whole number.",
        ),
        ("add", {"book": HAMMING, "quantity": "99999999999"}, "You can order 1 to 10 copies."),
        ("add", {"book": HAMMING, "quantity": "10"}, "You can have at most 10 copies"),
        ("add", {"book": "no-such-book"}, "We could not find that book."),
        ("add", {"book": "../etc"}, "We could not find that book."),
        (
            "update",
            {"book": HAMMING, "quantity": ""},
            "Please enter the quantity as a whole number.",
        ),
        ("update", {"book": HAMMING, "quantity": "11"}, "You can order 1 to 10 copies."),
        ("update", {"book": PUBLIC, "quantity": "2"}, "That book is not in your cart."),
        ("remove", {"book": "no-such-book"}, "We could not find that book."),
    ],
)
def test_bad_input_gets_a_clear_message_and_leaves_the_cart_alone(client, action, form, message):
    post(client, "add", book=HAMMING)
    before = cart_of(client)
    response = post(client, action, **form)
    assert response.status_code == 303
    assert message in cart_page(client)
    assert cart_of(client) == before


def test_more_than_the_stock_cannot_be_added(client, session):
    book(session, PUBLIC).stock = 2
    session.commit()
    post(client, "add", book=PUBLIC, quantity="3")
    assert "Only 2 copies are left of “Working in Public”." in cart_page(client)
    assert cart_of(client) == {}


def test_a_sold_out_book_has_no_add_button(client, session):
    book(session, PUBLIC).stock = 0
    session.commit()
    html = client.get(f"/books/{PUBLIC}").get_data(as_text=True)
    assert 'data-testid="sold-out"' in html and 'data-testid="add-to-cart"' not in html


def test_adding_without_the_csrf_token_is_refused(client):
    response = client.post("/cart/add", data={"book": HAMMING})
    assert response.status_code == 400
    assert cart_of(client) == {}


# --- checking out the cart --------------------------------------------------------------------


def checkout_page(client):
    return client.get("/checkout")


def page_data(html, name):
    return re.search(rf'data-{name}="([^"]+)"', html).group(1)


def start(client, html, **body):
    token = csrf_token_in(html)
    payload = {
        "email": "reader@example.com",
        "cart_version": page_data(html, "cart-version"),
        "checkout_id": page_data(html, "checkout-id"),
        **body,
    }
    return client.post(
        "/checkout/payment-intent",
        json=payload,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def test_an_empty_cart_cannot_check_out(client, session, fake_stripe):
    response = checkout_page(client)
    assert response.status_code == 303
    assert "Your cart is empty." in cart_page(client)
    token = csrf_token(client)
    refused = client.post(
        "/checkout/payment-intent",
        json={"email": "reader@example.com"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == "Your cart is empty."
    assert fake_stripe.created == [] and count(session, Order) == 0


def test_the_cart_becomes_an_order_and_stays_until_it_is_paid(client, session, fake_stripe):
    post(client, "add", book=HAMMING, quantity="2")
    post(client, "add", book=PUBLIC)
    html = checkout_page(client).get_data(as_text=True)
    assert 'data-testid="order-total">S$74.00' in html

    response = start(client, html, amount=1)

    assert response.status_code == 201
    order = session.scalars(select(Order)).one()
    assert order.total_amount == 7400 and fake_stripe.created[0]["amount"] == 7400
    assert [(line.title, line.unit_amount, line.quantity) for line in order.lines] == [
        ("The Art of Doing Science and Engineering", 2300, 2),
        ("Working in Public", 2800, 1),
    ]
    assert response.json["orderUrl"] == f"/orders/{order.token}"
    assert order.browser_id and order.expires_at
    assert cart_of(client) == {book(session, HAMMING).id: 2, book(session, PUBLIC).id: 1}
    assert (book(session, HAMMING).stock, book(session, PUBLIC).stock) == (23, 24)

    pay_with_fake(client, session, fake_stripe)

    assert cart_of(client) == {}


def test_going_back_to_checkout_with_the_same_cart_continues_the_order(
    client, session, fake_stripe
):
    post(client, "add", book=HAMMING)
    first = start(client, checkout_page(client).get_data(as_text=True))

    again = checkout_page(client).get_data(as_text=True)  # Back, or a reload
    assert 'value="reader@example.com"' in again
    second = start(client, again, email="fixed@example.com")

    assert second.status_code == 201 and second.json["order"] == first.json["order"]
    order = session.scalars(select(Order)).one()
    assert order.email == "fixed@example.com"
    assert fake_stripe.intents[order.payments[0].payment_intent_id].receipt_email == (
        "fixed@example.com"
    )
    assert len(fake_stripe.created) == 1 and book(session, HAMMING).stock == 24


def test_a_changed_cart_gets_an_order_of_its_own(client, session, fake_stripe):
    post(client, "add", book=HAMMING)
    first = start(client, checkout_page(client).get_data(as_text=True))
    post(client, "add", book=PUBLIC)

    second = start(client, checkout_page(client).get_data(as_text=True))

    assert second.json["order"] != first.json["order"]
    assert count(session, Order) == 2


def test_the_email_can_be_changed_until_paying(client, session, fake_stripe):
    post(client, "add", book=HAMMING)
    html = checkout_page(client).get_data(as_text=True)
    started = start(client, html).json
    headers = {"X-CSRFToken": csrf_token_in(html), "Accept": "application/json"}

    bad = client.post(started["emailUrl"], json={"email": "not-an-email"}, headers=headers)
    changed = client.post(started["emailUrl"], json={"email": " new@example.com "}, headers=headers)

    assert bad.status_code == 400 and bad.json["error"]["field"] == "email"
    assert changed.status_code == 200 and changed.json == {"email": "new@example.com"}
    order = session.scalars(select(Order)).one()
    session.refresh(order)
    assert order.email == "new@example.com"
    assert fake_stripe.intents[order.payments[0].payment_intent_id].receipt_email == (
        "new@example.com"
    )
    pay_with_fake(client, session, fake_stripe)
    late = client.post(started["emailUrl"], json={"email": "late@example.com"}, headers=headers)
    assert late.status_code == 409
    session.refresh(order)
    assert order.email == "new@example.com"


def test_a_price_change_after_the_page_was_shown_is_refused(client, session, fake_stripe):
    post(client, "add", book=HAMMING)
    html = checkout_page(client).get_data(as_text=True)
    book(session, HAMMING).price_amount = 2500
    session.commit()

    response = start(client, html)

    assert response.status_code == 409
    assert "prices or books in your cart changed" in response.json["error"]["message"]
    assert fake_stripe.created == [] and count(session, Order) == 0
    assert cart_of(client) != {}


def test_a_double_submit_places_one_order(client, session, fake_stripe):
    post(client, "add", book=HAMMING)
    html = checkout_page(client).get_data(as_text=True)
    with client.session_transaction() as saved:
        cart_cookie = dict(saved)

    first = start(client, html)
    with client.session_transaction() as saved:  # the second submit still carries the old cart
        saved.update(cart_cookie)
    second = start(client, html)

    assert first.status_code == second.status_code == 201
    assert first.json["order"] == second.json["order"]
    assert first.json["clientSecret"] == second.json["clientSecret"]
    assert count(session, Order) == 1
    assert book(session, HAMMING).stock == 24


def test_out_of_stock_at_checkout_is_refused_before_stripe(client, session, fake_stripe):
    post(client, "add", book=HAMMING, quantity="3")
    html = checkout_page(client).get_data(as_text=True)
    book(session, HAMMING).stock = 2
    session.commit()
    response = start(client, html)
    assert response.status_code == 409
    assert fake_stripe.created == [] and count(session, Order) == 0
