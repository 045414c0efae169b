"""Integration fixtures: the shop through Flask's test client, the real emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from bookshop.testing import csrf_token
from shop_support import HAMMING, PAID_CARD, Placed, emulator_settings, pay_at_emulator
from stripe_emulator import EmulatorProcess, RunningEmulator


@pytest.fixture
def stripe_settings(emulator: RunningEmulator) -> dict[str, Any]:
    """The shop talks to the emulator, giving up on a call after five seconds."""
    return {**emulator_settings(emulator), "STRIPE_TIMEOUT": 5}


@pytest.fixture(scope="module")
def private_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator of the test module's own, for modules whose faults or listings are global."""
    with EmulatorProcess(tmp_path_factory.mktemp("private-emulator") / "stripe.db") as server:
        yield server


@pytest.fixture
def stripe_api(emulator: RunningEmulator) -> Iterator[requests.Session]:
    """A server-side Stripe API session (secret key), for looking at what the shop created."""
    with requests.Session() as api:
        api.auth = (emulator.secret_key, "")
        yield api


def csrf_headers_for(client: FlaskClient, slug: str = HAMMING) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, f"/checkout/{slug}"), "Accept": "application/json"}


@pytest.fixture
def csrf_headers(client: FlaskClient) -> dict[str, str]:
    return csrf_headers_for(client)


@pytest.fixture
def start_checkout(client: FlaskClient) -> Callable[..., Placed]:
    """Do what the checkout page's script does before the Payment Element appears."""

    def start(slug: str = HAMMING, **body: Any) -> Placed:
        response = client.post(
            f"/checkout/{slug}/payment-intent",
            json={"email": "reader@example.com", **body},
            headers=csrf_headers_for(client, slug),
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return Placed.from_answer(response.json)

    return start


@pytest.fixture
def pay(emulator: RunningEmulator) -> Callable[..., requests.Response]:
    """Do what Stripe.js does when the customer presses Pay: confirm with the card."""

    def confirm(placed: Placed, number: str = PAID_CARD, cvc: str = "123") -> requests.Response:
        return pay_at_emulator(emulator, placed, number, cvc)

    return confirm
