"""For the shop's tests: throwaway databases (a SQLite file or a fresh PostgreSQL schema), a live
server, and the steps a customer's browser takes on the pages."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .database import make_engine, upgrade
from .models import Base

KINDS = ("sqlite", "postgresql")
# Forms carry the token in a hidden field; pages whose script posts JSON, in a meta tag.
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def database_kind() -> str:
    """Which database the tests use: BOOKSHOP_TEST_DATABASE, SQLite unless told otherwise."""
    kind = os.environ.get("BOOKSHOP_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if kind not in KINDS:
        raise RuntimeError(f"BOOKSHOP_TEST_DATABASE must be one of {KINDS}, not {kind!r}")
    return kind


@contextmanager
def temporary_database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database that disappears afterwards; yields its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bookshop.db'}"
        _migrate(url)
        yield url
        return
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        raise RuntimeError("BOOKSHOP_TEST_DATABASE=postgresql needs TEST_DATABASE_URL")
    # A schema of its own per run: parallel or interrupted runs never see each other's rows.
    schema = f"bookshop_test_{secrets.token_hex(6)}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        _migrate(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clear_data(engine: Engine, attempts: int = 5) -> None:
    """Delete every row, children first, keeping the schema."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name != "catalog_version":  # a counter that only moves forward
                        connection.execute(table.delete())
            return
        except OperationalError:
            # A live server may still be writing (a late webhook); PostgreSQL then picks one
            # side of the deadlock to fail, and the delete is simply tried again.
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The shop logs requests itself, without query strings (they carry client secrets).
        return


class LiveServer:
    """The app served over real HTTP from a background thread, on a free port; once stopped, it
    can start again on the same port."""

    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._bind()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> None:
        server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        server.daemon_threads = True  # type: ignore[attr-defined]  # a ThreadingMixIn
        self.port = server.server_port
        self.app.config["SHOP_URL"] = self.url  # the shop's public address is this server
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="bookshop-live-server", daemon=True
        )

    def start(self) -> LiveServer:
        if self._server is None:
            self._bind()
        assert self._thread is not None
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


# What a browser sends with a form posted from the shop's own page (Fetch Metadata).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def csrf_token_in(html: str) -> str:
    """The CSRF token a page carries."""
    match = CSRF_TOKEN.search(html)
    if match is None:
        raise AssertionError("the page carries no CSRF token")
    return match.group(1) or match.group(2)


def csrf_token(client: FlaskClient, path: str | None = None) -> str:
    """Load a page and return its CSRF token; by default the checkout page of the first book (the
    catalog's pages are the same for everyone and carry none)."""
    if path is None:
        path = "/checkout/" + _attribute(client.get("/").get_data(as_text=True), "data-book")
    return csrf_token_in(client.get(path).get_data(as_text=True))


def start_cart_checkout(client: FlaskClient, *lines: tuple[str, int]) -> dict[str, Any]:
    """Fill the cart with (slug, quantity) lines and start paying, as the pages and the checkout
    script do; the JSON answer (client secret, order reference)."""
    for slug, quantity in lines:
        client.post(
            "/cart/add",
            data={"book": slug, "quantity": quantity},
            headers=SAME_ORIGIN,
        )
    html = client.get("/checkout").get_data(as_text=True)
    response = client.post(
        "/checkout/payment-intent",
        json={
            "email": "reader@example.com",
            "cart_version": _attribute(html, "data-cart-version"),
            "checkout_id": _attribute(html, "data-checkout-id"),
        },
        headers={"X-CSRFToken": csrf_token_in(html), "Accept": "application/json"},
    )
    if response.status_code != 201:
        raise AssertionError(f"checkout did not start: {response.get_data(as_text=True)}")
    started: dict[str, Any] = response.json or {}
    return started


def _attribute(html: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]+)"', html)
    if match is None:
        raise AssertionError(f"the page has no {name}")
    return match.group(1)
