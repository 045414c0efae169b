"""Browser fixtures: the real shop served over HTTP, the emulator, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import LiveServer, clear_data
from shop_support import emulator_settings, flush_webhooks, seed, shop_app
from stripe_emulator import RunningEmulator

TEST_MODE_NOTICE = "Test mode: payments are simulated locally"


@pytest.fixture(scope="package")
def shop(
    database_url: str, emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The shop, configured for the emulator exactly as the run command does, on a free port."""
    app = shop_app(
        database_url,
        tmp_path_factory.mktemp("e2e-instance"),
        **emulator_settings(emulator),
        PAYMENTS_NOTICE=TEST_MODE_NOTICE,
    )
    server = LiveServer(app).start()
    yield server
    server.stop()
    Database.dispose(app)


@pytest.fixture
def shop_db(shop: LiveServer, emulator: RunningEmulator) -> Iterator[Any]:
    """A fresh catalog per test; the session to check what the server saved."""
    seed(shop.app)
    with shop.app.app_context():
        yield db.session
        db.session.rollback()
        # Webhooks the test set off are answered before the rows they touch are deleted.
        flush_webhooks(emulator)
        clear_data(db.engine)


@pytest.fixture
def page(browser: Browser, shop_db: Any) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a test may leave screenshots for people to look at."""
    path = Path(request.config.rootpath) / ".pytest_cache" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
