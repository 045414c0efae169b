"""App-wide error handlers: roll back, log once, answer with a page or JSON, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .payments import PaymentError, PaymentNotFound, PaymentUnavailable

log = logging.getLogger(__name__)

TITLES = {
    400: "That request did not look right",
    403: "You cannot do that",
    404: "We could not find that page",
    405: "That is not allowed here",
    409: "That cannot be done right now",
    413: "That request was too large",
    429: "Please slow down",
    500: "Something went wrong on our side",
    502: "The payment could not be processed",
    503: "Payments are unavailable",
}
MESSAGES = {
    400: "Please go back and try again.",
    404: "The book or page you were looking for is not here. It may have moved.",
    500: "We have been told about it. Please try again in a moment.",
}


def wants_json() -> bool:
    """Whether the client asked for JSON (the checkout script does) rather than a page."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str | None = None) -> ResponseReturnValue:
    """The error as JSON for scripts or as a page for people."""
    title = TITLES.get(status, "Something went wrong")
    text = message or MESSAGES.get(status, "Please try again.")
    if wants_json():
        return jsonify(error={"status": status, "message": text}), status
    if request_ctx.url_adapter is None:
        # The request never matched this app (an untrusted Host): no links can be built.
        return f"{title}. {text}", status, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("errors/error.html", status=status, title=title, message=text), status


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        _rollback()
        log.info("CSRF check failed on %s %s: %s", request.method, request.path, exc.description)
        return error_response(
            400, "Your session has expired or the form is out of date. Reload the page and retry."
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        _rollback()
        status = exc.code or 500
        if status >= 500:
            return _server_error(exc)
        # Messages we raise with abort(…, description) are written for customers; Werkzeug's
        # defaults are not, so fall back to ours.
        custom = exc.description if exc.description != type(exc).description else None
        response = make_response(error_response(status, custom))
        # Keep what the client needs to come back (Retry-After on 429, Allow on 405).
        for name, value in exc.get_headers():
            if name in ("Retry-After", "Allow"):
                response.headers[name] = value
        return response

    @app.errorhandler(PaymentUnavailable)
    def _payments_unavailable(exc: PaymentUnavailable) -> ResponseReturnValue:
        _rollback()
        log.warning("payments unavailable on %s %s: %s", request.method, request.path, exc)
        return error_response(503, exc.user_message)

    @app.errorhandler(PaymentNotFound)
    def _payment_not_found(exc: PaymentNotFound) -> ResponseReturnValue:
        _rollback()
        log.info("payment not found on %s: %s", request.path, exc)
        return error_response(404)

    @app.errorhandler(PaymentError)
    def _payment_error(exc: PaymentError) -> ResponseReturnValue:
        _rollback()
        log.error("payment error on %s %s: %s", request.method, request.path, exc)
        return error_response(502, exc.user_message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        return _server_error(exc)

    def _server_error(exc: BaseException) -> ResponseReturnValue:
        _rollback()
        if not isinstance(exc, HTTPException) or isinstance(exc, InternalServerError):
            original = getattr(exc, "original_exception", None) or exc
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
        status = exc.code if isinstance(exc, HTTPException) and exc.code else 500
        return error_response(status)
