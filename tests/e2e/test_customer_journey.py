"""A new customer on a phone: browse, add two books in place, check out, go back and reload
without a second order, correct a mistyped email, a declined card then a good one, a one-copy
refund, and the emails; the small things on the way."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bookshop.models import Email, Order
from shop_support import HAMMING, PUBLIC, fill_card

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def stripe_get(emulator, path):
    response = requests.get(f"{emulator.url}{path}", auth=(emulator.secret_key, ""), timeout=10)
    response.raise_for_status()
    return response.json()


def orders_saved(session) -> list[Order]:
    session.expire_all()
    return list(session.scalars(select(Order)))


def add_in_place(page: Page, slug: str, copies: str) -> None:
    """Press Add to cart on a book's page: the page stays and says so."""
    page.goto(f"{page.url.split('/books/')[0].rstrip('/')}/books/{slug}")
    page.get_by_test_id("quantity").fill(copies)
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("add-status")).to_contain_text("to your cart")
    expect(page).to_have_url(re.compile(rf"/books/{slug}$"))


def test_a_phone_customer_buys_two_books_and_asks_for_a_one_copy_refund(
    page, shop, shop_db, emulator
):
    page.set_viewport_size(PHONE)
    page.goto(shop.url)
    page.locator(f'[data-testid=book-card][data-book="{PUBLIC}"]').get_by_test_id(
        "add-to-cart"
    ).click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    add_in_place(page, HAMMING, "2")
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    page.get_by_test_id("view-cart").click()
    page.get_by_test_id("checkout").click()
    page.get_by_test_id("email").fill("raeder@example.con")  # a typo, noticed later
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()

    # Back: the cart still holds the books; checkout again and a reload continue the same order.
    page.go_back()
    page.goto(f"{shop.url}/cart")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("cart-count")).to_have_text("3")
    page.get_by_test_id("checkout").click()
    page.reload()
    expect(page.get_by_test_id("email")).to_have_value("raeder@example.con")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()
    assert len(orders_saved(shop_db)) == 1

    # The typo is corrected after Continue, before paying; a declined card first.
    page.get_by_test_id("email").fill("reader@example.com")
    fill_card(page, "4000000000000002")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("checkout-error")).to_contain_text("declined")
    (order,) = orders_saved(shop_db)
    assert order.email == "reader@example.com"
    intent_id = order.payments[0].payment_intent_id
    assert stripe_get(emulator, f"/v1/payment_intents/{intent_id}")["receipt_email"] == (
        "reader@example.com"
    )
    page.get_by_test_id("card-number").fill("4242424242424242")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("cart-count")).to_have_text("0")  # paid: now the cart is empty

    # The order page: date and email in its header, the failed attempt in the customer's words.
    page.get_by_test_id("order-page-link").click()
    expect(page.get_by_test_id("order-email")).to_have_text("reader@example.com")
    expect(page.get_by_test_id("order-date")).to_contain_text("Singapore time")
    expect(page.get_by_test_id("attempt-reason")).to_contain_text("declined")
    expect(page.get_by_test_id("timeline")).not_to_contain_text("succeeded")
    expect(page.get_by_test_id("timeline")).not_to_contain_text("pi_")

    # The pay link of a paid order: straight to the order, calmly.
    order_url = page.url
    page.goto(f"{order_url}/pay")
    expect(page).to_have_url(order_url)
    expect(page.get_by_test_id("flash-info")).to_have_text(
        "This order is already paid: nothing more to do."
    )
    expect(page.get_by_test_id("flash-error")).to_have_count(0)

    # One copy refunded: the review shows exactly that.
    page.get_by_test_id("request-refund").click()
    page.locator(f'[data-testid=refund-line][data-book="{HAMMING}"]').get_by_test_id(
        "refund-quantity"
    ).fill("1")
    page.get_by_test_id("review-refund").click()
    expect(page.get_by_test_id("refund-scope")).to_contain_text("these copies only")
    expect(page.get_by_test_id("refund-review-line")).to_have_count(1)
    expect(page.get_by_test_id("refund-review-line")).to_contain_text(
        "The Art of Doing Science and Engineering × 1"
    )
    expect(page.get_by_test_id("refund-amount")).to_have_text("S$23.00")
    page.get_by_test_id("confirm-refund-button").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute(
        "data-status", "partially_refunded"
    )

    shop_db.expire_all()
    kinds = [e.kind for e in shop_db.scalars(select(Email).order_by(Email.id))]
    assert kinds == ["order_paid", "order_refunded"]
    refund_email = shop_db.scalars(select(Email).where(Email.kind == "order_refunded")).one()
    assert refund_email.to_address == "reader@example.com"
    assert "Refunded so far: S$23.00" in refund_email.body and refund_email.html


def test_the_small_things_in_the_cart(page, shop, shop_db):
    page.goto(f"{shop.url}/cart/add?book={HAMMING}")  # a form's address opened as a page
    expect(page).to_have_url(re.compile(rf"/books/{HAMMING}$"))
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    page.goto(f"{shop.url}/cart")

    page.get_by_test_id("line-quantity").fill("0")
    page.get_by_test_id("update-line").click()

    expect(page.get_by_test_id("empty-cart")).to_be_visible()
    expect(page.get_by_test_id("flash-error")).to_have_count(0)
    expect(page.get_by_test_id("cart-count")).to_have_text("0")
