"""Books on sale or not: the back office's book form takes a book off sale and back (audited, the
catalog pages renewed); a book off sale is hidden from the shop, cannot be added to a cart, and a
cart already holding it cannot check out, with a clear message and nothing changed."""

import json

from sqlalchemy import func, select

from back_office_support import ADMIN, post
from bookshop.catalog.version import current_version
from bookshop.extensions import db
from bookshop.models import AuditEntry, Book, Order
from bookshop.testing import SAME_ORIGIN, csrf_token_in
from shop_support import HAMMING, PUBLIC, form_post, page

FORM = {
    "title": "The Art of Doing Science and Engineering",
    "author": "Richard Hamming",
    "price": "23.00",
    "currency": "sgd",
    "cover_background": "#1f3a5f",
    "cover_ink": "#f4efe6",
    "cover_accent": "#e0a33a",
    "cover_motif": "rings",
}


def book_id(app, slug=HAMMING):
    with app.app_context():
        return db.session.scalar(select(Book.id).where(Book.slug == slug))


def set_on_sale(admin_client, book, on_sale):
    return post(admin_client, f"{ADMIN}/catalog/{book}", **FORM, on_sale=on_sale)


def stock_of(app, slug=HAMMING):
    with app.app_context():
        return db.session.scalar(select(Book.stock).where(Book.slug == slug))


def test_taking_a_book_off_sale_is_audited_and_renews_the_catalog_pages(app, admin_client, client):
    hamming = book_id(app)
    assert f'data-book="{HAMMING}"' in page(client, "/")  # rendered, and kept for this version
    with app.app_context():
        before = current_version(db.session)

    response = set_on_sale(admin_client, hamming, "no")

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Book, hamming).on_sale is False
        assert current_version(db.session) > before
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "book.edit"))
        assert json.loads(entry.before)["on_sale"] is True
        assert json.loads(entry.after)["on_sale"] is False
    assert f'data-book="{HAMMING}"' not in page(client, "/")
    assert f'data-book="{PUBLIC}"' in page(client, "/")
    assert client.get(f"/books/{HAMMING}").status_code == 404
    assert client.get(f"/checkout/{HAMMING}").status_code == 404  # "Buy now"
    assert client.get(f"/covers/{HAMMING}.svg").status_code == 200  # carts and orders show it
    edit_page = page(admin_client, f"{ADMIN}/catalog/{hamming}")
    assert 'data-testid="off-sale"' in edit_page
    assert 'value="no" checked' in edit_page
    assert 'data-testid="off-sale"' in page(admin_client, f"{ADMIN}/catalog")

    assert set_on_sale(admin_client, hamming, "yes").status_code == 303
    assert f'data-book="{HAMMING}"' in page(client, "/")
    assert client.get(f"/books/{HAMMING}").status_code == 200


def test_a_form_without_the_choice_leaves_the_book_as_it_is(app, admin_client):
    hamming = book_id(app)
    set_on_sale(admin_client, hamming, "no")

    post(admin_client, f"{ADMIN}/catalog/{hamming}", **{**FORM, "price": "24.00"})

    with app.app_context():
        book = db.session.get(Book, hamming)
        assert (book.on_sale, book.price_amount) == (False, 2400)


def test_a_new_book_can_start_off_sale(app, admin_client, client):
    form = {**FORM, "title": "A Book Not Out Yet", "slug": "not-out-yet", "stock": "5"}

    response = post(admin_client, f"{ADMIN}/catalog/new", **form, on_sale="no")

    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Book.on_sale).where(Book.slug == "not-out-yet")) is False
    assert "not-out-yet" not in page(client, "/")


def test_a_book_off_sale_cannot_be_added_to_the_cart(app, admin_client, client):
    set_on_sale(admin_client, book_id(app), "no")

    response = form_post(client, "/cart/add", book=HAMMING, quantity="1")
    answer = client.post(
        "/cart/add",
        data={"book": HAMMING, "quantity": "1"},
        headers={**SAME_ORIGIN, "Accept": "application/json"},
    )

    assert response.status_code == 303
    assert "is no longer on sale" in page(client, "/cart")
    assert answer.status_code == 400
    assert answer.json["error"]["message"] == (
        "Sorry, “The Art of Doing Science and Engineering” is no longer on sale."
    )
    with client.session_transaction() as cookie:
        assert not cookie.get("cart")


def test_a_cart_holding_a_book_taken_off_sale_cannot_check_out(
    app, admin_client, client, fake_stripe
):
    form_post(client, "/cart/add", book=HAMMING, quantity="2")
    form_post(client, "/cart/add", book=PUBLIC, quantity="1")
    checkout = page(client, "/checkout")  # the page is open when the book goes off sale
    stock = stock_of(app)

    set_on_sale(admin_client, book_id(app), "no")
    answer = client.post(
        "/checkout/payment-intent",
        json={
            "email": "reader@example.com",
            "cart_version": checkout.split('data-cart-version="')[1].split('"')[0],
            "checkout_id": checkout.split('data-checkout-id="')[1].split('"')[0],
        },
        headers={"X-CSRFToken": csrf_token_in(checkout), "Accept": "application/json"},
    )

    assert answer.status_code == 409
    assert answer.json["error"]["message"] == (
        "Sorry, “The Art of Doing Science and Engineering” is no longer on sale. Please remove it."
    )
    assert fake_stripe.created == []
    assert stock_of(app) == stock
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    again = client.get("/checkout")
    assert again.status_code == 303 and again.headers["Location"].endswith("/cart")
    cart = page(client, "/cart")
    assert "is no longer on sale. Please remove it." in cart

    form_post(client, "/cart/remove", book=HAMMING)
    assert client.get("/checkout").status_code == 200  # the rest of the cart checks out
