"""Unit-test fixtures: Stripe faked at the payments boundary, nothing reachable behind it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from back_office_support import accounts_in, sign_in
from bookshop import orders, payments
from bookshop.models import Order, Payment
from bookshop.testing import csrf_token
from shop_support import (
    HAMMING,
    FakeStripe,
    fake_stripe_settings,
    intent_for,
    new_order,
    placed_order,
)


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    fake = FakeStripe()
    monkeypatch.setattr(payments, "create_payment_intent", fake.create_payment_intent)
    monkeypatch.setattr(payments, "retrieve_payment_intent", fake.retrieve_payment_intent)
    monkeypatch.setattr(payments, "cancel_payment_intent", fake.cancel_payment_intent)
    monkeypatch.setattr(payments, "create_refund", fake.create_refund)
    monkeypatch.setattr(payments, "update_payment_intent", fake.update_payment_intent)
    monkeypatch.setattr(payments, "capture_payment_intent", fake.capture_payment_intent)
    monkeypatch.setattr(payments, "update_receipt_email", fake.update_receipt_email)
    for name in ("create", "retrieve", "expire", "list"):
        call = f"{name}_checkout_session" + ("s" if name == "list" else "")
        monkeypatch.setattr(payments, call, getattr(fake, call))
    return fake


@pytest.fixture
def stripe_settings(fake_stripe: FakeStripe) -> dict[str, Any]:
    """The shop's Stripe calls go to the fake; its API address is one nothing listens at."""
    return fake_stripe_settings()


@pytest.fixture
def csrf_headers(client: FlaskClient) -> dict[str, str]:
    """The header a checkout page's script sends with its JSON requests."""
    return {"X-CSRFToken": csrf_token(client, f"/checkout/{HAMMING}")}


@pytest.fixture
def pending(session: Session, fake_stripe: FakeStripe) -> str:
    """An order waiting for payment, as the checkout leaves it; its PaymentIntent's id."""
    return placed_order(session).payment_intent


@pytest.fixture
def admin_client(app: Any, fake_stripe: FakeStripe) -> FlaskClient:
    """A back-office client signed in as the shop's admin."""
    admin, _ = accounts_in(app)
    client: FlaskClient = app.test_client()
    sign_in(client, admin)
    return client


@pytest.fixture
def order(session: Session) -> Order:
    """An order for one of Hamming's book, waiting for payment (a module may make its own)."""
    return new_order(session)


@pytest.fixture
def payment(session: Session, order: Order) -> Payment:
    """The order's PaymentIntent, created and not yet paid."""
    return orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
