"""PaymentIntent creates per second on the emulator, fresh and full, beside a bare HTTP baseline.

Run: make bench  (or .venv/bin/python bench/emulator_creates.py [--requests N] [--fill N])

Each server runs in its own process, the load comes from this one over keep-alive connections.
The baseline is a do-nothing Flask endpoint on the same HTTP server stack (waitress): the
ratio says what the emulator's own work costs, whatever the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BASELINE_APP = """
from flask import Flask
from waitress import create_server
app = Flask("baseline")
@app.post("/v1/payment_intents")
def create():
    return app.response_class('{"object": "payment_intent"}', content_type="application/json")
server = create_server(app, host="127.0.0.1", port=0, threads=16)
print(f"on http://127.0.0.1:{server.effective_port}", flush=True)
server.run()
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


def start(command: list[str]) -> tuple[subprocess.Popen[str], str, int]:
    """Start a server process and read the port it prints."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"http://([\d.]+):(\d+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, match.group(1), int(match.group(2))
    raise RuntimeError("server did not start")


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

    baseline, host, port = start([sys.executable, "-c", BASELINE_APP])
    try:
        load(host, port, 320, 16)  # warm up
        for concurrency in (1, 16):
            rows.append(
                (
                    "baseline (bare endpoint)",
                    concurrency,
                    load(host, port, args.requests, concurrency),
                )
            )
    finally:
        baseline.terminate()
        baseline.wait()

    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "stripe_emulator",
            "--port",
            "0",
            "--db",
            str(Path(tmp) / "bench.db"),
        ]
        emulator, host, port = start(command)
        try:
            load(host, port, 320, 16)
            for concurrency in (1, 16):
                rows.append(
                    ("emulator, fresh", concurrency, load(host, port, args.requests, concurrency))
                )
            # Each create stores two objects: the PaymentIntent and its event.
            load(host, port, args.fill // 2, 16)
            for concurrency in (1, 16):
                rows.append(
                    (
                        f"emulator, {args.fill:,}+ objects",
                        concurrency,
                        load(host, port, args.requests, concurrency),
                    )
                )
        finally:
            emulator.terminate()
            emulator.wait()

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
