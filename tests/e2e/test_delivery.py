"""Delivery and capture on dispatch in Chromium: an address in Singapore, express delivery, the
total following the choice, the card authorized; then shipped from the command line."""

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bookshop.cli import cli
from bookshop.models import Email
from shop_support import HAMMING, command_environment, fill_address, the_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def capture_on_shipping(shop, monkeypatch):
    """This shop authorizes cards at checkout and charges them when the books ship."""
    monkeypatch.setitem(shop.app.config, "CAPTURE_METHOD", "manual")


def add_to_cart_and_check_out(page: Page, shop) -> None:
    page.goto(f"{shop.url}/books/{HAMMING}")
    page.get_by_test_id("quantity").fill("2")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    page.goto(f"{shop.url}/cart")
    page.get_by_test_id("checkout").click()
    page.get_by_test_id("email").fill("reader@example.com")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("address-name")).to_be_visible()


def test_an_address_express_delivery_authorized_then_shipped(
    page, shop, shop_db, emulator, capture_on_shipping, database_url, tmp_path
):
    add_to_cart_and_check_out(page, shop)
    fill_address(page)
    # Two copies (S$46.00) ship in Singapore for S$4.00 by standard delivery...
    expect(page.get_by_test_id("shipping-line")).to_contain_text("S$4.00")
    expect(page.get_by_test_id("order-total")).to_have_text("S$50.00")
    page.locator('[data-testid=shipping-option][data-option="sg-express"]').click()
    # ...and for S$10.00 by express: the server priced it and updated the PaymentIntent.
    expect(page.get_by_test_id("order-total")).to_have_text("S$56.00")
    expect(page.get_by_test_id("pay-button")).to_have_text("Pay S$56.00")
    expect(page.get_by_test_id("capture-note")).to_have_text(
        "We charge your card when your books ship."
    )
    page.get_by_test_id("card-number").fill("4242424242424242")
    page.get_by_test_id("card-expiry").fill("12 / 34")
    page.get_by_test_id("card-cvc").fill("123")
    page.get_by_test_id("postal-code").fill("138632")
    page.get_by_test_id("pay-button").click()

    expect(page.get_by_test_id("payment-result")).to_have_attribute(
        "data-status", "requires_capture"
    )
    expect(page.get_by_test_id("amount-authorized")).to_have_text("S$56.00")
    order = the_order(shop_db)
    assert (order.status, order.shipping_option, order.ship_to_postal_code) == (
        "authorized",
        "sg-express",
        "138632",
    )

    env = command_environment(database_url, tmp_path / "instance", emulator)
    shipped = CliRunner().invoke(
        cli,
        ["ship", order.reference, "--carrier", "SingPost", "--tracking", "RR123456789SG",
         "--url", "https://track.example/RR123456789SG"],
        env=env,
    )  # fmt: skip

    assert shipped.exit_code == 0, shipped.output
    intent = requests.get(
        f"{emulator.url}/v1/payment_intents/{order.payments[0].payment_intent_id}",
        auth=(emulator.secret_key, ""),
        timeout=10,
    ).json()
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 5600)
    assert intent["shipping"]["address"]["postal_code"] == "138632"
    shop_db.expire_all()
    email = shop_db.scalars(select(Email).where(Email.kind == "order_shipped")).one()
    assert "https://track.example/RR123456789SG" in email.body
    outbox = Path(tmp_path / "instance" / "outbox")
    assert any(outbox.glob("shipped-*.eml"))
    page.reload()
    page.goto(f"{shop.url}/orders/{order.token}")
    expect(page.get_by_test_id("fulfilment-status")).to_have_attribute("data-status", "shipped")
    expect(page.get_by_test_id("tracking-link")).to_have_text("RR123456789SG")
