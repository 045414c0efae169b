"""Browser fixtures: the real shop served over HTTP, the emulator, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page

from bookshop import create_app
from bookshop.catalog import seed_catalog
from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import LiveServer, clear_data, database_kind, temporary_database

TEST_MODE_NOTICE = "Test mode: payments are simulated locally"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with temporary_database(database_kind(), tmp_path_factory.mktemp("e2e-db")) as url:
        yield url


@pytest.fixture(scope="session")
def shop(
    database_url: str, emulator: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The shop, configured for the emulator exactly as the run command does, on a free port."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("e2e-instance")),
            "STRIPE_SECRET_KEY": emulator.secret_key,
            "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
            "STRIPE_API_BASE": emulator.url,
            "STRIPE_JS_URL": f"{emulator.url}/v3/",
            "PAYMENTS_NOTICE": TEST_MODE_NOTICE,
        }
    )
    server = LiveServer(app).start()
    server.app = app  # type: ignore[attr-defined]
    yield server
    server.stop()
    Database.dispose(app)


@pytest.fixture
def shop_db(shop: LiveServer) -> Iterator[Any]:
    """A fresh catalog per test; the session to check what the server saved."""
    app = shop.app  # type: ignore[attr-defined]
    with app.app_context():
        seed_catalog(db.session)
        db.session.commit()
        yield db.session
        db.session.rollback()
        clear_data(db.engine)


@pytest.fixture
def page(browser: Browser, shop_db: Any) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def faults(emulator: Any) -> Iterator[Any]:
    """Inject faults into the emulator; cleared after the test."""

    def inject(spec: dict[str, Any]) -> None:
        requests.post(f"{emulator.url}/_emulator/faults", json=spec, timeout=5).raise_for_status()

    yield inject
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5).raise_for_status()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a test may leave screenshots for people to look at."""
    path = Path(request.config.rootpath) / ".pytest_cache" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
