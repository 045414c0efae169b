"""The back office in Chromium, continued: an admin takes a book off sale and the shop's home page
no longer shows it; an admin answers a dispute with the evidence prefilled from the order, and
Stripe (the emulator) has it under review."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from back_office_support import make_account
from back_office_support import sign_in_page as sign_in
from bookshop.database import Database
from bookshop.models import Book, Dispute
from shop_support import (
    HAMMING,
    PUBLIC,
    emulator_settings,
    shop_app,
    shop_receiving_webhooks,
)

pytestmark = pytest.mark.e2e
DISPUTE_CARD = "4000000000000259"


def shoot(page: Page, directory, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=directory / f"{name}-{width}.png", full_page=True)


def test_an_admin_takes_a_book_off_sale_and_the_shop_hides_it(page, shop, shop_db, screenshots):
    admin = make_account(shop_db, "owner@bookshop.test", "admin")
    title = shop_db.query(Book).filter_by(slug=HAMMING).one().title
    sign_in(page, shop.url, admin)

    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name=title).click()
    page.get_by_test_id("on-sale-no").check()
    page.get_by_test_id("book-save").click()

    expect(page.get_by_test_id("flash-success")).to_contain_text("The book is off sale")
    expect(page.get_by_test_id("off-sale")).to_be_visible()
    expect(page.get_by_test_id("on-sale-no")).to_be_checked()
    shoot(page, screenshots, "admin-book-off-sale")
    shop_db.expire_all()
    assert shop_db.query(Book).filter_by(slug=HAMMING).one().on_sale is False

    customer = page.context.browser.new_context()
    try:
        home = customer.new_page()
        home.goto(f"{shop.url}/")
        expect(home.locator(f'[data-testid=book-card][data-book="{PUBLIC}"]')).to_have_count(1)
        expect(home.locator(f'[data-testid=book-card][data-book="{HAMMING}"]')).to_have_count(0)
        shoot(home, screenshots, "home-with-a-book-off-sale")
    finally:
        customer.close()


def test_an_admin_submits_dispute_evidence_and_stripe_reviews_it(
    browser, database_url, emulator, shop_db, tmp_path, screenshots
):
    app = shop_app(database_url, tmp_path / "instance", **emulator_settings(emulator))
    admin = make_account(shop_db, "owner@bookshop.test", "admin")
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
            placed = shop.place(HAMMING, 1)
            shop.pay(placed, DISPUTE_CARD)
            shop.flush()  # charge.dispute.created reaches the shop
            dispute = shop_db.query(Dispute).one()
            assert dispute.evidence_due_by is not None

            sign_in(page, shop.server.url, admin)
            page.get_by_role("link", name="Disputes", exact=True).click()
            page.get_by_role("link", name=placed.reference).click()
            description = page.get_by_test_id("evidence-product_description")
            expect(description).to_have_value(
                f"Printed books, order {placed.reference}: "
                f"1 × “{dispute.order.lines[0].title}” by Richard "
                "Hamming (S$23.00 each)."
            )
            page.get_by_test_id("evidence-customer_communication").fill(
                "The reader thanked us for the quick delivery on 3 December."
            )
            page.get_by_test_id("evidence-uncategorized_text").fill("Signed for at the door.")
            page.get_by_test_id("evidence-submit-now").check()
            page.get_by_test_id("evidence-send").click()

            expect(page.get_by_test_id("flash-success")).to_contain_text("submitted to the bank")
            expect(page.get_by_test_id("dispute-status")).to_have_text("under review")
            expect(page.get_by_test_id("evidence-send")).to_have_count(0)
            expect(page.get_by_test_id("evidence-closed")).to_contain_text("Submitted to the bank")
            expect(page.get_by_test_id("evidence-uncategorized_text")).to_be_disabled()
            shoot(page, screenshots, "admin-dispute-submitted")
            at_stripe = requests.get(
                f"{emulator.url}/v1/disputes/{dispute.stripe_dispute_id}",
                auth=(emulator.secret_key, ""),
                timeout=10,
            ).json()
            assert at_stripe["status"] == "under_review"
            assert at_stripe["evidence_details"]["submission_count"] == 1
            assert at_stripe["evidence"]["product_description"].startswith("Printed books")
            assert "Signed for at the door." in at_stripe["evidence"]["uncategorized_text"]
    finally:
        context.close()
        Database.dispose(app)
