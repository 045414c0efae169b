"""Webhook delivery: signed POSTs in the background, retried with exponential backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from .clock import Clock
from .faults import Faults
from .store import Store
from .subscriptions import secret_of

log = logging.getLogger("stripe_emulator")
MAX_RETRY_DELAY = 3600.0  # seconds between attempts, at most
GIVE_UP_AFTER = 3 * 86_400.0  # Stripe retries for up to three days
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for a payload."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class Dispatcher:
    """Sends pending deliveries from the store; survives restarts because the queue is the store."""

    def __init__(
        self, store: Store, faults: Faults, clock: Clock | None = None, workers: int = 8
    ) -> None:
        self.store = store
        self.faults = faults
        # Schedules follow the emulator's clock; signatures keep the real time, which is what
        # the receiver checks them against.
        self.clock = clock or Clock()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._session = requests.Session()
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.on_tick: list[Any] = []  # callables run about once a second (session expiry)
        self.on_poll: list[Any] = []  # callables run on every wakeup (due jobs)

    def enqueue(self, conn: sqlite3.Connection, event_id: str, endpoint_ids: list[str]) -> None:
        """Queue one delivery per endpoint, inside the caller's transaction."""
        now = self.clock.time()
        delay = self.faults.webhooks.delay_seconds
        for endpoint_id in endpoint_ids:
            status = "dropped" if self.faults.drop_delivery() else "pending"
            conn.execute(
                "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_at, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (event_id, endpoint_id, status, now + delay, now),
            )

    def start(self) -> Dispatcher:
        """Run the delivery loop in a background thread."""
        with self.store.transaction() as conn:
            # Deliveries cut off by a stop are sent again: at-least-once, as Stripe.
            conn.execute("UPDATE deliveries SET status = 'pending' WHERE status = 'sending'")
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and wait for deliveries under way."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._session.close()

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wakeup.set()

    def catch_up(self) -> None:
        """Run the background sweeps (due jobs, expired sessions) now, in the caller's thread."""
        for sweep in [*self.on_poll, *self.on_tick]:
            sweep()

    def idle(self) -> bool:
        """Whether nothing is due or being sent."""
        with self._in_flight_lock:
            if self._in_flight:
                return False
        rows = self.store.query(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending')"
            " AND next_attempt_at <= ?",
            (self.clock.time(),),
        )
        due: int = rows[0][0]
        return due == 0

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery due now has been attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        self.wake()
        while time.monotonic() < deadline:
            if self.faults.webhooks.paused or self.idle():
                return True
            time.sleep(0.02)
        return False

    def _run(self) -> None:
        last_tick = 0.0
        while not self._stopping.is_set():
            self._wakeup.wait(0.1)
            self._wakeup.clear()
            sweeps = list(self.on_poll)
            if time.monotonic() - last_tick >= 1.0:
                last_tick = time.monotonic()
                sweeps += self.on_tick
            for sweep in sweeps:
                try:
                    sweep()
                except Exception:  # a failed sweep must not stop deliveries
                    log.exception("background sweep failed")
            if self.faults.webhooks.paused:
                continue
            if self.faults.webhooks.shuffle:
                time.sleep(0.3)  # gather a batch so that there is something to reorder
            try:
                due = self._claim_due()
            except Exception:  # the store is closing: the next start sends what is left
                log.exception("claiming deliveries failed")
                continue
            for delivery in due:
                with self._in_flight_lock:
                    self._in_flight += 1
                self._pool.submit(self._deliver, delivery)

    def _claim_due(self) -> list[dict[str, Any]]:
        """Mark due deliveries as being sent and return them, oldest first or shuffled."""
        # A read first: most wake-ups find nothing due, and need not queue for the write lock.
        if not self.store.query(
            "SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1",
            (self.clock.time(),),
        ):
            return []
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT id, event_id, endpoint_id, attempts, created FROM deliveries"
                " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 100",
                (self.clock.time(),),
            ).fetchall()
            conn.executemany(
                "UPDATE deliveries SET status = 'sending' WHERE id = ?", [(r["id"],) for r in rows]
            )
        due = [dict(row) for row in rows]
        if self.faults.webhooks.shuffle:
            random.shuffle(due)
        return due

    def _deliver(self, delivery: dict[str, Any]) -> None:
        try:
            self._attempt(delivery)
        except Exception as exc:
            log.exception("delivery %s failed", delivery["id"])
            try:
                self._finish(delivery, "retry", None, f"emulator error: {exc}"[:500], 0)
            except Exception:  # the store is closing: `sending` is sent again on the next start
                pass
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _attempt(self, delivery: dict[str, Any]) -> None:
        """POST the event (as many copies as the duplicate fault asks) and record the result."""
        event = self.store.get(delivery["event_id"], "event")
        endpoint = self.store.get(delivery["endpoint_id"], "webhook_endpoint")
        if event is None or endpoint is None:
            self._finish(delivery, "failed", None, "endpoint or event no longer exists", 0)
            return
        payload = json.dumps(event, indent=2)
        secret = secret_of(endpoint)
        copies = self.faults.webhooks.duplicate
        if copies > 1:
            threads = [
                threading.Thread(
                    target=self._post, args=(delivery, endpoint["url"], payload, secret, False)
                )
                for _ in range(copies - 1)
            ]
            for thread in threads:
                thread.start()
        else:
            threads = []
        self._post(delivery, endpoint["url"], payload, secret, True)
        for thread in threads:
            thread.join()

    def _post(
        self, delivery: dict[str, Any], url: str, payload: str, secret: str, decides: bool
    ) -> None:
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = self._session.post(
                url,
                data=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(payload, secret),
                    "User-Agent": USER_AGENT,
                },
                timeout=self.faults.webhooks.timeout_seconds,
                allow_redirects=False,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = response.text[:500]
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = int((time.monotonic() - started) * 1000)
        if decides:
            outcome = "succeeded" if error is None else "retry"
            self._finish(delivery, outcome, status, error, duration_ms)
        else:
            self._record_attempt(delivery["id"], status, error, duration_ms)

    def _record_attempt(
        self, delivery_id: int, status: int | None, error: str | None, duration_ms: int
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO delivery_attempts (delivery_id, at, status, error, duration_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (delivery_id, self.clock.time(), status, error, duration_ms),
            )

    def _finish(
        self,
        delivery: dict[str, Any],
        outcome: str,
        status: int | None,
        error: str | None,
        duration_ms: int,
    ) -> None:
        attempts = delivery["attempts"] + 1
        now = self.clock.time()
        if outcome == "retry":
            delay = min(
                self.faults.webhooks.retry_base_seconds * 2 ** (attempts - 1), MAX_RETRY_DELAY
            )
            gave_up = now + delay - delivery["created"] > GIVE_UP_AFTER
            outcome = "failed" if gave_up else "pending"
        else:
            delay = 0.0
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " last_status = ?, last_error = ? WHERE id = ?",
                (outcome, attempts, now + delay, status, error, delivery["id"]),
            )
            if duration_ms or status is not None or error:
                conn.execute(
                    "INSERT INTO delivery_attempts (delivery_id, at, status, error, duration_ms)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (delivery["id"], now, status, error, duration_ms),
                )
            if outcome in ("succeeded", "failed"):
                self._settle_pending_count(conn, delivery["event_id"])

    def _settle_pending_count(self, conn: sqlite3.Connection, event_id: str) -> None:
        """Keep the event's `pending_webhooks` equal to its deliveries still owed."""
        owed = conn.execute(
            "SELECT COUNT(*) FROM deliveries"
            " WHERE event_id = ? AND status IN ('pending', 'sending')",
            (event_id,),
        ).fetchone()[0]
        conn.execute(
            "UPDATE objects SET data = json_set(data, '$.pending_webhooks', ?) WHERE id = ?",
            (owed, event_id),
        )

    def deliveries(
        self, event_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries with their attempts, newest first."""
        clauses, args = [], []
        if event_id:
            clauses.append("event_id = ?")
            args.append(event_id)
        if status:
            clauses.append("status = ?")
            args.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.store.query(
            f"SELECT * FROM deliveries {where} ORDER BY id DESC LIMIT ?", (*args, limit)
        )
        result = []
        for row in rows:
            item = dict(row)
            item["attempt_log"] = [
                dict(attempt)
                for attempt in self.store.query(
                    "SELECT at, status, error, duration_ms FROM delivery_attempts"
                    " WHERE delivery_id = ? ORDER BY id",
                    (row["id"],),
                )
            ]
            result.append(item)
        return result
