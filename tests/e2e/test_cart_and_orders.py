"""The cart and the order page in Chromium: two books, pay, partial refund; cancel; resume."""

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bookshop.models import Book
from shop_support import HAMMING, PUBLIC, fill_card, the_order

pytestmark = pytest.mark.e2e


def stripe_get(emulator, path, **params):
    response = requests.get(
        f"{emulator.url}{path}", params=params, auth=(emulator.secret_key, ""), timeout=10
    )
    response.raise_for_status()
    return response.json()


def add_two_books(page: Page, shop):
    """One book from the home page, two copies of another from its own page."""
    page.goto(shop.url)
    page.locator(f'[data-testid=book-card][data-book="{PUBLIC}"]').get_by_test_id(
        "add-to-cart"
    ).click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    page.goto(f"{shop.url}/books/{HAMMING}")
    page.get_by_test_id("quantity").fill("2")
    page.get_by_test_id("add-to-cart").click()
    # Added in place: the page stays, the header counts the copies, a link leads to the cart.
    expect(page.get_by_test_id("cart-count")).to_have_text("3")
    expect(page.get_by_test_id("add-status")).to_contain_text("Added")
    page.get_by_test_id("view-cart").click()
    expect(page.get_by_test_id("cart-total")).to_have_text("S$74.00")


def start_paying(page: Page):
    page.get_by_test_id("checkout").click()
    expect(page.get_by_test_id("order-total")).to_have_text("S$74.00")
    page.get_by_test_id("email").fill("reader@example.com")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()


def test_two_books_paid_then_one_copy_refunded(page, shop, shop_db, emulator, screenshots):
    add_two_books(page, shop)
    page.screenshot(path=screenshots / "cart.png", full_page=True)
    start_paying(page)
    fill_card(page)
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("amount-received")).to_have_text("S$74.00")

    page.get_by_test_id("order-page-link").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    expect(page.get_by_test_id("amount-paid")).to_have_text("S$74.00")
    page.get_by_test_id("request-refund").click()
    page.locator(f'[data-testid=refund-line][data-book="{HAMMING}"]').get_by_test_id(
        "refund-quantity"
    ).fill("1")
    page.get_by_test_id("review-refund").click()
    expect(page.get_by_test_id("refund-amount")).to_have_text("S$23.00")
    page.get_by_test_id("confirm-refund-button").click()

    expect(page.get_by_test_id("order-status")).to_have_attribute(
        "data-status", "partially_refunded"
    )
    expect(page.get_by_test_id("amount-refunded")).to_have_text("S$23.00")
    expect(page.get_by_test_id("amount-refundable")).to_have_text("S$51.00")
    page.screenshot(path=screenshots / "order-partially-refunded.png", full_page=True)
    order = the_order(shop_db)
    assert order.status == "partially_refunded"
    pi = order.payments[0].payment_intent_id
    refunds = stripe_get(emulator, "/v1/refunds", payment_intent=pi)["data"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(2300, "succeeded")]
    intent = stripe_get(emulator, f"/v1/payment_intents/{pi}", **{"expand[]": "latest_charge"})
    assert (intent["amount_received"], intent["latest_charge"]["amount_refunded"]) == (7400, 2300)


def test_canceling_an_unpaid_order(page, shop, shop_db, emulator):
    add_two_books(page, shop)
    start_paying(page)

    page.get_by_test_id("my-orders-link").click()
    page.get_by_test_id("order-link").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "pending_payment")
    page.get_by_test_id("cancel-order").click()
    page.get_by_test_id("confirm-cancel-button").click()

    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "canceled")
    expect(page.get_by_test_id("flash-success")).to_have_text(
        "Your order is canceled. No money was taken."
    )
    order = the_order(shop_db)
    intent = stripe_get(emulator, f"/v1/payment_intents/{order.payments[0].payment_intent_id}")
    assert intent["status"] == "canceled"
    stocks = dict(shop_db.execute(select(Book.slug, Book.stock)).all())
    assert (stocks[HAMMING], stocks[PUBLIC]) == (25, 25)


def test_closing_the_tab_mid_payment_then_paying_from_my_orders(
    page, shop, shop_db, emulator, browser
):
    add_two_books(page, shop)
    start_paying(page)
    first_intent = the_order(shop_db).payments[0].payment_intent_id
    cookies = page.context.cookies()
    page.close()  # the customer closes the tab before paying

    again = page.context.new_page()
    again.goto(shop.url)
    assert page.context.cookies() == cookies
    again.get_by_test_id("my-orders-link").click()
    again.get_by_test_id("order-link").click()
    again.get_by_test_id("resume-payment").click()
    expect(again.get_by_test_id("email")).to_have_value("reader@example.com")
    again.get_by_test_id("continue").click()
    expect(again.get_by_test_id("card-number")).to_be_visible()  # the Elements are mounted
    fill_card(again)
    again.get_by_test_id("pay-button").click()

    expect(again.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    expect(again.get_by_test_id("payment-reference")).to_have_text(first_intent)
    order = the_order(shop_db)
    assert order.status == "paid"
    assert [p.payment_intent_id for p in order.payments] == [first_intent]
    assert stripe_get(emulator, f"/v1/payment_intents/{first_intent}")["status"] == "succeeded"
