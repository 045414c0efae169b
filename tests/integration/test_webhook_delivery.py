"""Webhooks end to end: the emulator signs and delivers events to a shop served over HTTP."""

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from bookshop import payments
from bookshop.devserver import ensure_webhook_endpoint
from bookshop.models import Order, StripeEvent
from bookshop.testing import LiveServer


@pytest.fixture
def live_shop(app, emulator, tmp_path) -> Iterator[LiveServer]:
    """The shop on a free port, registered with the emulator as a webhook endpoint."""
    server = LiveServer(app).start()
    url = f"{server.url}/webhooks/stripe"
    with app.app_context():
        app.config["STRIPE_WEBHOOK_SECRET"] = ensure_webhook_endpoint(url, tmp_path / "wh.json")
    yield server
    with app.app_context():
        for endpoint in payments.list_webhook_endpoints():
            if endpoint.url == url:
                payments.delete_webhook_endpoint(endpoint.id)
    server.stop()


def flush(emulator):
    response = requests.post(f"{emulator.url}/_emulator/webhooks/flush", timeout=15)
    assert response.status_code == 200


def test_a_delivered_succeeded_event_marks_the_order_paid_without_the_return_page(
    live_shop, emulator, session, start_checkout, pay
):
    started = start_checkout()
    pay(started, "4242424242424242")
    flush(emulator)

    session.expire_all()
    order = session.scalars(select(Order).where(Order.reference == started.reference)).one()
    assert order.status == "paid"
    types = {e.type for e in session.scalars(select(StripeEvent))}
    assert "payment_intent.succeeded" in types


def test_duplicated_deliveries_are_handled_once(
    live_shop, emulator, faults, session, start_checkout, pay
):
    faults({"webhooks": {"duplicate": 3}})
    started = start_checkout()
    pay(started, "4242424242424242")
    flush(emulator)
    session.expire_all()
    order = session.scalars(select(Order).where(Order.reference == started.reference)).one()
    assert order.status == "paid"
    assert [e.to_status for e in order.events] == ["pending_payment", "paid"]


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
