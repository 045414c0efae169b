"""Logging: one line per record, JSON in production, each tagged with the request's id; anything
that looks like a secret (API keys, webhook secrets, client secrets, card numbers) is masked."""

from __future__ import annotations

import logging
import re
import secrets

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An id sent by the proxy in front is kept when it is plainly an id; anything else is replaced.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"

# Secrets that must never reach a log line, whatever code wrote it.
_SECRETS = [
    (re.compile(r"\b(pi|seti|cs)_([A-Za-z0-9]+)_secret_[A-Za-z0-9]+"), r"\1_\2_secret_***"),
    (re.compile(r"\b(sk|rk)_(live|test)_[A-Za-z0-9]+"), r"\1_\2_***"),
    (re.compile(r"\bwhsec_[A-Za-z0-9]+"), "whsec_***"),
    # Card-number-like runs of 13-19 digits (with optional spaces or dashes between groups).
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[card number masked]"),
]


def mask(text: str) -> str:
    """The text with anything that looks like a secret replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str:
    """The id of the request being served, or "-" outside requests."""
    if has_request_context():
        return str(g.get("request_id", "-"))
    return "-"


class RequestContextFilter(logging.Filter):
    """Adds the request id to every record and masks secrets in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def formatter_for(log_format: str) -> logging.Formatter:
    """One JSON object per line, or plain text; both with the request id."""
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str, log_format: str) -> logging.Handler:
    """Set up the root handler once per process: JSON or text, with request ids and masking."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_bookshop", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._bookshop = True  # type: ignore[attr-defined]
        handler.addFilter(RequestContextFilter())
        # Replace handlers set up before the app (basicConfig in the commands): one line per record.
        for old in [h for h in root.handlers if type(h) is logging.StreamHandler]:
            root.removeHandler(old)
        root.addHandler(handler)
    handler.setFormatter(formatter_for(log_format))
    if root.level in (logging.WARNING, logging.NOTSET):
        root.setLevel(logging.INFO)
    logging.getLogger("bookshop").setLevel(getattr(logging, level, logging.INFO))
    return handler


def init_app(app: Flask) -> None:
    """Give every request an id (kept from the proxy when sane), echoed as X-Request-ID."""

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else secrets.token_hex(8)

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers.setdefault(REQUEST_ID_HEADER, current_request_id())
        return response
