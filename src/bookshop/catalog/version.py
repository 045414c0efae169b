"""The catalog's version: a counter in the database that every writer of books moves in its own
transaction, so that any process can tell whether the catalog pages it rendered are still true."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..models import CatalogVersion

_ROW = 1  # the one row, inserted by migration 0009
# The shop's pages say "Only N left" up to this many copies, and "In stock" above it.
LOW_STOCK_SHOWN = 5
_READ = "SELECT version FROM catalog_version WHERE id = 1"
# How long a read waits for a writer's lock on the SQLite file (WAL readers rarely meet one).
_SQLITE_BUSY_SECONDS = 15
# Connections each process keeps for version reads on a database server (and as many more at a
# peak): a read takes one round trip, so a few serve every thread.
_SERVER_READERS = 4


def catalog_changed(session: Session) -> None:
    """Note that books changed (details, price, stock, cover): call it in the transaction that
    changes them, so the new version is seen exactly when the change is."""
    session.execute(
        update(CatalogVersion)
        .where(CatalogVersion.id == _ROW)
        .values(version=CatalogVersion.version + 1)
        .execution_options(synchronize_session=False)
    )


def stock_changed(session: Session, before: int, after: int) -> None:
    """Note a book's stock moving from `before` to `after` copies, when the pages show the change.

    Above both LOW_STOCK_SHOWN and the most copies the quantity field offers, every stock level
    reads "In stock" with the same field, so a sale there leaves the pages true. Not noting it
    spares every order an update of the one version row, which all orders would queue on.
    """
    if min(before, after) <= max(LOW_STOCK_SHOWN, _most_copies_offered()):
        catalog_changed(session)


def _most_copies_offered() -> int:
    # Outside an app (a script), no limit is known: every change is noted.
    if not has_app_context():
        return 2**62
    return int(current_app.config["CART_MAX_QUANTITY"])


def current_version(session: Session) -> int:
    """The version now (0 when the row is missing: nothing is cached then)."""
    return int(session.scalar(select(CatalogVersion.version).where(CatalogVersion.id == _ROW)) or 0)


def read_version(engine: Engine) -> int:
    """The version now, read on a pooled connection without the ORM (the hot path of every
    anonymous catalog request)."""
    connection: Any = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_READ)
        row = cursor.fetchone()
        cursor.close()
        return int(row[0]) if row else 0
    finally:
        connection.close()


class VersionReader:
    """Reads the version for the catalog pages: on a SQLite file through a bare connection that
    each thread keeps, on a server database through a few autocommit connections of its own, on
    anything else on a pooled connection (read_version)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._file = _sqlite_file(engine)
        self._local = threading.local()
        self._server = engine.url.get_backend_name() != "sqlite"
        self._readers: tuple[int, Engine] | None = None  # (process id, engine)
        event.listen(engine, "engine_disposed", self._dispose)

    def _dispose(self, _engine: Engine) -> None:
        # With the shop's engine: connections another process opened are left to it.
        if self._readers is not None:
            pid, readers = self._readers
            readers.dispose(close=pid == os.getpid())
            self._readers = None

    def __call__(self) -> int:
        if self._file is not None:
            row = self._connection(self._file).execute(_READ).fetchone()
            return int(row[0]) if row else 0
        if self._server:
            return self._read_on_server()
        return read_version(self.engine)

    def _read_on_server(self) -> int:
        # The shop's pool pings each connection before use: a second round trip on every
        # anonymous page. These connections skip it and, when the server dropped them (a
        # restart), the read is tried once more on a new one.
        for attempt in range(2):
            try:
                with self._reading_engine().connect() as connection:
                    return int(connection.exec_driver_sql(_READ).scalar() or 0)
            except DBAPIError as exc:
                if attempt or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _reading_engine(self) -> Engine:
        # Made in the process that reads: a forked worker never uses its parent's connections.
        if self._readers is None or self._readers[0] != os.getpid():
            engine = create_engine(
                self.engine.url,
                pool_size=_SERVER_READERS,
                max_overflow=_SERVER_READERS,
                pool_reset_on_return=None,  # autocommit: nothing to roll back
                isolation_level="AUTOCOMMIT",  # each read sees every committed change
            )
            self._readers = (os.getpid(), engine)
        return self._readers[1]

    def _connection(self, file: str) -> sqlite3.Connection:
        # In autocommit mode each SELECT is a transaction of its own, so it sees every change
        # committed before it by any process. A forked worker opens its own connection.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = sqlite3.connect(
                file,
                timeout=_SQLITE_BUSY_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            local.pid = os.getpid()
        connection: sqlite3.Connection = local.connection
        return connection


def _sqlite_file(engine: Engine) -> str | None:
    """The SQLite file behind an engine, or None (another database, memory, a URI filename)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return url.database
