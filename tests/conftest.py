"""Fixtures shared by every test suite: a running Stripe emulator and Debian's Chromium; for the
shop's suites, the shop on a throwaway database, reaching Stripe as each suite says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import clear_data, database_kind, temporary_database
from shop_support import seed, shop_app
from stripe_emulator import EmulatorProcess, RunningEmulator

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


@pytest.fixture
def faults(emulator: RunningEmulator) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Inject faults into the emulator; they are cleared after the test whatever happens."""

    def inject(spec: dict[str, Any]) -> None:
        requests.post(f"{emulator.url}/_emulator/faults", json=spec, timeout=5).raise_for_status()

    yield inject
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5).raise_for_status()


# --- the shop ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of the suite's own (SQLite, or PostgreSQL when asked)."""
    with temporary_database(database_kind(), tmp_path_factory.mktemp("shop-db")) as url:
        yield url


@pytest.fixture
def stripe_settings() -> dict[str, Any]:
    """How the shop reaches Stripe; each of the shop's suites says it by overriding this."""
    raise pytest.UsageError("this suite does not say how the shop reaches Stripe")


@pytest.fixture
def make_app(
    database_url: str, stripe_settings: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., Flask]]:
    """Build shop apps on the catalog, each with its own overrides; the data is cleared after."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = shop_app(database_url, tmp_path / "instance", **{**stripe_settings, **overrides})
        if not apps:
            seed(app)
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
