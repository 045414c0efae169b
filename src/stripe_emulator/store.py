"""SQLite persistence: one table of Stripe objects as JSON, plus idempotency keys and deliveries."""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    payment_intent TEXT,
    charge TEXT,
    tag TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_type ON objects (type, seq);
CREATE INDEX IF NOT EXISTS objects_type_tag ON objects (type, tag, seq);
CREATE INDEX IF NOT EXISTS objects_payment_intent ON objects (payment_intent, type);
CREATE INDEX IF NOT EXISTS objects_charge ON objects (charge, type);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency_keys (created);

CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    at REAL NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts (delivery_id);

CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at);

CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

TABLES = ("objects", "idempotency_keys", "deliveries", "delivery_attempts", "jobs", "settings")


class Store:
    """Objects by id and type; every write runs in one serialized transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Connections are pooled, not per thread: the server starts a thread per client
        # connection, and a connection per thread would pile up.
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        # One writer at a time: SQLite allows no more, and waiting on a lock is cheaper
        # than retrying on SQLITE_BUSY.
        self._write_lock = threading.RLock()
        with self.connection() as conn:
            conn.executescript(SCHEMA)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.row_factory = sqlite3.Row
        self._all.append(conn)
        return conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection, the same one for nested uses in this thread."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            self._idle.put(conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on any exception."""
        current = getattr(self._local, "conn", None)
        if current is not None and current.in_transaction:
            yield current  # nested: the outer transaction holds the lock and owns the commit
            return
        with self._write_lock, self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement."""
        with self.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def get(self, object_id: str, object_type: str | None = None) -> dict[str, Any] | None:
        """The object with this id (and type, when given), or None."""
        rows = self.query("SELECT type, data FROM objects WHERE id = ?", (object_id,))
        row = rows[0] if rows else None
        if row is None or (object_type is not None and row["type"] != object_type):
            return None
        found: dict[str, Any] = json.loads(row["data"])
        return found

    def put(self, obj: dict[str, Any], *, tag: str | None = None) -> dict[str, Any]:
        """Insert or replace an object; its links come from its own fields."""
        payment_intent = (
            obj.get("payment_intent") if obj["object"] != "payment_intent" else obj["id"]
        )
        charge = obj.get("charge") if obj["object"] != "charge" else obj["id"]
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO objects (id, type, created, payment_intent, charge, tag, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data,"
                " payment_intent = excluded.payment_intent, charge = excluded.charge,"
                " tag = COALESCE(excluded.tag, objects.tag)",
                (
                    obj["id"],
                    obj["object"],
                    obj["created"],
                    payment_intent if isinstance(payment_intent, str) else None,
                    charge if isinstance(charge, str) else None,
                    tag,
                    json.dumps(obj, separators=(",", ":")),
                ),
            )
        return obj

    def setting(self, key: str) -> str | None:
        """A value the emulator keeps about itself (the clock's offset), or None."""
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_setting(self, key: str, value: str) -> None:
        """Keep a value about the emulator itself."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def delete(self, object_id: str) -> None:
        """Remove an object."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def page(
        self,
        object_type: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: dict[str, int] | None = None,
        where: dict[str, str] | None = None,
        tags: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of objects, newest first, and whether more follow."""
        clauses = ["type = ?"]
        args: list[Any] = [object_type]
        for column, value in (where or {}).items():
            if column not in ("payment_intent", "charge"):
                raise ValueError(column)
            clauses.append(f"{column} = ?")
            args.append(value)
        if tags:
            clauses.append(f"tag IN ({', '.join('?' for _ in tags)})")
            args.extend(tags)
        operators = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        for name, bound in (created or {}).items():
            clauses.append(f"created {operators[name]} ?")
            args.append(bound)
        order = "DESC"
        cursor = starting_after or ending_before
        if cursor:
            found = self.query("SELECT seq FROM objects WHERE id = ?", (cursor,))
            if not found:
                return [], False
            clauses.append("seq < ?" if starting_after else "seq > ?")
            args.append(found[0]["seq"])
            if ending_before:
                order = "ASC"
        sql = f"SELECT data FROM objects WHERE {' AND '.join(clauses)} ORDER BY seq {order} LIMIT ?"
        rows = self.query(sql, (*args, limit + 1))
        items = [json.loads(row["data"]) for row in rows[:limit]]
        if order == "ASC":
            items.reverse()
        return items, len(rows) > limit

    def all_of(self, object_type: str, where: dict[str, str]) -> list[dict[str, Any]]:
        """Every object of a type linked to a payment intent or charge, oldest first."""
        items, _ = self.page(object_type, limit=10_000, where=where)
        items.reverse()
        return items

    def count(self, object_type: str | None = None) -> int:
        """How many objects are stored (of a type, when given)."""
        if object_type is None:
            rows = self.query("SELECT COUNT(*) FROM objects")
        else:
            rows = self.query("SELECT COUNT(*) FROM objects WHERE type = ?", (object_type,))
        count: int = rows[0][0]
        return count

    def reset(self) -> None:
        """Delete everything."""
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close every connection this store opened."""
        for conn in self._all:
            conn.close()
        self._all.clear()
