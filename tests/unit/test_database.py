"""SQLite writers in one process queue on a lock instead of polling SQLite's busy handler."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from bookshop.database import SerializedWrites, make_engine


def connect(path):
    conn = sqlite3.connect(path, factory=SerializedWrites, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def test_a_second_writer_waits_for_the_first_to_commit_and_readers_never_wait(tmp_path):
    path = tmp_path / "shop.db"
    first, second = connect(path), connect(path)
    first.cursor().execute("CREATE TABLE t (n INTEGER)")
    first.cursor().execute("INSERT INTO t VALUES (1)")  # a transaction holding the lock
    done = []

    def write():
        second.cursor().execute("INSERT INTO t VALUES (2)")
        second.commit()
        done.append(time.monotonic())

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.1)
    assert done == []  # queued on the lock
    assert second.cursor().execute("SELECT count(*) FROM t").fetchone() == (0,)  # reads go on
    committed = time.monotonic()
    first.commit()
    writer.join(5)
    assert done and done[0] >= committed
    assert first.cursor().execute("SELECT count(*) FROM t").fetchone() == (2,)


@pytest.mark.timeout(10)  # a lock kept would hold the next writer for 15 s
def test_the_lock_is_given_back_however_the_transaction_ends(tmp_path):
    path = tmp_path / "shop.db"
    setup = connect(path)
    setup.cursor().execute("CREATE TABLE t (n INTEGER)")
    for end in ("rollback", "close", "failed statement then rollback", "autocommit"):
        conn = connect(path)
        if end == "autocommit":
            conn.isolation_level = None
        cursor = conn.cursor()
        cursor.execute("INSERT INTO t VALUES (1)")
        if end == "rollback":
            conn.rollback()
        elif end == "close":
            conn.close()
        elif end == "failed statement then rollback":
            try:
                cursor.execute("INSERT INTO missing VALUES (1)")
            except sqlite3.OperationalError:
                conn.rollback()
        other = connect(path)
        other.cursor().execute("UPDATE t SET n = n + 1")  # would wait 15 s if still held
        other.commit()
        other.close()


def test_the_engine_uses_it_for_sqlite_files(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    with engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, SerializedWrites)
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
