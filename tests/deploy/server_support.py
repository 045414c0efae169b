"""What the production-server tests share: a production environment, a seeded database, the
server as a child process, and a checkout through it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from stripe_emulator import RunningEmulator

SECRET = "s" * 64
WEBHOOK_SECRET = "whsec_deploy_tests"
# Settings of the operator's own that must not leak into the servers started here.
CLEARED = (
    "STRIPE_",
    "DATABASE_URL",
    "SECRET_KEY",
    "BOOKSHOP_",
    "SHOP_URL",
    "TRUSTED_",
    "REDIS_URL",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(database_url: str, emulator: RunningEmulator, **extra: str) -> dict[str, str]:
    """What an operator sets to run the shop in production, against the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    env.update(
        BOOKSHOP_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY=emulator.secret_key,
        STRIPE_PUBLISHABLE_KEY=emulator.publishable_key,
        STRIPE_API_BASE=emulator.url,
        STRIPE_JS_URL=f"{emulator.url}/v3/",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        SHOP_URL="https://shop.example",
        WEB_WORKERS="1",
        WEB_THREADS="4",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class Server:
    """`python -m bookshop <command>` running until stopped."""

    def __init__(self, env: dict[str, str], cwd: Path, command: str = "serve") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bookshop", command, "--port", str(self.port)]
            if command == "serve"
            else [sys.executable, "-m", "bookshop", command],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, host: str = "shop.example", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.output()}")
            try:
                if requests.get(f"{self.url}/readyz", headers={"Host": host}, timeout=5).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up, or its first answer slow
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server was not ready in {seconds}s")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.output()

    def output(self) -> str:
        """Everything the process printed, once it has exited."""
        if self.process.poll() is None:
            return ""
        if self.process.stdout is not None and not self.process.stdout.closed:
            self._output = self.process.stdout.read().decode(errors="replace")
            self.process.stdout.close()
        return getattr(self, "_output", "")


def seed_database(env: dict[str, str], cwd: Path) -> None:
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "bookshop", command],
            env=env,
            cwd=cwd,
            check=True,
            capture_output=True,
        )


def checkout(
    url: str, slug: str, email: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """Open the checkout page and ask for a PaymentIntent, as the page's script does; cookies are
    sent by hand because production marks them Secure and this is plain HTTP behind a proxy."""
    base = {"Host": "shop.example", "X-Forwarded-Proto": "https", **(headers or {})}
    page = requests.get(f"{url}/checkout/{slug}", headers=base, timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
    return requests.post(
        f"{url}/checkout/{slug}/payment-intent",
        json={"email": email, "quantity": 1},
        headers={
            **base,
            "Cookie": cookie,
            "X-CSRFToken": token.group(1),
            "Accept": "application/json",
            "Referer": "https://shop.example/checkout/" + slug,
        },
        timeout=60,
    )


def answer_json(response: requests.Response) -> Any:
    return response.json()
