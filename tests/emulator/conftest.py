"""Fixtures of the emulator's tests: SDK clients, raw HTTP, private emulators, webhook receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import stripe
from emulator_support import WebhookReceiver, sdk

from stripe_emulator.server import EmulatorServer


@pytest.fixture
def client(emulator: EmulatorServer) -> stripe.StripeClient:
    """The official SDK against the shared emulator, every answer checked against the schema."""
    return sdk(emulator)


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    """Start private emulators on one data file (to restart them); all stopped afterwards."""
    started: list[EmulatorServer] = []

    def start(*, reset: bool = False) -> EmulatorServer:
        server = EmulatorServer(tmp_path / "stripe.db", reset=reset).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """A private emulator for one test module (starting one per test would cost more)."""
    server = EmulatorServer(tmp_path_factory.mktemp("emulator") / "stripe.db").start()
    yield server
    server.stop()


@pytest.fixture
def fresh(module_emulator: EmulatorServer) -> EmulatorServer:
    """A private emulator, emptied and without faults for this test."""
    response = requests.post(f"{module_emulator.url}/_emulator/reset", timeout=10)
    assert response.status_code == 200
    return module_emulator


@pytest.fixture
def fresh_client(fresh: EmulatorServer) -> stripe.StripeClient:
    """The SDK against this test's own emulator."""
    return sdk(fresh)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A local webhook endpoint recording what it is sent."""
    found = WebhookReceiver()
    yield found
    found.close()
