"""SQLite writers queue on a lock (among threads, and among the server's worker processes) instead
of polling SQLite's busy handler."""

import multiprocessing
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from bookshop.database import SerializedWrites, make_engine, writer_lock


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


FORK = multiprocessing.get_context("fork")  # as the server's workers start


def write_in_another_process(path, go, ready, wrote):
    go.wait(10)
    # No busy timeout: only the writer lock can make this wait instead of failing.
    conn = sqlite3.connect(path, factory=SerializedWrites, timeout=0)
    ready.set()
    conn.cursor().execute("INSERT INTO t VALUES (2)")
    conn.commit()
    wrote.value = time.monotonic()


def test_a_writer_in_another_process_waits_for_the_lock_too(tmp_path):
    path = tmp_path / "shop.db"
    go, ready, wrote = FORK.Event(), FORK.Event(), FORK.Value("d", 0.0)
    # Forked before this process opens the file: SQLite's locks must not be copied into a child.
    other = FORK.Process(target=write_in_another_process, args=(str(path), go, ready, wrote))
    other.start()
    first = connect(path)
    first.cursor().execute("CREATE TABLE t (n INTEGER)")
    first.cursor().execute("INSERT INTO t VALUES (1)")  # a transaction holding the lock
    go.set()
    assert ready.wait(10)
    time.sleep(0.3)
    committed = time.monotonic()
    first.commit()
    other.join(10)
    assert other.exitcode == 0
    assert wrote.value >= committed
    assert first.cursor().execute("SELECT count(*) FROM t").fetchone() == (2,)


def hold_the_lock(path, held, done):
    assert writer_lock(path).acquire(1)
    held.set()
    done.wait(10)


def test_the_lock_times_out_while_another_process_holds_it(tmp_path):
    path = str(tmp_path / "shop.db")
    held, done = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=hold_the_lock, args=(path, held, done))
    holder.start()
    assert held.wait(10)
    lock = writer_lock(path)
    assert not lock.acquire(0.2)
    done.set()  # the holder exits, and the system lets its lock go
    holder.join(10)
    assert holder.exitcode == 0
    assert lock.acquire(5)
    lock.release()
