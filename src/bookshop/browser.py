"""Which browser is this: a random id in a long-lived signed cookie, for "My orders"."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "bookshop_browser"
MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
_ID = re.compile(r"[A-Za-z0-9_-]{32}")
_CACHE = "bookshop.browser_id"
_NEW = "bookshop.browser_id_is_new"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt="bookshop.browser-id")


def browser_id(create: bool = False) -> str | None:
    """This browser's id; with `create`, a new one (sent back as a cookie) when it has none."""
    if _CACHE in request.environ:
        cached: str | None = request.environ[_CACHE]
        return cached
    value: str | None = None
    raw = request.cookies.get(COOKIE_NAME)
    if raw and len(raw) < 200:
        try:
            loaded = _serializer().loads(raw)
        except BadSignature:
            loaded = None
        if isinstance(loaded, str) and _ID.fullmatch(loaded):
            value = loaded
    if value is None and create:
        value = secrets.token_urlsafe(24)
        request.environ[_NEW] = True
    if value is not None:
        request.environ[_CACHE] = value
    return value


def adopt(browser: str | None) -> None:
    """Make this browser the one that placed an order it just found again (its id is sent back
    as the cookie), so "My orders" shows it."""
    if browser and _ID.fullmatch(browser) and browser_id() != browser:
        request.environ[_CACHE] = browser
        request.environ[_NEW] = True


def init_app(app: Flask) -> None:
    """Send the cookie when a request created the id."""

    @app.after_request
    def _set_cookie(response: Response) -> Response:
        if request.environ.pop(_NEW, False):
            response.set_cookie(
                COOKIE_NAME,
                _serializer().dumps(request.environ[_CACHE]),
                max_age=MAX_AGE_SECONDS,
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
                samesite="Lax",
            )
        return response
