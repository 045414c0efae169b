"""Fixtures shared by every test suite: a running Stripe emulator, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from stripe_emulator import RunningEmulator
from stripe_emulator.process import EmulatorProcess

# Debian's Chromium: Playwright's own browser download cannot work without internet. The flags keep
# it from reaching for Google's services, which this closed network refuses.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One emulator for the whole run, as `python -m stripe_emulator` serves it (granian)."""
    server = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "stripe.db").start()
    yield server
    assert server.stop() == 0, "the emulator did not stop cleanly on SIGTERM"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test; each test opens its own context."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
