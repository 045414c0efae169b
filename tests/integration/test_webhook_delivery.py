"""Webhooks end to end: the emulator signs and delivers events to a shop served over HTTP."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bookshop import payments
from bookshop.models import StripeEvent
from bookshop.serving import ensure_webhook_endpoint
from shop_support import Shop, moves, order_of, shop_receiving_webhooks


@pytest.fixture
def shop(app, emulator, tmp_path) -> Iterator[Shop]:
    """The shop on a free port, registered with the emulator as a webhook endpoint."""
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


def paid_at_stripe(shop, start_checkout, pay):
    """Check out and pay, with no return page: only webhooks tell the shop."""
    placed = start_checkout()
    pay(placed)
    shop.flush()
    return placed


def test_a_delivered_succeeded_event_marks_the_order_paid_without_the_return_page(
    shop, session, start_checkout, pay
):
    placed = paid_at_stripe(shop, start_checkout, pay)

    assert order_of(session, placed).status == "paid"
    types = {e.type for e in session.scalars(select(StripeEvent))}
    assert "payment_intent.succeeded" in types


def test_duplicated_deliveries_are_handled_once(shop, faults, session, start_checkout, pay):
    faults({"webhooks": {"duplicate": 3}})
    placed = paid_at_stripe(shop, start_checkout, pay)

    order = order_of(session, placed)
    assert order.status == "paid"
    assert moves(order) == ["pending_payment", "paid"]


def test_the_endpoint_and_its_secret_are_reused_across_restarts(app, tmp_path):
    url = "http://127.0.0.1:9/webhooks/stripe"
    state = tmp_path / "webhook_endpoint.json"
    with app.app_context():
        first = ensure_webhook_endpoint(url, state)
        again = ensure_webhook_endpoint(url, state)
        assert again == first
        assert [e.url for e in payments.list_webhook_endpoints()].count(url) == 1

        state.unlink()  # the secret is lost: the endpoint is replaced, never duplicated
        replaced = ensure_webhook_endpoint(url, state)
        assert replaced != first and replaced.startswith("whsec_")
        endpoints = [e for e in payments.list_webhook_endpoints() if e.url == url]
        assert len(endpoints) == 1
        assert oct(state.stat().st_mode & 0o777) == "0o600"
        payments.delete_webhook_endpoint(endpoints[0].id)
