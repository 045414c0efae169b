"""`python -m bookshop run`: migrate, seed and serve; with no Stripe key, start the local Stripe
emulator as a child process and point the shop at it through configuration."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import requests
from flask import Flask
from sqlalchemy.orm import Session

from . import config as settings
from . import create_app, payments
from .catalog import seed_catalog
from .database import make_engine, upgrade
from .extensions import db

log = logging.getLogger("bookshop.run")

EMULATOR_SECRET_KEY = "sk_test_emulator"
EMULATOR_PUBLISHABLE_KEY = "pk_test_emulator"
EMULATOR_DEFAULT_PORT = 12111
TEST_MODE_NOTICE = "Test mode: payments are simulated locally"
WEBHOOK_EVENTS = ["*"]


class RunError(RuntimeError):
    """The shop cannot start; the message says why and what to change."""


@dataclass
class Emulator:
    """The emulator child process."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, db_path: Path, port: int, timeout: float = 30.0) -> Emulator:
        command = [sys.executable, "-m", "stripe_emulator", "--port", str(port)]
        command += ["--db", str(db_path)]
        # Its own session: Ctrl-C reaches only this process, which then stops the child in order.
        process = subprocess.Popen(command, start_new_session=True)
        emulator = cls(process=process, url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RunError(f"the Stripe emulator exited with code {process.returncode}")
            try:
                requests.get(f"{emulator.url}/v3/", timeout=1)
                return emulator
            except requests.RequestException:
                time.sleep(0.1)
        emulator.stop()
        raise RunError(f"the Stripe emulator did not answer on {emulator.url} within {timeout}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # Its whole group: the server's worker processes as well.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def run(host: str, port: int, environ: Mapping[str, str] | None = None) -> None:
    """Prepare everything the shop needs, then serve until Ctrl-C or SIGTERM."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = settings.settings_in(env)
    production = values.get("BOOKSHOP_ENV", "development").lower() == "production"
    instance = Path(values.get("INSTANCE_PATH") or "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    values["INSTANCE_PATH"] = str(instance)

    if not values.get("SECRET_KEY") and not production:
        values["SECRET_KEY"] = _local_secret_key(instance / "secret_key")

    emulator: Emulator | None = None
    previous_handler = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if not values.get("STRIPE_SECRET_KEY"):
            if production:
                raise RunError("STRIPE_SECRET_KEY is required in production (see .env.example)")
            emulator = Emulator.start(instance / "emulator.db", _emulator_port(env))
            values.update(
                STRIPE_SECRET_KEY=EMULATOR_SECRET_KEY,
                STRIPE_PUBLISHABLE_KEY=EMULATOR_PUBLISHABLE_KEY,
                STRIPE_API_BASE=emulator.url,
                STRIPE_JS_URL=f"{emulator.url}/v3/",
                PAYMENTS_NOTICE=values.get("PAYMENTS_NOTICE") or TEST_MODE_NOTICE,
            )
            log.info("no STRIPE_SECRET_KEY: using the local Stripe emulator at %s", emulator.url)

        app = create_app(values)
        prepare_database(app.config["DATABASE_URL"])
        if emulator is not None and not app.config["STRIPE_WEBHOOK_SECRET"]:
            with app.app_context():
                app.config["STRIPE_WEBHOOK_SECRET"] = ensure_webhook_endpoint(
                    _webhook_url(host, port), instance / "webhook_endpoint.json"
                )
        serve(app, host, port)
    finally:
        if emulator is not None:
            emulator.stop()
            log.info("Stripe emulator stopped")
        signal.signal(signal.SIGTERM, previous_handler)


def prepare_database(url: str) -> None:
    """Apply migrations and load the catalog (both safe to repeat)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            result = seed_catalog(session)
            session.commit()
        log.info(
            "catalog: %d added, %d updated, %d unchanged",
            result.created,
            result.updated,
            result.unchanged,
        )
    finally:
        engine.dispose()


def ensure_webhook_endpoint(url: str, state_file: Path) -> str:
    """The signing secret of a webhook endpoint for `url`, registered through the Stripe API.

    An endpoint whose secret is kept in `state_file` is reused; others for the same URL are
    replaced, because Stripe only reveals a secret when the endpoint is created.
    """
    saved = _read_json(state_file)
    endpoints = [e for e in payments.list_webhook_endpoints() if e.url == url]
    for endpoint in endpoints:
        if endpoint.id == saved.get("id") and saved.get("secret"):
            log.info("webhooks: reusing endpoint %s for %s", endpoint.id, url)
            return str(saved["secret"])
    for endpoint in endpoints:
        payments.delete_webhook_endpoint(endpoint.id)
    created = payments.create_webhook_endpoint(url, WEBHOOK_EVENTS)
    if not created.secret:
        raise RunError("the webhook endpoint was created without a signing secret")
    _write_private(state_file, json.dumps({"id": created.id, "url": url, "secret": created.secret}))
    log.info("webhooks: registered endpoint %s for %s", created.id, url)
    return created.secret


def serve(app: Flask, host: str, port: int) -> None:
    """Serve with waitress until interrupted."""
    from waitress.server import create_server

    try:
        server = create_server(app, host=host, port=port, threads=8)
    except OSError as exc:
        raise RunError(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT") from None
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1") else host
    print(f"\n  Bookshop is running on http://{shown}:{port}  (Ctrl-C to stop)\n", flush=True)
    server.run()  # returns on Ctrl-C (KeyboardInterrupt) or SIGTERM (SystemExit)
    server.close()
    db.dispose(app)


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _emulator_port(env: Mapping[str, str]) -> int:
    wanted = env.get("STRIPE_EMULATOR_PORT", "").strip()
    if wanted:
        return int(wanted)
    return EMULATOR_DEFAULT_PORT if _port_free(EMULATOR_DEFAULT_PORT) else _free_port()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook_url(host: str, port: int) -> str:
    # The emulator runs on this machine: reach the shop over loopback whatever it listens on.
    local = host in ("127.0.0.1", "0.0.0.0", "localhost", "::", "::1", "")
    return f"http://{'127.0.0.1' if local else host}:{port}/webhooks/stripe"


def _local_secret_key(path: Path) -> str:
    """A random SECRET_KEY kept in the instance folder, so sessions survive restarts."""
    if path.is_file():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    _write_private(path, key)
    return key


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
