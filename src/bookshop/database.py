"""The database engine and the request-scoped session, bound to the app with init_app."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Connections to a SQLite file kept open for reuse: at least one per serving thread, since a new
# one costs its PRAGMAs and a fresh read of the schema, and a thread waits when none is free.
SQLITE_POOL_SIZE = 64
_EXTENSION_KEY = "bookshop.database"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the backend: SQLite in WAL mode with a busy timeout, or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if parsed.database and parsed.database != ":memory:":
            connect_args["factory"] = SerializedWrites
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or INSERT matched (its result is a cursor result at run time)."""
    return cast(CursorResult[Any], result).rowcount


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one request writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_WRITER_LOCKS: dict[tuple[str, int], WriterLock] = {}
_WRITER_LOCKS_LOCK = threading.Lock()
# How long a writer waiting on another process sleeps between tries, at first and at most: short,
# so it starts soon after the lock is free (SQLite's busy handler sleeps up to 100 ms a time).
_POLL_FIRST, _POLL_MAX = 0.0002, 0.002


class WriterLock:
    """One writer at a time for a SQLite file: a thread lock among this process's connections,
    then an advisory lock on a file beside the database among processes (the server's workers)."""

    def __init__(self, database: str) -> None:
        self._threads = threading.Lock()
        try:
            self._fd: int | None = os.open(
                f"{database}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        except OSError:  # a read-only directory: SQLite's own lock still protects
            self._fd = None

    def acquire(self, timeout: float) -> bool:
        """Take the lock within `timeout` seconds; False when that ran out."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._fd is None or self._lock_file(self._fd, deadline):
            return True
        self._threads.release()
        return False

    def release(self) -> None:
        """Give the lock back, to this process's threads and to other processes."""
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    @staticmethod
    def _lock_file(fd: int, deadline: float) -> bool:
        pause = _POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)


def writer_lock(database: str) -> WriterLock:
    """The writer lock of a database file, the same for every connection to it in this process."""
    # A forked worker makes its own: the parent's could be held by a thread the child does not
    # have, and a descriptor shared with the parent shares its file lock too.
    key = (database, os.getpid())
    with _WRITER_LOCKS_LOCK:
        if key not in _WRITER_LOCKS:
            _WRITER_LOCKS[key] = WriterLock(database)
        return _WRITER_LOCKS[key]


class SerializedWrites(sqlite3.Connection):
    """A SQLite connection holding its file's writer lock from a write to the commit."""

    # SQLite has one writer at a time; its busy handler makes the others sleep and poll, up to
    # 100 ms a time, long after the lock is free. Queued on a lock, they start as soon as it is.

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._write_lock = writer_lock(str(Path(str(database)).resolve()))
        self._writing = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _SerializedCursor)

    def before_write(self) -> None:
        if not self._writing:
            # Past the busy timeout, go on without it: SQLite's own lock still protects.
            self._writing = self._write_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def after_statement(self) -> None:
        if self._writing and not self.in_transaction:  # committed, rolled back or autocommit
            self._writing = False
            self._write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after_statement()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after_statement()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._writing:
                self._writing = False
                self._write_lock.release()


class _SerializedCursor(sqlite3.Cursor):
    connection: SerializedWrites

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        if _WRITE.match(sql):
            self.connection.before_write()
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after_statement()

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        if _WRITE.match(sql):
            self.connection.before_write()
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.after_statement()


class Database:
    """One engine per app, one session per app context (request, CLI command or test)."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions[_EXTENSION_KEY] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        factory: sessionmaker[Session] = current_app.extensions[_EXTENSION_KEY]
        engine: Engine = factory.kw["bind"]
        return engine

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions[_EXTENSION_KEY]()
        session: Session = g.db_session
        return session

    @staticmethod
    def engine_of(app: Flask) -> Engine:
        """The app's engine, outside any app context."""
        engine: Engine = app.extensions[_EXTENSION_KEY].kw["bind"]
        return engine

    @staticmethod
    def _remove_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()

    @staticmethod
    def dispose(app: Flask, close: bool = True) -> None:
        """Close the app's pooled connections (tests and the runner call this on the way out); in
        a forked child, `close=False` forgets the parent's connections without touching them."""
        app.extensions[_EXTENSION_KEY].kw["bind"].dispose(close=close)


def alembic_ini() -> Path:
    """The repository's alembic.ini (migrations ship with the source tree, not the wheel)."""
    path = Path(__file__).resolve().parents[2] / "alembic.ini"
    if not path.is_file():
        raise FileNotFoundError(f"alembic.ini not found at {path}; run from a source checkout")
    return path


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision`."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(alembic_ini()))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
