"""Capture on dispatch against the emulator: authorized at checkout, captured when the books ship
(all of them, or some and the rest released), canceled before shipping, or voided when the hold
runs out; Stripe's events shuffled and repeated change none of it."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from bookshop import orders
from bookshop.actions import fulfilment
from bookshop.cli import cli
from bookshop.extensions import db
from bookshop.models import Email
from bookshop.testing import start_cart_checkout
from shop_support import (
    HAMMING,
    PUBLIC,
    Placed,
    Shop,
    command_environment,
    count,
    line_of,
    order_of,
    shop_receiving_webhooks,
    stock,
)
from stripe_emulator import RunningEmulator

SINGAPORE = {
    "name": "Ada Reader",
    "phone": "+65 6123 4567",
    "address": {"line1": "1 Fusionopolis Way", "postal_code": "138632", "country": "SG"},
}
HOLD_DAYS = 7


@pytest.fixture(scope="module")
def emulator(private_emulator: RunningEmulator) -> RunningEmulator:
    """An emulator of this module's own: its clock and faults are global to it."""
    return private_emulator


@pytest.fixture
def stripe_settings(stripe_settings: dict[str, Any]) -> dict[str, Any]:
    return {**stripe_settings, "CAPTURE_METHOD": "manual"}


@pytest.fixture
def shop(app: Flask, emulator: RunningEmulator, faults: Callable, tmp_path: Path) -> Iterator[Shop]:
    faults({"webhooks": {"retry_base_seconds": 0.1, "timeout_seconds": 10}})
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


@pytest.fixture
def buy(client: FlaskClient, csrf_headers: dict[str, str]) -> Callable[..., Placed]:
    """Start paying for books and choose express delivery to Singapore, as the page does."""

    def start(*lines: tuple[str, int]) -> Placed:
        answer = start_cart_checkout(client, *(lines or [(HAMMING, 2), (PUBLIC, 1)]))
        chosen = client.post(
            answer["deliveryUrl"],
            json={"option": "sg-express", "address": SINGAPORE},
            headers=csrf_headers,
        )
        assert chosen.status_code == 200, chosen.get_data(as_text=True)
        return Placed.from_answer(answer)

    return start


def intent_at_stripe(shop: Shop, placed: Placed) -> dict[str, Any]:
    return shop.api("GET", f"/v1/payment_intents/{placed.payment_intent}")


def advance_clock(emulator: RunningEmulator, seconds: float) -> None:
    response = requests.post(
        f"{emulator.url}/_emulator/clock/advance", json={"seconds": seconds}, timeout=60
    )
    assert response.ok, response.text


def ship(app: Flask, placed: Placed, quantities: dict[int, int] | None = None) -> None:
    with app.app_context():
        order = orders.find_order_by_reference(db.session, placed.reference)
        fulfilment.ship_order(db.session, order, quantities, "SingPost", "RR123456789SG")


def test_paying_authorizes_and_shipping_captures_the_whole_hold(shop, buy, session, app):
    placed = buy()
    shop.pay(placed)
    shop.flush()
    assert order_of(session, placed).status == "authorized"
    at_stripe = intent_at_stripe(shop, placed)
    assert (at_stripe["status"], at_stripe["amount_capturable"]) == ("requires_capture", 8400)
    assert at_stripe["shipping"]["name"] == "Ada Reader"

    ship(app, placed)
    shop.flush()

    at_stripe = intent_at_stripe(shop, placed)
    assert (at_stripe["status"], at_stripe["amount_received"]) == ("succeeded", 8400)
    order = order_of(session, placed)
    assert (order.status, order.fulfilment_status) == ("paid", "shipped")
    assert count(session, Email, Email.kind == "order_paid") == 1
    assert count(session, Email, Email.kind == "order_shipped") == 1


def test_shipping_part_captures_what_ships_and_releases_the_rest(shop, buy, session, app):
    placed = buy()
    shop.pay(placed)
    shop.flush()
    public_before = stock(session, PUBLIC)
    hamming = line_of(order_of(session, placed), HAMMING)

    ship(app, placed, {hamming.id: 2})
    shop.flush()

    at_stripe = intent_at_stripe(shop, placed)
    # Two Hammings (S$46.00) and express delivery (S$10.00); the Public's S$28.00 is released.
    assert (at_stripe["status"], at_stripe["amount_received"]) == ("succeeded", 5600)
    order = order_of(session, placed)
    assert (order.status, order.total_amount, orders.balance(order).paid) == ("paid", 5600, 5600)
    assert stock(session, PUBLIC) == public_before + 1
    with app.app_context():
        assert orders.balance(order_of(db.session, placed)).refundable == 5600


def test_a_second_ship_action_captures_nothing_more(shop, buy, session, app):
    placed = buy()
    shop.pay(placed)
    shop.flush()
    ship(app, placed)

    with pytest.raises(orders.OrderError, match="already shipped"):
        ship(app, placed)

    assert intent_at_stripe(shop, placed)["amount_received"] == 8400


def test_canceling_before_shipping_releases_the_hold(shop, buy, session, app):
    placed = buy((HAMMING, 1))
    shop.pay(placed)
    shop.flush()
    before = stock(session, HAMMING)

    with app.app_context():
        order = orders.find_order_by_reference(db.session, placed.reference)
        fulfilment.let_go_books(db.session, order, None)
    shop.flush()

    at_stripe = intent_at_stripe(shop, placed)
    assert (at_stripe["status"], at_stripe["amount_received"]) == ("canceled", 0)
    assert order_of(session, placed).status == "canceled"
    assert stock(session, HAMMING) == before + 1


def test_a_hold_that_runs_out_voids_the_order_and_tells_the_customer(shop, buy, session, emulator):
    placed = buy((HAMMING, 1))
    shop.pay(placed)
    shop.flush()
    before = stock(session, HAMMING)
    capture_before = order_of(session, placed).payments[0].capture_before
    assert capture_before is not None

    advance_clock(emulator, HOLD_DAYS * 86400 + 60)
    shop.flush()

    at_stripe = intent_at_stripe(shop, placed)
    assert (at_stripe["status"], at_stripe["cancellation_reason"]) == ("canceled", "automatic")
    order = order_of(session, placed)
    assert order.status == "canceled"
    assert stock(session, HAMMING) == before + 1
    assert count(session, Email, Email.kind == "hold_expired") == 1


def test_shuffled_and_repeated_events_authorize_and_capture_once(
    shop, buy, session, app, faults, client
):
    shop.control("webhooks/pause")
    faults({"webhooks": {"shuffle": True, "duplicate": 3}})
    placed = buy()
    shop.pay(placed)
    assert client.get(placed.return_path).status_code == 200  # the customer comes back
    ship(app, placed)  # the shop's own calls go ahead; Stripe's news arrives later, in a heap

    shop.control("webhooks/resume")
    shop.flush()

    order = order_of(session, placed)
    assert (order.status, order.fulfilment_status) == ("paid", "shipped")
    assert [e.to_status for e in order.events if e.track == "payment"] == [
        "pending_payment",
        "authorized",
        "paid",
    ]
    assert count(session, Email, Email.kind == "order_paid") == 1
    assert count(session, Email, Email.kind == "order_shipped") == 1


def test_shipping_from_the_command_line_captures_at_stripe(
    shop, buy, session, emulator, database_url, tmp_path
):
    placed = buy((HAMMING, 1))
    shop.pay(placed)
    shop.flush()
    env = command_environment(database_url, tmp_path / "instance", emulator)

    result = CliRunner().invoke(
        cli,
        ["ship", placed.reference, "--carrier", "SingPost", "--tracking", "RR1SG",
         "--url", "https://track.example/RR1SG"],
        env=env,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "shipped 1 copies with SingPost RR1SG; order is paid, shipped" in result.output
    assert intent_at_stripe(shop, placed)["amount_received"] == 3300
    refused = CliRunner().invoke(
        cli, ["ship", "BK-NONE-XXXX", "--carrier", "x", "--tracking", "y"], env=env
    )
    assert refused.exit_code == 1
    assert "There is no order BK-NONE-XXXX" in refused.output
