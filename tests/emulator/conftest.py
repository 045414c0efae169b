"""Fixtures of the emulator's tests: SDK clients, raw HTTP, private emulators, webhook receivers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stripe
from emulator_support import WebhookReceiver, emptied, sdk
from merchant_site import MerchantServer
from playwright.sync_api import Browser, Page, Request

from stripe_emulator import EmulatorProcess, EmulatorServer, RunningEmulator


@pytest.fixture
def client(emulator: RunningEmulator) -> stripe.StripeClient:
    """The official SDK against the shared emulator, every answer checked against the schema."""
    return sdk(emulator)


@pytest.fixture(params=["in-process", "standalone"])
def start_emulator(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., RunningEmulator]]:
    """Start emulators on one data file (to restart them), in this process or as the command
    runs them; all stopped afterwards."""
    started: list[EmulatorServer | EmulatorProcess] = []

    def start(*, reset: bool = False) -> RunningEmulator:
        kind = EmulatorServer if request.param == "in-process" else EmulatorProcess
        server = kind(tmp_path / "stripe.db", reset=reset).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A private emulator for one test module (starting one per test would cost more)."""
    server = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "stripe.db").start()
    yield server
    assert server.stop() == 0, "the emulator did not stop cleanly on SIGTERM"


@pytest.fixture
def fresh(module_emulator: EmulatorProcess) -> EmulatorProcess:
    """A private emulator, emptied and without faults for this test."""
    return emptied(module_emulator)


@pytest.fixture(scope="module")
def module_in_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """A private emulator inside this process, for tests that reach into its store."""
    with EmulatorServer(tmp_path_factory.mktemp("in-process") / "stripe.db") as server:
        yield server


@pytest.fixture
def in_process(module_in_process: EmulatorServer) -> EmulatorServer:
    """The in-process emulator, emptied and without faults for this test."""
    return emptied(module_in_process)


@pytest.fixture
def fresh_client(fresh: RunningEmulator) -> stripe.StripeClient:
    """The SDK against this test's own emulator."""
    return sdk(fresh)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A local webhook endpoint recording what it is sent."""
    found = WebhookReceiver()
    yield found
    found.close()


# --- a merchant's site in Chromium (the Stripe.js stand-in's browser tests) -------------------


@pytest.fixture(scope="module")
def merchant(emulator: RunningEmulator) -> Iterator[MerchantServer]:
    server = MerchantServer(emulator, sdk(emulator))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def confirm_calls(page: Page) -> list[Request]:
    """Every confirm request the page sends to the emulator."""
    calls: list[Request] = []

    def record(request: Request) -> None:
        if request.url.endswith("/confirm"):
            calls.append(request)

    page.on("request", record)
    return calls
