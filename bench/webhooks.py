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
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from webhook_data import (  # noqa: E402  (this folder, as the script's own)
    BOOK,
    Delivery,
    check_outcome,
    deliveries_for,
    fetch_events,
    intent_of,
    make_payments,
    prepare_orders,
    wait_for_outbox,
)

SECRET = "whsec_bench_" + "0" * 24
SERVER_THREADS = 8


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
        events = [e for e in all_events if intent_of(e) not in warm]
        deliveries = deliveries_for(events, args.duplicates)
        warm_up = deliveries_for([e for e in all_events if intent_of(e) in warm], args.duplicates)
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
