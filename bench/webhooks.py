"""Webhook events per second: verified, recorded and applied, every event delivered 5 times.

Run: .venv/bin/python bench/webhooks.py [--payments 400] [--duplicates 5] [--concurrency 8]
                                        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                        [--redis redis://127.0.0.1:6379/0]

Real payments are made on a local Stripe emulator (card pm_card_visa), and the events it recorded
for them (payment_intent.created, charge.succeeded, payment_intent.succeeded) are signed with the
endpoint's secret and posted to the shop's POST /webhooks/stripe, each `--duplicates` times in a
row from a pool of keep-alive client connections, so copies of one event race each other. The
shop runs in its own process under waitress, on a fresh database holding the matching orders.
After each run every order must be paid exactly once, with one confirmation email and one
stored event per event id.

The shop runs as in production, with a job queue (`--redis`, Redis on this machine by default):
the endpoint leaves the confirmation emails in the outbox, and `python -m bookshop worker` runs
beside it the whole time and sends them, on the same cores. The outcome check waits for the
outbox to empty. `--redis ''` measures the set-up without a queue, where the request that applies
an event sends its email itself.

The baseline is the same app and endpoint answering 200 without verifying or storing anything:
the ratio says what the webhook work costs, whatever the machine. Both servers run at once and
take turns: the deliveries go in `--rounds` parts, each to the baseline and then to the shop, so
both sides of a ratio see the same load from the rest of the machine. Both are warmed up first
(the shop with the events of a few payments of its own, left out of the figures). PostgreSQL is
measured when --postgres or TEST_DATABASE_URL is given.

Where the shop's time goes: `py-spy record --idle --pid PID` (or `--gil`: what holds the GIL) on
the `webhooks.py --serve` process while the bench runs.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SECRET = "whsec_bench_" + "0" * 24
BOOK = "the-art-of-doing-science-and-engineering"
SERVER_THREADS = 8


@dataclass(frozen=True)
class Delivery:
    """One POST: an event's raw JSON and the event id."""

    event_id: str
    body: bytes


@dataclass(frozen=True)
class Result:
    """What one measured run did."""

    name: str
    deliveries: int
    events: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def events_per_second(self) -> float:
        """Every event posted, copies included: each is verified and checked against the log."""
        return self.deliveries / self.seconds

    @property
    def distinct_per_second(self) -> float:
        """Events applied: each distinct event once, however many copies came."""
        return self.events / self.seconds


# --- the server process ------------------------------------------------------------------------


def serve(config: dict[str, Any], no_work: bool) -> None:
    """Serve the shop with waitress; with no_work the webhook endpoint only answers."""
    from flask import jsonify
    from waitress.server import create_server

    from bookshop import create_app

    app = create_app(config)
    if no_work:
        app.view_functions["webhooks.stripe_events"] = lambda: jsonify(
            received=True, duplicate=False
        )
    server = create_server(app, host="127.0.0.1", port=0, threads=SERVER_THREADS)
    print(f"on http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


@contextmanager
def shop_process(config: dict[str, Any], no_work: bool = False) -> Iterator[tuple[str, int]]:
    """The shop in a child process; yields its host and port."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "BOOKSHOP_BENCH_CONFIG": json.dumps(config),
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--serve"]
    if no_work:
        command.append("--no-work")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"http://([\d.]+):(\d+)", line)
            if match:
                threading.Thread(target=process.stdout.read, daemon=True).start()
                yield match.group(1), int(match.group(2))
                break
        else:
            raise RuntimeError("the shop did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def worker_process(config: dict[str, Any]) -> Iterator[None]:
    """`python -m bookshop worker` on the shop's database and a queue of its own; nothing
    without a queue."""
    if not config.get("REDIS_URL"):
        yield
        return
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE"))},
        **{key: str(value) for key, value in config.items() if key != "TESTING"},
        "PYTHONPATH": str(ROOT / "src"),
        "JOB_QUEUE": f"bench-webhooks-{os.getpid()}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bookshop", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        yield
        wait_for_outbox(config)
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_outbox(config: dict[str, Any], seconds: float = 60) -> None:
    """Until every email is sent (the worker's runs come every few seconds)."""
    from sqlalchemy import func, select

    from bookshop import create_app
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Email

    app = create_app(config)
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            unsent = select(func.count()).select_from(Email).where(Email.sent_at.is_(None))
            if not db.session.scalar(unsent):
                break
            db.session.rollback()
            time.sleep(0.5)
    Database.dispose(app)


# --- payments and their events -------------------------------------------------------------------


def make_payments(emulator: Any, count: int, amount: int, currency: str) -> dict[str, str]:
    """Real, succeeded payments on the emulator; PaymentIntent id -> order reference."""
    from bookshop.orders import new_reference

    def pay(_: int) -> tuple[str, str]:
        reference = new_reference()
        response = requests.post(
            f"{emulator.url}/v1/payment_intents",
            auth=(emulator.secret_key, ""),
            data={
                "amount": amount,
                "currency": currency,
                "metadata[order_reference]": reference,
                "payment_method": "pm_card_visa",
                "confirm": "true",
                "return_url": "http://127.0.0.1/checkout/complete",
            },
            timeout=30,
        )
        response.raise_for_status()
        intent = response.json()
        assert intent["status"] == "succeeded", intent["status"]
        return intent["id"], reference

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(pay, range(count)))


def fetch_events(emulator: Any, intents: set[str]) -> list[dict[str, Any]]:
    """Every event the emulator recorded about these PaymentIntents, oldest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = requests.get(
            f"{emulator.url}/v1/events", params=params, auth=(emulator.secret_key, ""), timeout=30
        ).json()
        for event in page["data"]:
            obj = event["data"]["object"]
            if obj.get("id") in intents or obj.get("payment_intent") in intents:
                found.append(event)
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    found.reverse()
    return found


def _intent_of(event: dict[str, Any]) -> str:
    obj = event["data"]["object"]
    return str(obj.get("payment_intent") or obj["id"])


def deliveries_for(events: list[dict[str, Any]], duplicates: int) -> list[Delivery]:
    """Each event `duplicates` times in a row, events in a random order."""
    shuffled = list(events)
    random.Random(42).shuffle(shuffled)
    return [
        Delivery(event["id"], json.dumps(event, indent=2).encode())
        for event in shuffled
        for _ in range(duplicates)
    ]


# --- the shop's database -------------------------------------------------------------------------


def prepare_orders(config: dict[str, Any], payments_made: dict[str, str]) -> None:
    """The orders behind the payments, as the checkout leaves them: placed, payment started."""
    from sqlalchemy import select, update

    from bookshop import create_app, orders, payments
    from bookshop.catalog import seed_catalog
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Book

    app = create_app(config)
    with app.app_context():
        seed_catalog(db.session)
        db.session.commit()
        # Enough copies that stock never stops a payment from being applied.
        db.session.execute(update(Book).values(stock=10 * len(payments_made) + 100))
        db.session.commit()
        book = db.session.scalars(select(Book).where(Book.slug == BOOK)).one()
        for payment_intent_id, reference in payments_made.items():
            order = orders.place_order(
                db.session, [orders.LineRequest(book, 1)], "reader@example.com", reference
            )
            orders.payment_started(
                db.session,
                order,
                payments.PaymentIntent(
                    id=payment_intent_id,
                    status="requires_payment_method",
                    amount=book.price_amount,
                    amount_received=0,
                    currency=book.currency,
                    metadata={"order_reference": reference},
                    receipt_email="reader@example.com",
                ),
            )
        db.session.commit()
    Database.dispose(app)


def check_outcome(config: dict[str, Any], orders_expected: int, events_expected: int) -> str:
    """Every order paid once, one email each, one processed record per event; or what is wrong."""
    from sqlalchemy import func, select

    from bookshop import create_app
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Email, Order, OrderEvent, StripeEvent

    app = create_app(config)
    with app.app_context():
        session = db.session

        def count(query: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

        found = {
            "paid orders": count(select(Order.id).where(Order.status == "paid")),
            "moves to paid": count(select(OrderEvent.id).where(OrderEvent.to_status == "paid")),
            "paid emails": count(select(Email.id).where(Email.kind == "order_paid")),
            "sent emails": count(select(Email.id).where(Email.sent_at.is_not(None))),
            "stored events": count(select(StripeEvent.id)),
            "processed events": count(
                select(StripeEvent.id).where(StripeEvent.processed_at.is_not(None))
            ),
        }
    Database.dispose(app)
    wanted = {
        "paid orders": orders_expected,
        "moves to paid": orders_expected,
        "paid emails": orders_expected,
        "sent emails": orders_expected,
        "stored events": events_expected,
        "processed events": events_expected,
    }
    wrong = [
        f"{name} {found[name]} (want {wanted[name]})"
        for name in wanted
        if found[name] != wanted[name]
    ]
    return "; ".join(wrong) or "ok"


# --- load ----------------------------------------------------------------------------------------


def load(
    host: str, port: int, deliveries: list[Delivery], concurrency: int
) -> tuple[float, list[float]]:
    """POST every delivery, signed now, from `concurrency` connections; seconds and latencies."""
    from stripe_emulator.delivery import sign

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    signed = [
        (
            d.body,
            {"Content-Type": "application/json", "Stripe-Signature": sign(d.body.decode(), SECRET)},
        )
        for d in deliveries
    ]

    def worker(mine: list[tuple[bytes, dict[str, str]]]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        times = []
        for body, headers in mine:
            started = time.perf_counter()
            conn.request("POST", "/webhooks/stripe", body, headers)
            response = conn.getresponse()
            text = response.read()
            times.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    failures.append(f"HTTP {response.status}: {text[:200]!r}")
        conn.close()
        with lock:
            latencies.extend(times)

    # Round-robin: the copies of one event go to different connections at about the same time.
    threads = [
        threading.Thread(target=worker, args=(signed[i::concurrency],)) for i in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries failed, first: {failures[0]}")
    return elapsed, sorted(latencies)


def measure(
    name: str,
    host: str,
    port: int,
    deliveries: list[Delivery],
    concurrency: int,
) -> Result:
    seconds, latencies = load(host, port, deliveries, concurrency)
    return _result(name, deliveries, seconds, latencies)


def measure_side_by_side(
    names: tuple[str, str],
    servers: tuple[tuple[str, int], tuple[str, int]],
    deliveries: list[Delivery],
    concurrency: int,
    rounds: int,
    duplicates: int,
) -> tuple[Result, Result]:
    """Baseline and shop taking turns over `rounds` parts of the deliveries, results summed."""
    # A burst of load from the rest of the machine then weighs on both sides alike.
    events = len(deliveries) // duplicates
    cuts = [duplicates * (events * i // rounds) for i in range(rounds + 1)]  # copies stay together
    totals: list[tuple[float, list[float]]] = [(0.0, []), (0.0, [])]
    for start, end in itertools.pairwise(cuts):
        for side, (host, port) in enumerate(servers):
            seconds, latencies = load(host, port, deliveries[start:end], concurrency)
            totals[side] = (totals[side][0] + seconds, totals[side][1] + latencies)
    base, work = (
        _result(name, deliveries, seconds, sorted(latencies))
        for name, (seconds, latencies) in zip(names, totals, strict=True)
    )
    return base, work


def _result(
    name: str, deliveries: list[Delivery], seconds: float, latencies: list[float]
) -> Result:
    return Result(
        name=name,
        deliveries=len(deliveries),
        events=len({d.event_id for d in deliveries}),
        seconds=seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
    )


def shop_config(database_url: str, emulator: Any, instance: Path, redis: str) -> dict[str, Any]:
    return {
        "REDIS_URL": redis,
        "TESTING": True,
        "SECRET_KEY": "bench-" + "x" * 40,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "STRIPE_SECRET_KEY": emulator.secret_key,
        "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_JS_URL": f"{emulator.url}/v3/",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }


def main() -> int:
    """Measure and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=400, help="real payments (3 events each)")
    parser.add_argument("--duplicates", type=int, default=5, help="copies of each event")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections")
    parser.add_argument("--warm-up", type=int, default=10, help="payments to warm the shop with")
    parser.add_argument("--rounds", type=int, default=4, help="alternations baseline/shop")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the job queue's Redis ('' for none: emails sent by the requests)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-work", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(json.loads(os.environ["BOOKSHOP_BENCH_CONFIG"]), args.no_work)
        return 0

    from bookshop.catalog import catalog_entries
    from bookshop.money import to_minor_units
    from bookshop.testing import temporary_database
    from stripe_emulator import EmulatorProcess

    entry = next(e for e in catalog_entries() if e["slug"] == BOOK)
    currency = entry["currency"].lower()
    amount = to_minor_units(entry["price"], currency)
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    if args.postgres:
        os.environ["TEST_DATABASE_URL"] = args.postgres
    results: list[Result] = []
    checks: dict[str, str] = {}

    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "stripe.db") as emulator:
        started = time.perf_counter()
        made = make_payments(emulator, args.payments + args.warm_up, amount, currency)
        warm = set(list(made)[: args.warm_up])
        all_events = fetch_events(emulator, set(made))
        events = [e for e in all_events if _intent_of(e) not in warm]
        deliveries = deliveries_for(events, args.duplicates)
        warm_up = deliveries_for([e for e in all_events if _intent_of(e) in warm], args.duplicates)
        print(
            f"{len(made) - len(warm)} payments, {len(events)} events, {len(deliveries)} deliveries "
            f"(set up in {time.perf_counter() - started:.1f}s)",
            flush=True,
        )
        for kind in kinds:
            workdir = Path(tmp) / kind
            workdir.mkdir()
            with temporary_database(kind, workdir) as url:
                config = shop_config(url, emulator, workdir / "instance", args.redis)
                prepare_orders(config, made)
                label = "SQLite" if kind == "sqlite" else "PostgreSQL"
                name = f"{label}: verify, record, apply"
                with (
                    shop_process(config, no_work=True) as baseline,
                    shop_process(config) as shop,
                    worker_process(config),
                ):
                    measure("warm-up", *baseline, deliveries[:200], args.concurrency)
                    measure("warm-up", *shop, warm_up, args.concurrency)
                    results += measure_side_by_side(
                        (f"{label} baseline: no work", name),
                        (baseline, shop),
                        deliveries,
                        args.concurrency,
                        args.rounds,
                        args.duplicates,
                    )
                checks[name] = check_outcome(config, len(made), len(all_events))

    print(
        f"\nPOST /webhooks/stripe: {len(events)} events x {args.duplicates} copies = "
        f"{len(deliveries)} deliveries, {args.concurrency} client connections, "
        f"waitress {SERVER_THREADS} threads, {os.cpu_count()} cores, "
        + ("emails sent by the worker" if args.redis else "emails sent by the requests")
    )
    print("events/s counts every event posted (copies included); distinct/s each event once")
    print(
        f"{'endpoint':40} {'events/s':>9} {'distinct/s':>10} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'vs base':>8}  outcome"
    )
    for base, result in zip(results[::2], results[1::2], strict=True):
        for row in (base, result):
            print(
                f"{row.name:40} {row.events_per_second:>9.0f} "
                f"{row.distinct_per_second:>10.0f} {row.p50_ms:>7.2f} {row.p99_ms:>7.2f} "
                f"{row.events_per_second / base.events_per_second:>8.2f}  "
                f"{checks.get(row.name, '-')}"
            )
    return 0 if all(check == "ok" for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
