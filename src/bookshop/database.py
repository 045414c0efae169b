"""The database engine and the request-scoped session, bound to the app with init_app."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
_EXTENSION_KEY = "bookshop.database"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the backend: SQLite in WAL mode with a busy timeout, or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
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
