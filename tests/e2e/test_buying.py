"""Buying a book in Chromium: Payment Element, declines, 3-D Secure, the receipt."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bookshop.models import Order
from shop_support import HAMMING, fill_card, the_order

pytestmark = pytest.mark.e2e


def open_checkout(page: Page, shop, email="reader@example.com"):
    page.goto(shop.url)
    page.locator(f'[data-testid=book-card][data-book="{HAMMING}"] a').click()
    page.get_by_test_id("buy-now").click()
    expect(page.get_by_test_id("order-total")).to_have_text("S$23.00")
    page.get_by_test_id("email").fill(email)
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()


def expect_receipt(page: Page):
    expect(page).to_have_url(re.compile(r"/checkout/complete\?"))
    expect(page.get_by_test_id("payment-result")).to_have_attribute("data-status", "succeeded")
    # The book (S$23.00) and standard delivery in Singapore (S$4.00).
    expect(page.get_by_test_id("amount-received")).to_have_text("S$27.00")
    reference = page.get_by_test_id("payment-reference").inner_text()
    assert reference.startswith("pi_")
    return reference


def test_buying_with_4242_shows_the_receipt(page, shop, shop_db, emulator, screenshots):
    requests_seen: list[str] = []
    csp_errors: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url))
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    open_checkout(page, shop)
    expect(page.get_by_test_id("payments-notice")).to_have_text(
        "Test mode: payments are simulated locally"
    )
    page.screenshot(path=screenshots / "checkout.png", full_page=True)
    fill_card(page, "4242424242424242")
    page.get_by_test_id("pay-button").click()

    reference = expect_receipt(page)
    page.screenshot(path=screenshots / "receipt.png", full_page=True)
    order = the_order(shop_db)
    assert order.status == "paid"
    assert order.payments[0].payment_intent_id == reference
    assert order.email == "reader@example.com"
    # Everything came from the shop or the emulator; nothing from the internet.
    allowed = (shop.url, emulator.url)
    assert all(url.startswith(allowed) or url.startswith("data:") for url in requests_seen)
    assert csp_errors == []


def test_a_declined_card_shows_inline_and_a_good_card_then_succeeds(page, shop, shop_db):
    open_checkout(page, shop)
    fill_card(page, "4000000000000002")
    page.get_by_test_id("pay-button").click()

    expect(page.get_by_test_id("checkout-error")).to_contain_text("declined")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    assert the_order(shop_db).status == "pending_payment"

    page.get_by_test_id("card-number").fill("4242424242424242")
    page.get_by_test_id("pay-button").click()

    expect_receipt(page)
    assert the_order(shop_db).status == "paid"


def pay_with_3d_secure(page: Page, shop):
    """Pay with a card that asks for 3-D Secure: the challenge appears."""
    open_checkout(page, shop)
    fill_card(page, "4000002500003155")
    page.get_by_test_id("pay-button").click()


def test_3d_secure_completed_succeeds(page, shop, shop_db):
    pay_with_3d_secure(page, shop)

    page.get_by_test_id("3ds-complete").click()

    expect_receipt(page)
    assert the_order(shop_db).status == "paid"


def test_3d_secure_failed_shows_the_error_and_a_way_to_try_again(page, shop, shop_db):
    pay_with_3d_secure(page, shop)

    page.get_by_test_id("3ds-fail").click()

    expect(page.get_by_test_id("payment-result")).to_have_attribute(
        "data-status", "requires_payment_method"
    )
    expect(page.get_by_test_id("failure-message")).to_be_visible()
    expect(page.get_by_test_id("amount-received")).to_have_count(0)
    assert the_order(shop_db).status == "pending_payment"

    page.get_by_test_id("try-again").click()
    expect(page).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]+/pay$"))


def test_the_pay_button_is_disabled_while_paying(page, shop, shop_db, faults):
    open_checkout(page, shop)
    fill_card(page, "4242424242424242")
    faults({"latency": [{"path": "/v1/payment_intents/*/confirm", "min_ms": 1500, "max_ms": 1500}]})

    page.get_by_test_id("pay-button").click()

    expect(page.get_by_test_id("pay-button")).to_be_disabled()
    expect(page.get_by_test_id("pay-button")).to_have_text("Paying…")
    expect_receipt(page)


def test_an_invalid_email_is_shown_inline_and_nothing_is_created(page, shop, shop_db):
    page.goto(f"{shop.url}/checkout/{HAMMING}")
    page.get_by_test_id("email").fill("not-an-email")
    page.get_by_test_id("continue").click()

    expect(page.get_by_test_id("checkout-error")).to_have_text(
        "Please enter a valid email address."
    )
    expect(page.get_by_test_id("email")).to_have_attribute("aria-invalid", "true")
    shop_db.expire_all()
    assert shop_db.scalars(select(Order)).all() == []


def test_payments_unavailable_is_shown_inline_and_the_customer_can_retry(
    page, shop, shop_db, faults
):
    page.goto(f"{shop.url}/checkout/{HAMMING}")
    page.get_by_test_id("email").fill("reader@example.com")
    faults(
        {"errors": [{"status": 500, "path": "/v1/payment_intents", "method": "POST", "count": 3}]}
    )

    page.get_by_test_id("continue").click()

    expect(page.get_by_test_id("checkout-error")).to_contain_text("Payments are unavailable")
    expect(page.get_by_test_id("continue")).to_be_enabled()
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("card-number")).to_be_visible()
