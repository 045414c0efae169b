"""Hosted Checkout against the emulator: the customer pays on its hosted page with an address and a
delivery option; every checkout.session.* event, shuffled and repeated, makes one paid order and
one email; an unpaid session expiring through the test clock gives the stock back."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from bookshop.models import Email
from shop_support import (
    CARD_EXPIRY,
    HAMMING,
    PAID_CARD,
    PUBLIC,
    Shop,
    count,
    emulator_settings,
    shop_receiving_webhooks,
    start_hosted_checkout,
    stock,
    the_order,
)
from stripe_emulator import EmulatorProcess, RunningEmulator


@pytest.fixture(scope="module")
def emulator(private_emulator: RunningEmulator) -> RunningEmulator:
    """An emulator of this module's own: its clock and faults are global to it."""
    return private_emulator


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(CHECKOUT_MODE="hosted")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # the shop's own pages
    return client


@pytest.fixture
def shop(app: Flask, emulator: RunningEmulator, faults: Callable, tmp_path: Path) -> Iterator[Shop]:
    faults({"webhooks": {"retry_base_seconds": 0.1, "timeout_seconds": 10}})
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


def pay_on_hosted_page(
    shop: Shop, url: str, option: str = "Singapore express", **fields: str
) -> requests.Response:
    """What the customer types on Stripe's hosted page: an address in Singapore, a delivery
    option (express unless told) and a card."""
    session_id = url.rsplit("/", 1)[1]
    found = shop.api(
        "GET", f"/v1/checkout/sessions/{session_id}?expand[]=shipping_options.shipping_rate"
    )
    rates = {
        o["shipping_rate"]["display_name"]: o["shipping_rate"]["id"]
        for o in found["shipping_options"]
    }
    form = {
        "email": "reader@example.com",
        "shipping_name": "Ada Reader",
        "shipping_country": "SG",
        "shipping_line1": "1 Fusionopolis Way",
        "shipping_city": "Singapore",
        "shipping_postal_code": "138632",
        "shipping_rate": rates[option],
        "card_number": PAID_CARD,
        "card_expiry": CARD_EXPIRY,
        "card_cvc": "123",
        "cardholder_name": "Ada Reader",
        "postal_code": "138632",
        **fields,
    }
    return requests.post(url, data=form, allow_redirects=False, timeout=10)


def session_at_stripe(shop: Shop, session_id: str) -> dict[str, Any]:
    return shop.api("GET", f"/v1/checkout/sessions/{session_id}")


def test_every_session_event_shuffled_and_repeated_makes_one_paid_order_and_one_email(
    shop, client, session, faults
):
    shop.control("webhooks/pause")
    faults({"payments": {"settle_seconds": 1}, "webhooks": {"shuffle": True, "duplicate": 3}})
    started = start_hosted_checkout(client)
    paid = pay_on_hosted_page(shop, started.headers["Location"])
    session_id = the_order(session).checkout_session_id
    deadline = time.monotonic() + 10
    while session_at_stripe(shop, session_id)["payment_status"] != "paid":
        assert time.monotonic() < deadline, "the payment never settled"
        time.sleep(0.2)

    shop.control("webhooks/resume")
    shop.flush()

    assert paid.status_code == 303 and session_id in paid.headers["Location"]
    events = shop.api("GET", "/v1/events?type=checkout.session.*&limit=100")["data"]
    assert {e["type"] for e in events if e["data"]["object"]["id"] == session_id} == {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    }
    order = the_order(session)
    # Each event re-reads the session from Stripe: by the time they arrive the money is in.
    assert [e.to_status for e in order.events] == ["pending_payment", "paid"]
    assert (order.shipping_option, order.shipping_amount, order.total_amount) == (
        "sg-express",
        1000,
        8400,
    )
    assert (order.ship_to_name, order.ship_to_line1, order.ship_to_country) == (
        "Ada Reader",
        "1 Fusionopolis Way",
        "SG",
    )
    assert count(session, Email, Email.kind == "order_paid") == 1


def test_the_success_page_shows_the_receipt_and_empties_the_cart(shop, client, session):
    started = start_hosted_checkout(client, (HAMMING, 1))
    paid = pay_on_hosted_page(shop, started.headers["Location"])

    receipt = client.get(paid.headers["Location"].removeprefix(shop.server.url))

    html = receipt.get_data(as_text=True)
    assert receipt.status_code == 200 and 'data-status="succeeded"' in html
    assert "Singapore express" in html and "1 Fusionopolis Way" in html
    assert the_order(session).status == "paid"
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_an_unpaid_session_expiring_by_the_clock_gives_the_stock_back(make_app, session, tmp_path):
    # An emulator of the test's own: its clock moves forward for good.
    with EmulatorProcess(tmp_path / "clock.db") as own:
        app = make_app(**emulator_settings(own), CHECKOUT_MODE="hosted")
        client = app.test_client()
        client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
        with shop_receiving_webhooks(app, own, tmp_path) as shop:
            before = stock(session, HAMMING), stock(session, PUBLIC)
            start_hosted_checkout(client)
            assert stock(session, HAMMING) == before[0] - 2

            shop.control("clock/advance", seconds=32 * 60)
            shop.flush()

            order = the_order(session)
            assert order.status == "canceled"
            assert order.events[-1].note == "expired: not paid in time"
            assert (stock(session, HAMMING), stock(session, PUBLIC)) == before
            assert session_at_stripe(shop, order.checkout_session_id)["status"] == "expired"


def test_canceling_from_the_order_page_expires_the_session_at_stripe(shop, client, session):
    start_hosted_checkout(client, (HAMMING, 1))
    order = the_order(session)
    token = client.get(f"/orders/{order.token}/cancel").get_data(as_text=True)
    csrf = token.split('name="csrf_token" value="')[1].split('"')[0]

    client.post(f"/orders/{order.token}/cancel", data={"csrf_token": csrf})
    shop.flush()

    assert the_order(session).status == "canceled"
    assert session_at_stripe(shop, order.checkout_session_id)["status"] == "expired"
