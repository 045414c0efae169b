"""Integration fixtures: the shop through Flask's test client, the real emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from bookshop import create_app
from bookshop.catalog import seed_catalog
from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import clear_data, csrf_token, database_kind, temporary_database

BOOK = "the-art-of-doing-science-and-engineering"


@dataclass(frozen=True)
class Started:
    """A checkout that reached Stripe: what the browser got back."""

    payment_intent: str
    client_secret: str
    reference: str

    @property
    def return_path(self) -> str:
        return (
            f"/checkout/complete?payment_intent={self.payment_intent}"
            f"&payment_intent_client_secret={self.client_secret}"
        )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with temporary_database(database_kind(), tmp_path_factory.mktemp("integration-db")) as url:
        yield url


@pytest.fixture
def make_app(database_url: str, emulator: Any, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build shop apps wired to the emulator, each with its own overrides; cleaned up after."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "STRIPE_SECRET_KEY": emulator.secret_key,
                "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
                "STRIPE_API_BASE": emulator.url,
                "STRIPE_JS_URL": f"{emulator.url}/v3/",
                "STRIPE_TIMEOUT": 5,
                **overrides,
            }
        )
        if not apps:
            with app.app_context():
                seed_catalog(db.session)
                db.session.commit()
        apps.append(app)
        return app

    yield build
    if apps:
        with apps[0].app_context():
            clear_data(db.engine)
    for app in apps:
        Database.dispose(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def faults(emulator: Any) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Inject faults into the emulator; they are cleared after the test whatever happens."""

    def inject(spec: dict[str, Any]) -> None:
        response = requests.post(f"{emulator.url}/_emulator/faults", json=spec, timeout=5)
        response.raise_for_status()

    yield inject
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5).raise_for_status()


@pytest.fixture
def stripe_api(emulator: Any) -> Iterator[requests.Session]:
    """A server-side Stripe API session (secret key), for looking at what the shop created."""
    with requests.Session() as api:
        api.auth = (emulator.secret_key, "")
        yield api


def csrf_headers_for(client: FlaskClient, slug: str = BOOK) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, f"/checkout/{slug}"), "Accept": "application/json"}


@pytest.fixture
def csrf_headers(client: FlaskClient) -> dict[str, str]:
    return csrf_headers_for(client)


@pytest.fixture
def start_checkout(client: FlaskClient) -> Callable[..., Started]:
    """Do what the checkout page's script does before the Payment Element appears."""

    def start(slug: str = BOOK, **body: Any) -> Started:
        response = client.post(
            f"/checkout/{slug}/payment-intent",
            json={"email": "reader@example.com", **body},
            headers=csrf_headers_for(client, slug),
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        secret = response.json["clientSecret"]
        return Started(secret.split("_secret_")[0], secret, response.json["order"])

    return start


@pytest.fixture
def pay(emulator: Any) -> Callable[..., requests.Response]:
    """Do what Stripe.js does when the customer presses Pay: confirm with the card."""

    def confirm(started: Started, number: str, cvc: str = "123") -> requests.Response:
        return requests.post(
            f"{emulator.url}/v1/payment_intents/{started.payment_intent}/confirm",
            data={
                "key": emulator.publishable_key,
                "client_secret": started.client_secret,
                "return_url": "http://localhost/checkout/complete",
                "payment_method_data[type]": "card",
                "payment_method_data[card][number]": number,
                "payment_method_data[card][exp_month]": "12",
                "payment_method_data[card][exp_year]": "2034",
                "payment_method_data[card][cvc]": cvc,
                "payment_method_data[billing_details][address][postal_code]": "018956",
            },
            timeout=10,
        )

    return confirm
