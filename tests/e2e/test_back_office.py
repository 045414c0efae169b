"""The back office in Chromium: an admin signs in with a TOTP code, finds an order by the
customer's email, refunds one book, and sees the refund on the timeline and at Stripe; twenty
wrong passwords get the sign-in throttled, and the right one works once the window passes."""

from __future__ import annotations

import time

import pytest
import requests
from playwright.sync_api import expect

from back_office_support import make_account
from back_office_support import sign_in_page as sign_in
from bookshop.database import Database
from bookshop.testing import LiveServer
from shop_support import EMAIL, HAMMING, emulator_settings, pay_at_emulator, placed_order, shop_app

pytestmark = pytest.mark.e2e


def test_an_admin_finds_an_order_by_email_and_refunds_one_book(
    page, shop, shop_db, emulator, screenshots
):
    admin = make_account(shop_db, "owner@bookshop.test", "admin")
    placed = placed_order(shop_db, HAMMING, 2)
    pay_at_emulator(emulator, placed)
    page.goto(f"{shop.url}{placed.return_path}")  # the customer comes back: the order is paid

    sign_in(page, shop.url, admin)
    page.get_by_test_id("nav-orders").click()
    page.get_by_test_id("order-search").fill(EMAIL)
    page.get_by_test_id("apply-filters").click()
    row = page.locator(f'[data-testid=order-row][data-reference="{placed.reference}"]')
    expect(row).to_have_count(1)
    row.get_by_test_id("order-link").click()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")

    page.locator("[data-testid=refund-section] summary").click()
    page.get_by_test_id("refund-mode-lines").check()
    page.locator(f'[data-testid=refund-quantity][data-book="{HAMMING}"]').fill("1")
    page.get_by_test_id("refund-note").fill("one copy arrived damaged")
    page.get_by_test_id("refund-review").click()
    expect(page.get_by_test_id("refund-total")).to_have_text("S$23.00")
    page.get_by_test_id("refund-confirm").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("Refunded S$23.00")
    expect(page.get_by_test_id("order-status")).to_have_attribute(
        "data-status", "partially_refunded"
    )
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("paid → partially_refunded")
    expect(timeline).to_contain_text("one copy arrived damaged")
    refund_id = page.get_by_test_id("refund-id").inner_text()
    at_stripe = requests.get(
        f"{emulator.url}/v1/refunds/{refund_id}", auth=(emulator.secret_key, ""), timeout=10
    ).json()
    assert (at_stripe["amount"], at_stripe["status"]) == (2300, "succeeded")
    assert at_stripe["payment_intent"] == placed.payment_intent
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=screenshots / f"admin-order-{width}.png", full_page=True)


def test_twenty_wrong_passwords_are_throttled_and_the_right_one_works_later(
    browser, database_url, emulator, shop_db, tmp_path
):
    window = 20  # seconds: long enough for twenty tries in a browser
    app = shop_app(
        database_url,
        tmp_path / "instance",
        **emulator_settings(emulator),
        RATE_LIMITS_ENABLED=True,
        LOGIN_LIMITS=f"10/{window}second",
    )
    server = LiveServer(app).start()
    staff = make_account(shop_db, "packer@bookshop.test", "staff")
    context = browser.new_context()
    page = context.new_page()
    try:
        answers = []
        started = time.monotonic()
        for _ in range(20):
            page.goto(f"{server.url}/admin/login")
            page.get_by_test_id("login-email").fill(staff.email)
            page.get_by_test_id("login-password").fill("not the password")
            with page.expect_response(lambda r: r.url.endswith("/admin/login")) as answer:
                page.get_by_test_id("login-submit").click()
            answers.append(answer.value.status)
        assert answers[:10] == [401] * 10
        assert set(answers[10:]) == {429}
        time.sleep(max(0.0, started + window + 1 - time.monotonic()))
        sign_in(page, server.url, staff)
    finally:
        context.close()
        server.stop()
        Database.dispose(app)
