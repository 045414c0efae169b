"""SQLite writers queue on a lock (among threads, and among the server's worker processes) instead
of polling SQLite's busy handler."""

import sqlite3
import subprocess
import sys
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


# Another process writing to the same file: it waits for this process's writer, then writes.
OTHER_PROCESS_WRITES = """
import sqlite3, sys, time
from bookshop.database import SerializedWrites
conn = sqlite3.connect(sys.argv[1], factory=SerializedWrites)
print(time.time(), flush=True)
conn.cursor().execute("INSERT INTO t VALUES (2)")
conn.commit()
print(time.time(), flush=True)
"""


def test_a_writer_in_another_process_waits_for_the_lock_too(tmp_path):
    path = tmp_path / "shop.db"
    first = connect(path)
    first.cursor().execute("CREATE TABLE t (n INTEGER)")
    first.cursor().execute("INSERT INTO t VALUES (1)")  # a transaction holding the lock
    command = [sys.executable, "-c", OTHER_PROCESS_WRITES, str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as other:
        assert other.stdout is not None
        float(other.stdout.readline())  # connected, about to write
        time.sleep(0.3)
        committed = time.time()
        first.commit()
        wrote = float(other.stdout.readline())
        assert other.wait(10) == 0
    assert wrote >= committed
    assert first.cursor().execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_the_lock_times_out_while_another_process_holds_it(tmp_path):
    path = str(tmp_path / "shop.db")
    holds = (
        "import sys; from bookshop.database import writer_lock; "
        "assert writer_lock(sys.argv[1]).acquire(1); print('held', flush=True); sys.stdin.read()"
    )
    lock = writer_lock(path)
    command = [sys.executable, "-c", holds, path]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        assert not lock.acquire(0.2)
        holder.stdin.close()  # the holder exits, and the system lets its lock go
        assert holder.wait(10) == 0
    assert lock.acquire(5)
    lock.release()
