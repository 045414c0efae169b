"""Health endpoints for load balancers and orchestrators: /healthz (the process answers, no I/O)
and /readyz (the database answers at the migrations' head, Stripe is configured, Redis answers
when one is configured)."""

from __future__ import annotations

import ast
import configparser
import functools
import logging
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from .extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
# The first probes arrive on several threads at once, and ast.parse is not thread-safe in
# Python 3.11 (SystemError "AST constructor recursion depth mismatch"): one thread reads the files.
_HEAD_LOCK = threading.Lock()


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks = {
        "database": _database(),
        "stripe": _stripe(),
        "redis": _redis(),
    }
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            current = connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as exc:  # any failure means "not ready"; say which kind, never the URL
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return "unreachable"
    return "ok" if current == migrations_head() else f"at {current}, not at {migrations_head()}"


def _stripe() -> str:
    # No call to Stripe: a slow Stripe must not take every instance out of the load balancer.
    cfg = current_app.config
    configured = cfg.get("STRIPE_SECRET_KEY") and cfg.get("STRIPE_WEBHOOK_SECRET")
    return "ok" if configured else "missing keys or webhook secret"


def _redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    from .jobs.connection import redis_connection  # only where Redis is configured

    try:
        redis_connection(url).ping()
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", type(exc).__name__)
        return "unreachable"
    return "ok"


def migrations_head() -> str:
    """The newest migration shipped with this code (read once per process)."""
    with _HEAD_LOCK:
        return _migrations_head()


@functools.cache
def _migrations_head() -> str:
    heads = _heads(_versions_folder())
    if len(heads) == 1:
        return heads[0]
    return _head_by_alembic()  # several heads, or files not read: Alembic decides (or says why)


def _versions_folder() -> Path:
    """The migrations' versions folder, where alembic.ini's script_location says."""
    from .database import alembic_ini

    ini = alembic_ini()
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    parser.read(ini)
    return Path(parser.get("alembic", "script_location")) / "versions"


def _heads(folder: Path) -> list[str]:
    """The revisions no other migration follows, read from the files' `revision` and
    `down_revision` (without Alembic, whose import would stay in every web worker's memory)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        names = _module_constants(path)
        if not isinstance(names.get("revision"), str):
            return []
        revisions.add(names["revision"])
        down = names.get("down_revision")
        followed.update((down,) if isinstance(down, str) else down or ())
    return sorted(revisions - followed)


def _module_constants(path: Path) -> dict[str, Any]:
    """A module's top-level names assigned a literal value."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target, value = _assignment(node)
        if target is not None and value is not None:
            try:
                found[target] = ast.literal_eval(value)
            except ValueError:
                continue
    return found


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """The name and value of a top-level assignment to one name; (None, None) for others."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id, node.value) if isinstance(target, ast.Name) else (None, None)
    return None, None


def _head_by_alembic() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from .database import alembic_ini

    head = ScriptDirectory.from_config(Config(str(alembic_ini()))).get_current_head()
    return str(head)
