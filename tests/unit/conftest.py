"""Unit-test fixtures: the app on a throwaway database, Stripe faked at the payments boundary."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from bookshop import create_app, payments
from bookshop.catalog import seed_catalog
from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import clear_data, csrf_token, database_kind, temporary_database

WEBHOOK_SECRET = "whsec_unit_test_secret"


@dataclass
class FakeStripe:
    """PaymentIntents and refunds kept in memory, standing in for the payments functions."""

    intents: dict[str, payments.PaymentIntent] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    fail_with: payments.PaymentError | None = None
    canceled: list[str] = field(default_factory=list)
    refunds_by_key: dict[str, payments.Refund] = field(default_factory=dict)
    refund_status: str = "succeeded"
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def create_payment_intent(self, **params: Any) -> payments.PaymentIntent:
        if self.fail_with is not None:
            raise self.fail_with
        self.created.append(params)
        pi_id = f"pi_fake{next(self._ids):06d}"
        intent = payments.PaymentIntent(
            id=pi_id,
            status="requires_payment_method",
            amount=params["amount"],
            amount_received=0,
            currency=params["currency"],
            metadata=dict(params["metadata"]),
            receipt_email=params["receipt_email"],
            client_secret=f"{pi_id}_secret_fake",
        )
        self.intents[pi_id] = intent
        return intent

    def retrieve_payment_intent(self, payment_intent_id: str) -> payments.PaymentIntent:
        self.retrieved.append(payment_intent_id)
        if self.fail_with is not None:
            raise self.fail_with
        if payment_intent_id not in self.intents:
            raise payments.PaymentNotFound(f"no such payment_intent {payment_intent_id}")
        return self.intents[payment_intent_id]

    def cancel_payment_intent(
        self, payment_intent_id: str, reason: str = "abandoned", idempotency_key: str | None = None
    ) -> payments.PaymentIntent:
        self.canceled.append(payment_intent_id)
        if self.fail_with is not None:
            raise self.fail_with
        intent = self.intents[payment_intent_id]
        if intent.status in ("succeeded", "canceled", "processing"):
            raise payments.InvalidPaymentRequest(f"cannot cancel a {intent.status} PaymentIntent")
        self.intents[payment_intent_id] = replace(intent, status="canceled")
        return self.intents[payment_intent_id]

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int,
        idempotency_key: str,
        metadata: Any,
        reason: str | None = None,
    ) -> payments.Refund:
        if self.fail_with is not None:
            raise self.fail_with
        if idempotency_key in self.refunds_by_key:
            return self.refunds_by_key[idempotency_key]
        intent = self.intents[payment_intent_id]
        refund = payments.Refund(
            id=f"re_fake{next(self._ids):06d}",
            amount=amount,
            currency=intent.currency,
            status=self.refund_status,
            payment_intent=payment_intent_id,
            charge=None,
            reason=reason,
            metadata=dict(metadata),
        )
        self.refunds_by_key[idempotency_key] = refund
        return refund

    def set_status(self, payment_intent_id: str, status: str, **changes: Any) -> None:
        """Move a PaymentIntent as Stripe would after the customer acts."""
        intent = self.intents[payment_intent_id]
        if status == "succeeded":
            changes.setdefault("amount_received", intent.amount)
        self.intents[payment_intent_id] = replace(intent, status=status, **changes)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with temporary_database(database_kind(), tmp_path_factory.mktemp("unit-db")) as url:
        yield url


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    fake = FakeStripe()
    monkeypatch.setattr(payments, "create_payment_intent", fake.create_payment_intent)
    monkeypatch.setattr(payments, "retrieve_payment_intent", fake.retrieve_payment_intent)
    monkeypatch.setattr(payments, "cancel_payment_intent", fake.cancel_payment_intent)
    monkeypatch.setattr(payments, "create_refund", fake.create_refund)
    return fake


@pytest.fixture
def app(database_url: str, fake_stripe: FakeStripe, tmp_path: Any) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "STRIPE_SECRET_KEY": "sk_test_unit",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_unit",
            # Nothing listens here: a call that escaped the fake fails loudly.
            "STRIPE_API_BASE": "http://127.0.0.1:9",
            "STRIPE_JS_URL": "http://127.0.0.1:9/v3/",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    with app.app_context():
        seed_catalog(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        clear_data(db.engine)
    Database.dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def csrf_headers(client: FlaskClient) -> dict[str, str]:
    """The header a checkout page's script sends with its JSON requests."""
    return {"X-CSRFToken": csrf_token(client, "/checkout/the-art-of-doing-science-and-engineering")}
