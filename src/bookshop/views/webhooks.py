"""The endpoint Stripe posts events to."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from .. import payments, webhooks
from ..extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/stripe")
def stripe_events() -> ResponseReturnValue:
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        # Without a secret anyone could post events; refuse them all (Stripe retries later).
        log.error("webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return jsonify(error={"message": "webhooks are not configured"}), 503
    try:
        event = payments.verify_webhook(
            request.get_data(), request.headers.get("Stripe-Signature"), secret
        )
    except payments.InvalidWebhook as exc:
        log.warning("webhook refused: %s", exc)
        return jsonify(error={"message": "invalid webhook"}), 400
    try:
        handled = webhooks.handle_event(db.session, event)
        db.session.commit()
    except IntegrityError:
        # The same event delivered twice at once: the other delivery recorded it.
        db.session.rollback()
        handled = False
    return jsonify(received=True, duplicate=not handled)
