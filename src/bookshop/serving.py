"""Getting the shop ready and serving it: migrations and catalog, the webhook endpoint registered
through the Stripe API, and the HTTP server."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from . import payments
from .catalog import seed_catalog
from .database import make_engine, upgrade
from .extensions import db

log = logging.getLogger("bookshop.run")

WEBHOOK_EVENTS = ["*"]


class RunError(RuntimeError):
    """The shop cannot start; the message says why and what to change."""


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
    write_private(state_file, json.dumps({"id": created.id, "url": url, "secret": created.secret}))
    log.info("webhooks: registered endpoint %s for %s", created.id, url)
    return created.secret


def serve(app: Flask, host: str, port: int, workers: int = 0, threads: int = 0) -> None:
    """Serve with gunicorn until stopped: SIGTERM lets requests in flight finish (at most
    GRACEFUL_SECONDS) and exits 0; Ctrl-C stops at once."""
    from .server import run_server

    workers = workers or app.config.get("WEB_WORKERS") or default_workers()
    threads = threads or app.config.get("WEB_THREADS") or 8
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1") else host
    print(
        f"\n  Bookshop is running on http://{shown}:{port}  ({workers} × {threads} threads; "
        "Ctrl-C to stop)\n",
        flush=True,
    )
    try:
        run_server(app, host, port, workers, threads)
    finally:
        db.dispose(app)


def default_workers() -> int:
    """One worker process per core: requests mostly wait on Stripe, which threads cover."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
