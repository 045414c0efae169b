"""The endpoint Stripe posts events to (the only route exempt from CSRF: Stripe signs instead)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .. import payments, webhooks
from ..extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
_RECENT_KEY = "bookshop.webhooks.recently_processed"


@bp.post("/stripe")
def stripe_events() -> ResponseReturnValue:
    secrets = webhooks.signing_secrets(current_app.config.get("STRIPE_WEBHOOK_SECRET"))
    if not secrets:
        # Without a secret anyone could post events; refuse them all (Stripe retries later).
        log.error("webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return jsonify(error={"message": "webhooks are not configured"}), 503
    try:
        event = payments.verify_webhook(
            request.get_data(), request.headers.get("Stripe-Signature"), secrets
        )
    except payments.InvalidWebhook as exc:
        log.warning("webhook refused: %s", exc)
        return jsonify(error={"message": "invalid webhook"}), 400
    recent = _recently_processed()
    if event.id in recent:
        return jsonify(received=True, duplicate=True)
    outcome = webhooks.receive(db.session, event)
    if outcome == webhooks.Outcome.FAILED:
        # Kept with its error; a 5xx makes Stripe deliver it again.
        return jsonify(error={"message": "event not processed, please retry"}), 500
    if outcome != webhooks.Outcome.IN_FLIGHT:
        recent.add(event.id)  # processed: here, or by another delivery
    return jsonify(received=True, duplicate=outcome != webhooks.Outcome.APPLIED)


def _recently_processed() -> webhooks.RecentlyProcessed:
    """This app's memory of processed event ids (one per process, made on first use)."""
    recent = current_app.extensions.get(_RECENT_KEY)
    if recent is None:
        recent = current_app.extensions.setdefault(_RECENT_KEY, webhooks.RecentlyProcessed())
    return recent  # type: ignore[no-any-return]
