"""Hosted Checkout (CHECKOUT_MODE=hosted) in Chromium: two books paid on the emulator's hosted page
with an address and express delivery, the receipt and the order page; Back from that page to a
full cart; an unpaid session expired by the emulator's clock giving the stock back."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bookshop.database import Database
from shop_support import (
    HAMMING,
    PUBLIC,
    emulator_settings,
    shop_app,
    shop_receiving_webhooks,
    stock,
    the_order,
)
from stripe_emulator import EmulatorProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def hosted(shop, monkeypatch):
    """This shop sends customers to Stripe's hosted Checkout page."""
    monkeypatch.setitem(shop.app.config, "CHECKOUT_MODE", "hosted")
    return shop


def to_stripes_page(page: Page, url: str) -> None:
    """Put a Hamming and a Public in the cart, check out and continue to Stripe's page."""
    for copies, slug in enumerate((HAMMING, PUBLIC), start=1):
        page.goto(f"{url}/books/{slug}")
        page.get_by_test_id("add-to-cart").click()
        # The add is a fetch: leaving the page before its answer (and cookie) would drop it.
        expect(page.get_by_test_id("cart-count")).to_have_text(str(copies))
    page.goto(f"{url}/cart")
    page.get_by_test_id("checkout").click()
    page.get_by_test_id("email").fill("reader@example.com")
    page.get_by_test_id("continue-to-stripe").click()
    expect(page.get_by_test_id("checkout-submit")).to_be_visible()


def test_two_books_paid_on_stripes_page_with_an_address_and_express_delivery(
    page, hosted, shop_db, screenshots
):
    to_stripes_page(page, hosted.url)
    expect(page.get_by_test_id("checkout-line-item")).to_have_count(2)
    expect(page.get_by_test_id("checkout-email")).to_have_value("reader@example.com")
    page.get_by_test_id("checkout-shipping-name").fill("Ada Reader")
    page.get_by_test_id("checkout-shipping-country").select_option("SG")
    page.get_by_test_id("checkout-shipping-line1").fill("1 Fusionopolis Way")
    page.get_by_test_id("checkout-shipping-city").fill("Singapore")
    page.get_by_test_id("checkout-shipping-postal-code").fill("138632")
    page.locator("label", has_text="Singapore express").click()
    page.get_by_test_id("checkout-card-number").fill("4242 4242 4242 4242")
    page.get_by_test_id("checkout-card-expiry").fill("12 / 34")
    page.get_by_test_id("checkout-card-cvc").fill("123")
    page.get_by_test_id("checkout-cardholder-name").fill("Ada Reader")
    page.get_by_test_id("checkout-postal-code").fill("138632")
    page.get_by_test_id("checkout-submit").click()

    expect(page.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    # S$51 of books and S$10 of express delivery, as chosen on Stripe's page.
    expect(page.get_by_test_id("amount-received")).to_have_text("S$61.00")
    expect(page.get_by_test_id("receipt-shipping")).to_contain_text("Singapore express")
    expect(page.get_by_test_id("receipt-address")).to_contain_text("1 Fusionopolis Way")
    page.screenshot(path=screenshots / "hosted-receipt.png", full_page=True)
    order = the_order(shop_db)
    assert (order.status, order.total_amount, order.shipping_option) == ("paid", 6100, "sg-express")

    page.get_by_test_id("order-page-link").click()
    expect(page.get_by_text(order.reference).first).to_be_visible()
    expect(page.get_by_text("1 Fusionopolis Way").first).to_be_visible()


def test_back_from_stripes_page_returns_to_the_full_cart(page, hosted, shop_db):
    to_stripes_page(page, hosted.url)

    page.get_by_test_id("checkout-cancel").click()

    expect(page).to_have_url(f"{hosted.url}/cart")
    expect(page.get_by_test_id("flash-info")).to_contain_text("You have not paid yet")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    assert the_order(shop_db).status == "pending_payment"


def test_an_unpaid_session_expired_by_the_clock_gives_the_stock_back(
    page, shop_db, database_url, tmp_path: Path
):
    # An emulator of the test's own, whose clock moves forward for good, and a shop on it.
    with EmulatorProcess(tmp_path / "clock.db") as own:
        app = shop_app(database_url, tmp_path / "instance", **emulator_settings(own))
        app.config["CHECKOUT_MODE"] = "hosted"
        with shop_receiving_webhooks(app, own, tmp_path) as shop:
            before = stock(shop_db, HAMMING), stock(shop_db, PUBLIC)
            to_stripes_page(page, shop.server.url)
            assert stock(shop_db, HAMMING) == before[0] - 1

            shop.control("clock/advance", seconds=32 * 60)
            shop.flush()

            page.goto(f"{shop.server.url}/orders")
            expect(page.get_by_text("Canceled").first).to_be_visible()
            assert the_order(shop_db).status == "canceled"
            assert (stock(shop_db, HAMMING), stock(shop_db, PUBLIC)) == before
        Database.dispose(app)
