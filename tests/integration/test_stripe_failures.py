"""Stripe down, slow or failing: a clear message, logged once, nothing half-written."""

import socket

import pytest
from sqlalchemy import select

from bookshop.models import Order, Payment
from bookshop.testing import csrf_token
from shop_support import HAMMING, count

INTENT_URL = f"/checkout/{HAMMING}/payment-intent"
UNAVAILABLE = "Payments are unavailable right now. Please try again in a few minutes."


def error_logs(caplog):
    return [r for r in caplog.records if r.name == "bookshop.errors"]


@pytest.mark.parametrize("status", [500, 429, "drop"])
def test_stripe_failing_while_starting_a_payment(
    client, session, csrf_headers, faults, caplog, status
):
    faults({"errors": [{"status": status, "path": "/v1/payment_intents", "method": "POST"}]})

    response = client.post(INTENT_URL, json={"email": "r@example.com"}, headers=csrf_headers)

    assert response.status_code == 503
    assert response.json["error"]["message"] == UNAVAILABLE
    assert count(session, Order) == 0
    assert len(error_logs(caplog)) == 1


def test_one_transient_stripe_error_is_retried_and_the_customer_never_knows(
    client, csrf_headers, faults
):
    faults({"errors": [{"status": 500, "path": "/v1/payment_intents", "count": 1}]})
    response = client.post(INTENT_URL, json={"email": "r@example.com"}, headers=csrf_headers)
    assert response.status_code == 201


def test_stripe_too_slow_gives_up_after_the_timeout(make_app, faults, caplog):
    app = make_app(STRIPE_TIMEOUT=0.3)
    client = app.test_client()
    token = csrf_token(client, f"/checkout/{HAMMING}")
    faults({"latency": [{"path": "/v1/payment_intents", "min_ms": 1500, "max_ms": 1500}]})

    response = client.post(
        INTENT_URL,
        json={"email": "r@example.com"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )

    assert response.status_code == 503
    assert len(error_logs(caplog)) == 1


def test_stripe_unreachable_gives_the_same_clear_message(make_app, session):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app = make_app(STRIPE_API_BASE=f"http://127.0.0.1:{closed_port}")
    client = app.test_client()
    token = csrf_token(client, f"/checkout/{HAMMING}")

    response = client.post(
        INTENT_URL, json={"email": "r@example.com"}, headers={"X-CSRFToken": token}
    )

    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    assert count(session, Order) == 0


@pytest.mark.parametrize("status", [500, 429])
def test_stripe_failing_on_the_return_page_shows_the_unavailable_page(
    client, session, start_checkout, pay, faults, caplog, status
):
    placed = start_checkout()
    pay(placed, "4242424242424242")
    faults({"errors": [{"status": status, "path": "/v1/payment_intents/*", "method": "GET"}]})

    response = client.get(placed.return_path)
    html = response.get_data(as_text=True)

    assert response.status_code == 503
    assert UNAVAILABLE in html
    assert "Traceback" not in html
    session.expire_all()
    assert session.scalars(select(Payment)).one().status == "requires_payment_method"
    assert len(error_logs(caplog)) == 1
