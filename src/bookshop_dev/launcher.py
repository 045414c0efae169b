"""Migrate, seed and serve; with no Stripe key, start the local Stripe emulator as a child
process and point the shop at it through configuration only."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask import Flask

from bookshop import config as settings
from bookshop import create_app
from bookshop.cli import prepare_process
from bookshop.serving import (
    RunError,
    ensure_webhook_endpoint,
    prepare_database,
    serve,
    write_private,
)
from bookshop.urls import external_url
from stripe_emulator import (
    DEFAULT_PORT,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
    EmulatorProcess,
)
from stripe_emulator.hosting.ports import free_port, port_is_free

log = logging.getLogger("bookshop.run")

TEST_MODE_NOTICE = "Test mode: payments are simulated locally"
LOOPBACK = "127.0.0.1"


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
    values.setdefault("PORT", str(port))  # SHOP_URL defaults to http://localhost:<port>
    if not production:
        # One process with a few threads: the same server as production, sized for one person.
        values.setdefault("WEB_WORKERS", "1")
        values.setdefault("WEB_THREADS", "8")

    emulator: EmulatorProcess | None = None
    previous_handler = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if not values.get("STRIPE_SECRET_KEY"):
            if production:
                raise RunError("STRIPE_SECRET_KEY is required in production (see .env.example)")
            emulator = _start_emulator(instance / "emulator.db", _emulator_port(env))
            values.update(
                STRIPE_SECRET_KEY=DEFAULT_SECRET_KEY,
                STRIPE_PUBLISHABLE_KEY=DEFAULT_PUBLISHABLE_KEY,
                STRIPE_API_BASE=emulator.url,
                STRIPE_JS_URL=f"{emulator.url}/v3/",
                PAYMENTS_NOTICE=values.get("PAYMENTS_NOTICE") or TEST_MODE_NOTICE,
            )
            log.info("no STRIPE_SECRET_KEY: using the local Stripe emulator at %s", emulator.url)

        app = create_app(values)
        prepare_database(app.config["DATABASE_URL"])
        _back_office_hint(app)
        if emulator is not None and not app.config["STRIPE_WEBHOOK_SECRET"]:
            with app.app_context():
                app.config["STRIPE_WEBHOOK_SECRET"] = ensure_webhook_endpoint(
                    external_url("webhooks.stripe_events"), instance / "webhook_endpoint.json"
                )
        serve(app, host, port)
    finally:
        if emulator is not None:
            emulator.stop()
            log.info("Stripe emulator stopped")
        signal.signal(signal.SIGTERM, previous_handler)


def _back_office_hint(app: Flask) -> None:
    """Say where the back office is, and how to make its first account when there is none."""
    if not app.config["BACKOFFICE_ENABLED"]:
        return
    from sqlalchemy import func, select

    from bookshop.extensions import db
    from bookshop.models import StaffUser

    with app.app_context():
        accounts = db.session.scalar(select(func.count()).select_from(StaffUser)) or 0
        url = external_url("admin.dashboard")
    if accounts:
        log.info("back office: %s", url)
    else:
        log.info(
            "back office: %s - create the first account with: "
            ".venv/bin/python -m bookshop staff add you@example.com --role admin",
            url,
        )


def _start_emulator(db_path: Path, port: int) -> EmulatorProcess:
    try:
        return EmulatorProcess(db_path, host=LOOPBACK, port=port).start()
    except RuntimeError as exc:
        raise RunError(f"the Stripe emulator did not start: {exc}") from None


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _emulator_port(env: Mapping[str, str]) -> int:
    wanted = env.get("STRIPE_EMULATOR_PORT", "").strip()
    if wanted:
        return int(wanted)
    return DEFAULT_PORT if port_is_free(LOOPBACK, DEFAULT_PORT) else free_port(LOOPBACK)


def _local_secret_key(path: Path) -> str:
    """A random SECRET_KEY kept in the instance folder, so sessions survive restarts."""
    if path.is_file():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    write_private(path, key)
    return key


@click.command()
@click.option("--host", envvar="HOST", default=LOOPBACK, show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def cli(host: str, port: int) -> None:
    """Migrate, load the catalog and serve the shop; with no Stripe key, on the emulator."""
    try:
        run(host, port)
    except (RunError, settings.ConfigError) as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    """Entry point: read `.env` and set up logging as the shop's commands do, then run."""
    prepare_process()
    cli.main(args=sys.argv[1:], prog_name="bookshop_dev")
