"""PaymentIntent creates per second on the emulator, fresh and full, beside a bare HTTP baseline.

Run: make bench  (or .venv/bin/python bench/emulator_creates.py [--requests N] [--fill N])

Each server runs in its own process, the load comes from this one over keep-alive connections.
The baseline is a Flask endpoint that reads the body and answers a constant, served the way the
emulator is (granian, one worker, the same threads): the ratio says what the emulator's own work
costs, whatever the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from stripe_emulator import EmulatorProcess  # noqa: E402
from stripe_emulator.hosting import standalone  # noqa: E402
from stripe_emulator.hosting.ports import free_port, wait_for_port  # noqa: E402

HOST = "127.0.0.1"
BASELINE_APP = """
from flask import Flask, request
app = Flask("baseline")
@app.post("/v1/payment_intents")
def create():
    request.get_data()  # as the emulator does; granian closes connections whose body is unread
    return app.response_class('{"object": "payment_intent"}', content_type="application/json")
"""
BODY = urlencode(
    {
        "amount": "2300",
        "currency": "sgd",
        "automatic_payment_methods[enabled]": "true",
        "metadata[order_id]": "42",
        "description": "The Art of Doing Science and Engineering",
    }
)
HEADERS = {
    "Authorization": "Bearer sk_test_emulator",
    "Content-Type": "application/x-www-form-urlencoded",
}


def start_baseline(command: list[str], port: int) -> subprocess.Popen[bytes]:
    """Start the baseline server and wait until it accepts connections on port."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for_port(HOST, port, timeout=30):
        process.kill()
        raise RuntimeError(f"server did not start: {' '.join(command)}")
    return process


def load(host: str, port: int, total: int, concurrency: int) -> dict[str, float]:
    """POST total creates from concurrency keep-alive connections; rate and latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = total // concurrency

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine = []
        for _ in range(per_worker):
            started = time.perf_counter()
            conn.request("POST", "/v1/payment_intents", BODY, HEADERS)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> int:
    """Measure and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3200, help="creates per measurement")
    parser.add_argument("--fill", type=int, default=50_000, help="objects stored before 'full'")
    args = parser.parse_args()
    rows: list[tuple[str, int, dict[str, float]]] = []

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "baseline.py").write_text(BASELINE_APP)
        port = free_port(HOST)
        baseline = start_baseline(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--port",
                str(port),
                "--blocking-threads",
                str(standalone.THREADS),
                "--working-dir",
                tmp,
                "baseline:app",
            ],
            port,
        )
        try:
            load(HOST, port, 320, 16)  # warm up
            for concurrency in (1, 16):
                rows.append(
                    (
                        "baseline (bare endpoint)",
                        concurrency,
                        load(HOST, port, args.requests, concurrency),
                    )
                )
        finally:
            baseline.terminate()
            baseline.wait()

    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "bench.db") as emulator:
        port = emulator.port
        load(HOST, port, 320, 16)
        for concurrency in (1, 16):
            rows.append(
                ("emulator, fresh", concurrency, load(HOST, port, args.requests, concurrency))
            )
        # Each create stores two objects: the PaymentIntent and its event.
        load(HOST, port, args.fill // 2, 16)
        for concurrency in (1, 16):
            rows.append(
                (
                    f"emulator, {args.fill:,}+ objects",
                    concurrency,
                    load(HOST, port, args.requests, concurrency),
                )
            )

    base = {
        concurrency: result["rate"]
        for name, concurrency, result in rows
        if name.startswith("baseline")
    }
    fresh = {
        concurrency: result["rate"]
        for name, concurrency, result in rows
        if name == "emulator, fresh"
    }
    print(f"PaymentIntent creates, {args.requests} per row, {os.cpu_count()} cores")
    print(
        f"{'server':32} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'vs base':>8} {'vs fresh':>8}"
    )
    for name, concurrency, result in rows:
        print(
            f"{name:32} {concurrency:>4} {result['rate']:>8.0f} {result['p50']:>8.2f} "
            f"{result['p99']:>8.2f} {result['rate'] / base[concurrency]:>8.2f} "
            f"{result['rate'] / fresh.get(concurrency, result['rate']):>8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
