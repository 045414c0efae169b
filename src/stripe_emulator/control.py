"""The control API under /_emulator/: state, deliveries, faults, and test-only actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from .core import Ctx, Emulator
from .errors import StripeError
from .faults import FaultSpecError
from .resources import disputes

blueprint = Blueprint("control", __name__, url_prefix="/_emulator")
MAX_ADVANCE = 366 * 86_400  # one step of the clock, at most


def _em() -> Emulator:
    em: Emulator = current_app.extensions["emulator"]
    return em


def _problem(message: str, status: int = 400) -> Any:
    return jsonify({"error": {"message": message}}), status


def _clock(em: Emulator) -> dict[str, Any]:
    return {"now": em.clock.now(), "advanced_seconds": em.clock.offset}


@blueprint.get("/")
def summary() -> Any:
    """What the emulator holds, its keys and the faults in force."""
    em = _em()
    counts = {
        row["type"]: row["n"]
        for row in em.store.query("SELECT type, COUNT(*) AS n FROM objects GROUP BY type")
    }
    delivery_counts = {
        row["status"]: row["n"]
        for row in em.store.query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    }
    return jsonify(
        {
            "api_base": request.host_url.rstrip("/"),
            "secret_key": em.secret_key,
            "publishable_key": em.publishable_key,
            "data_file": em.store.path,
            "objects": counts,
            "deliveries": delivery_counts,
            "faults": em.faults.describe(),
            "clock": _clock(em),
        }
    )


@blueprint.post("/reset")
def reset() -> Any:
    """Forget every object, key, delivery and fault."""
    em = _em()
    em.store.reset()
    em.clock.reset()
    em.faults.clear()
    em.endpoints_changed()
    return jsonify({"reset": True})


@blueprint.get("/clock")
def clock() -> Any:
    """The emulator's time, and how far it was moved forward."""
    return jsonify(_clock(_em()))


@blueprint.post("/clock/advance")
def advance_clock() -> Any:
    """Move time forward by `seconds` (JSON or form); what fell due runs before the answer."""
    body = request.get_json(silent=True)
    given: Any = body.get("seconds") if isinstance(body, dict) else request.values.get("seconds")
    try:
        seconds = float(given) if not isinstance(given, bool) else -1.0
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= MAX_ADVANCE:
        return _problem(f"seconds must be a number more than 0 and at most {MAX_ADVANCE}")
    em = _em()
    em.advance_clock(seconds)
    return jsonify(_clock(em))


@blueprint.get("/deliveries")
def deliveries() -> Any:
    """Webhook deliveries with their attempts, newest first."""
    em = _em()
    limit = request.args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        return _problem("limit must be a whole number from 1 to 1000")
    status = request.args.get("status")
    if status not in (None, "pending", "sending", "succeeded", "failed", "dropped"):
        return _problem("status must be pending, sending, succeeded, failed or dropped")
    assert em.dispatcher is not None
    return jsonify(
        {"data": em.dispatcher.deliveries(request.args.get("event"), status, int(limit))}
    )


@blueprint.get("/faults")
def faults() -> Any:
    """The faults in force."""
    return jsonify(_em().faults.describe())


@blueprint.post("/faults")
def add_faults() -> Any:
    """Add latency or error rules; change webhook behaviour."""
    body = request.get_json(silent=True)
    try:
        _em().faults.configure(body)
    except FaultSpecError as error:
        return _problem(str(error))
    return jsonify(_em().faults.describe())


@blueprint.delete("/faults")
def clear_faults() -> Any:
    """Back to no faults."""
    _em().faults.clear()
    return jsonify(_em().faults.describe())


@blueprint.post("/webhooks/pause")
def pause() -> Any:
    """Hold every delivery."""
    _em().faults.configure({"webhooks": {"paused": True}})
    return jsonify(_em().faults.describe()["webhooks"])


@blueprint.post("/webhooks/resume")
def resume() -> Any:
    """Send what was held."""
    em = _em()
    em.faults.configure({"webhooks": {"paused": False}})
    if em.dispatcher is not None:
        em.dispatcher.wake()
    return jsonify(em.faults.describe()["webhooks"])


@blueprint.post("/webhooks/flush")
def flush() -> Any:
    """Wait (up to `timeout` seconds, default 10) until every due delivery was attempted."""
    timeout = request.args.get("timeout", "10")
    try:
        seconds = float(timeout)
    except ValueError:
        return _problem("timeout must be a number of seconds")
    if not 0 < seconds <= 60:
        return _problem("timeout must be between 0 and 60 seconds")
    em = _em()
    assert em.dispatcher is not None
    done = em.dispatcher.flush(seconds)
    return jsonify({"flushed": done}), 200 if done else 504


@blueprint.post("/disputes/<dispute_id>/close")
def close_dispute(dispute_id: str) -> Any:
    """Decide a dispute, as the card network would: won or lost."""
    em = _em()
    ctx = Ctx(em=em, base_url=request.host_url.rstrip("/"))
    status = request.values.get("status") or (request.get_json(silent=True) or {}).get("status")
    try:
        with em.store.transaction():
            dispute = disputes.close(ctx, dispute_id, status or "")
    except StripeError as error:
        return jsonify(error.body()), error.status
    if em.dispatcher is not None:
        em.dispatcher.wake()
    return jsonify(dispute)
