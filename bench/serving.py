"""The production server under load, each figure beside a baseline measured in the same run.

Run: .venv/bin/python bench/serving.py [--seconds 8] [--postgres postgresql+psycopg://…/test]

1. Catalog: GET / at 16 keep-alive connections, against a Flask hello-world served by the same
   server with the same settings (`python -m bookshop serve`: gunicorn, one worker per core),
   both running at once and measured in turns.
2. Checkout: 64 shoppers, each opening the checkout page and asking for a PaymentIntent, while the
   emulator answers PaymentIntent calls after 300 ms; payments started per second, errors.
3. One shopper, no latency: the shop's PaymentIntent request (p50) against the same create call
   made straight to the emulator.
4. Memory: resident size of each server worker process after the checkout load.

The load generator runs on the same cores as the server, so absolute figures are low; the ratios
are what to compare between runs and machines.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402

from bookshop.database import make_engine  # noqa: E402
from bookshop.testing import temporary_database  # noqa: E402
from stripe_emulator import EmulatorProcess  # noqa: E402

BOOK = "the-art-of-doing-science-and-engineering"
# The catalog and its baseline take turns this many times, in short turns: the machine's load
# moves by more than the difference measured within seconds, and a ratio per pair of turns
# (their median) sees both sides under about the same load.
TURNS = 10
HELLO = """
import sys
from flask import Flask
from bookshop.server import run_server
app = Flask("hello")
app.add_url_rule("/", "hello", lambda: "Hello, World!")
run_server(app, "127.0.0.1", int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up, or its first answer slow
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def workers_and_threads() -> tuple[int, int]:
    return max(1, len(os.sched_getaffinity(0))), 32


def start_shop(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bookshop", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=40)


WRK = shutil.which("wrk")


def hammer(port: int, path: str, connections: int, seconds: float) -> float:
    """Requests per second over keep-alive connections: with wrk when it is installed (Debian's
    `wrk`), since a Python client on the same cores spends more per response than the server."""
    if WRK:
        return _wrk(port, path, connections, seconds)
    done = [0] * connections
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            conn.request("GET", path, headers={"Host": "localhost"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            done[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def _wrk(port: int, path: str, connections: int, seconds: float) -> float:
    """Requests per second measured by wrk (two threads, `connections` keep-alive connections)."""
    result = subprocess.run(
        [WRK or "wrk", "-t2", f"-c{connections}", f"-d{max(round(seconds), 1)}s"]
        + ["-H", "Host: localhost", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise RuntimeError(f"{path} did not always answer 200:\n{result.stdout}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{result.stdout}")
    return float(rate.group(1))


def start_payment(base: str, email: str) -> tuple[int, float]:
    """Open the checkout page, then ask for a PaymentIntent; (status, seconds of the POST)."""
    with requests.Session() as session:
        page = session.get(f"{base}/checkout/{BOOK}", timeout=60)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token is not None
        started = time.perf_counter()
        answer = session.post(
            f"{base}/checkout/{BOOK}/payment-intent",
            json={"email": email, "quantity": 1},
            headers={"X-CSRFToken": token.group(1), "Accept": "application/json"},
            timeout=60,
        )
        return answer.status_code, time.perf_counter() - started


def shoppers(base: str, count: int, seconds: float) -> tuple[float, int]:
    """Payments started per second by `count` shoppers, and how many failed."""
    started_ok = [0] * count
    failed = [0] * count
    deadline = time.monotonic() + seconds

    def shopper(index: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            status, _ = start_payment(base, f"s{index}-{n}@example.com")
            if status == 201:
                started_ok[index] += 1
            else:
                failed[index] += 1

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(count)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(started_ok) / (time.monotonic() - began), sum(failed)


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def direct_creates(emulator_url: str, secret_key: str, count: int) -> list[float]:
    times = []
    with requests.Session() as api:
        api.auth = (secret_key, "")
        for i in range(count):
            started = time.perf_counter()
            answer = api.post(
                f"{emulator_url}/v1/payment_intents",
                data={
                    "amount": 2300,
                    "currency": "sgd",
                    "automatic_payment_methods[enabled]": "true",
                    "metadata[order_reference]": f"BENCH-{i}",
                },
                headers={"Idempotency-Key": f"bench-direct-{time.time_ns()}-{i}"},
                timeout=30,
            )
            answer.raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its children that still run."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of the server's worker processes (children of the master)."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            rss = re.search(r"VmRSS:\s+(\d+) kB", status)
            if rss:
                sizes.append(int(rss.group(1)) / 1024)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL URL: the shop on a schema of its own there instead of SQLite",
    )
    args = parser.parse_args()
    workers, threads = workers_and_threads()
    kind = "postgresql" if args.postgres else "sqlite"
    if args.postgres:
        os.environ["TEST_DATABASE_URL"] = args.postgres
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorProcess(Path(tmp) / "stripe.db") as stripe,
        temporary_database(kind, Path(tmp)) as database_url,
    ):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE"))},
            "SECRET_KEY": "b" * 64,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": tmp,
            "STRIPE_SECRET_KEY": stripe.secret_key,
            "STRIPE_PUBLISHABLE_KEY": stripe.publishable_key,
            "STRIPE_API_BASE": stripe.url,
            "STRIPE_JS_URL": f"{stripe.url}/v3/",
            "STRIPE_WEBHOOK_SECRET": "whsec_bench",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMITS_ENABLED": "false",
            "MAX_UNPAID_ORDERS": "0",
            "MAX_UNPAID_ORDERS_PER_ADDRESS": "0",
            "MAX_COPIES_PER_UNPAID_ORDER": "0",
            "WEB_WORKERS": str(workers),
            "WEB_THREADS": str(threads),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
        subprocess.run(
            [sys.executable, "-m", "bookshop", "seed"], env=env, check=True, capture_output=True
        )
        engine = make_engine(database_url)
        with engine.begin() as connection:  # no shopper meets "sold out"
            connection.execute(text("UPDATE books SET stock = 1000000"))
        engine.dispose()

        client = (
            "wrk" if WRK else "a Python client (install wrk for figures the client does not cap)"
        )
        print(
            f"gunicorn gthread, {workers} workers × {threads} threads, {kind}, "
            f"16 connections, {client}"
        )
        hello_port = free_port()
        hello = subprocess.Popen(
            [sys.executable, "-c", HELLO, str(hello_port), str(workers), str(threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"http://127.0.0.1:{hello_port}/")
        port = free_port()
        shop = start_shop(env, port)
        base = f"http://127.0.0.1:{port}"
        hammer(port, "/", 4, 1)  # rendered once and kept, as after the first visitor
        # Both served at once and taking turns, so a change in the machine's load falls on both
        # sides of the ratio.
        turns: list[dict[int, float]] = []  # per turn: requests/s by port
        for turn in range(TURNS):
            order = (hello_port, port) if turn % 2 == 0 else (port, hello_port)  # each goes first
            turns.append({p: hammer(p, "/", 16, args.seconds / TURNS) for p in order})
        baseline = statistics.median(rates[hello_port] for rates in turns)
        catalog = statistics.median(rates[port] for rates in turns)
        ratios = [rates[port] / rates[hello_port] for rates in turns]
        stop(hello)
        quartiles = statistics.quantiles(ratios)
        print(f"  hello-world GET / req/s: {baseline:,.0f}")
        print(f"  catalog GET / req/s: {catalog:,.0f}")
        print(
            f"  catalog / hello-world: {statistics.median(ratios):.2f} × (median of {TURNS} "
            f"pairs of turns; quartiles {quartiles[0]:.2f}–{quartiles[2]:.2f})"
        )

        direct = direct_creates(stripe.url, stripe.secret_key, 60)
        through_shop = [start_payment(base, f"one{i}@example.com")[1] for i in range(60)]
        print(
            f"one shopper, no latency: PaymentIntent via the shop p50 {p50(through_shop):.1f} ms, "
            f"straight to the emulator p50 {p50(direct):.1f} ms, "
            f"added {p50(through_shop) - p50(direct):.1f} ms"
        )

        requests.post(
            f"{stripe.url}/_emulator/faults",
            json={"latency": [{"path": "/v1/payment_intents", "ms": 300}]},
            timeout=5,
        ).raise_for_status()
        shop_cpu, own_cpu, began = cpu_seconds(shop.pid), cpu_seconds(os.getpid()), time.monotonic()
        rate, failed = shoppers(base, 64, max(args.seconds, 10))
        elapsed = time.monotonic() - began
        print(f"64 shoppers, Stripe at +300 ms: {rate:,.0f} payments started/s, {failed} errors")
        # Where the cores went: with the load generator on the same machine, the shop's CPU per
        # payment says how many payments a second these cores could start at most.
        per_payment = (cpu_seconds(shop.pid) - shop_cpu) / max(rate * elapsed, 1)
        print(
            f"  shop CPU per payment started (checkout page and PaymentIntent request): "
            f"{per_payment * 1000:.1f} ms; load generator "
            f"{(cpu_seconds(os.getpid()) - own_cpu) / elapsed:.2f} cores busy"
        )
        sizes = worker_rss_mb(shop.pid)
        print("worker RSS after load: " + ", ".join(f"{size:.0f} MB" for size in sizes))
        stop(shop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
