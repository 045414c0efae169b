"""The HTTP API: routing, keys, Stripe's form encoding, idempotency, faults, errors, CORS."""

from __future__ import annotations

import base64
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from . import checkout_page, control, expansion, forms, ids, pages, params
from .core import Ctx, Emulator, public, public_json
from .errors import (
    ApiError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    RateLimitError,
    StripeError,
)
from .resources import (
    Route,
    charges,
    checkout_sessions,
    disputes,
    events,
    payment_intents,
    payment_methods,
    refunds,
    shipping_rates,
    webhook_endpoints,
)

ROUTES: list[Route] = [
    *payment_intents.ROUTES,
    *payment_methods.ROUTES,
    *charges.ROUTES,
    *refunds.ROUTES,
    *disputes.ROUTES,
    *events.ROUTES,
    *webhook_endpoints.ROUTES,
    *checkout_sessions.ROUTES,
    *shipping_rates.ROUTES,
]
IDEMPOTENCY_TTL = 24 * 3600
# Errors worth sending again, as Stripe-Should-Retry says: a conflict with a request in flight,
# a rate limit, a failure on Stripe's side. Anything else would fail the same way again.
RETRYABLE = {409, 429, 500, 502, 503}
# Stripe's `rate_limit` error, as its error code reference words it.
RATE_LIMITED = RateLimitError(
    "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
    "requests.",
    code="rate_limit",
)
log = logging.getLogger("stripe_emulator")
MAX_BODY = 256 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Stripe-Version,"
    " Stripe-Account, X-Stripe-Client-User-Agent",
    "Access-Control-Max-Age": "300",
}


def create_app(em: Emulator) -> Flask:
    """The emulator's WSGI application."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["emulator"] = em
    for route in ROUTES:
        app.add_url_rule(
            route.rule,
            endpoint=f"{route.method} {route.rule}",
            view_func=_view(em, route),
            methods=[route.method],
            provide_automatic_options=False,
        )
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(checkout_page.blueprint)
    app.register_blueprint(control.blueprint)

    @app.before_request
    def preflight_and_faults() -> Response | None:
        if not request.path.startswith("/v1/"):
            return None
        if request.method == "OPTIONS":
            return Response(status=204, headers=CORS_HEADERS)
        return _inject_fault(em)

    @app.after_request
    def api_headers(response: Response) -> Response:
        if request.path.startswith("/v1/"):
            response.headers.update(CORS_HEADERS)
            response.headers["Stripe-Version"] = request.headers.get(
                "Stripe-Version", em.api_version
            )
            response.headers.setdefault("Request-Id", ids.new_id("req", 14))
            response.headers["Cache-Control"] = "no-cache, no-store"
            key = request.headers.get("Idempotency-Key")
            if key and request.method == "POST":
                response.headers["Idempotency-Key"] = key
            if response.status_code >= 400:
                response.headers.setdefault(
                    "Stripe-Should-Retry", str(response.status_code in RETRYABLE).lower()
                )
        return response

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError) -> Response:
        return _json(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> BaseResponse:
        if not request.path.startswith("/v1/"):
            return error.get_response()
        if error.code in (404, 405):
            message = (
                f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/."
            )
            return _json(InvalidRequestError(message).body(), 404)
        if error.code == 413:
            return _json(InvalidRequestError("Request body too large.").body(), 413)
        return _json(
            InvalidRequestError(error.description or "Bad request.").body(), error.code or 400
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # A bug, not the caller's fault: answer as Stripe does, and keep the traceback.
        log.exception("unexpected error on %s %s", request.method, request.path)
        body = ApiError("An unexpected error occurred in the emulator.").body()
        # Its transaction was rolled back, but the same request would meet the same bug.
        return _json(body, 500, {"Stripe-Should-Retry": "false"})

    return app


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def _inject_fault(em: Emulator) -> Response | None:
    """Rate limiting, latency and injected errors configured through the control API."""
    if em.faults.over_rate_limit():
        return _json(RATE_LIMITED.body(), 429, {"Stripe-Should-Retry": "true"})
    delay = em.faults.delay_for(request.path)
    if delay:
        time.sleep(delay)
    rule = em.faults.error_for(request.method, request.path)
    if rule is None:
        return None
    if rule.status == "drop":
        return _dropped_connection()
    retry = {"Stripe-Should-Retry": str(rule.should_retry).lower()}
    if rule.status == 429:
        return _json(RATE_LIMITED.body(), 429, retry)
    if rule.status == 409:
        key = request.headers.get("Idempotency-Key", "")
        conflict = IdempotencyError(
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going through):"
            f" {key}. Please try again later."
        )
        return _json(conflict.body(), 409, retry)
    error = ApiError("An unknown error occurred (injected by the emulator).")
    return _json(error.body(), 500, retry)


def _dropped_connection() -> Response:
    """Cut the connection before a complete answer; the request is never handled."""
    # waitress (the in-process server) hides its socket; the disconnect check is a method of the
    # connection's channel, which holds it. Shut down, it closes with no answer at all.
    channel = getattr(request.environ.get("waitress.client_disconnected"), "__self__", None)
    sock = getattr(channel, "socket", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return Response(status=500)

    # granian has sent the status line and headers by the time the body is read; a body that
    # fails before its first byte makes it close the connection there, the answer cut short.
    def failing_body() -> Iterator[bytes]:
        raise ConnectionAbortedError("connection dropped by an injected fault")
        yield b""  # a generator, so that the failure comes while the body is read

    return Response(
        failing_body(),
        status=500,
        headers={"Content-Length": "2"},
        content_type="application/json",
        direct_passthrough=True,
    )


def api_key(em: Emulator, route_params: dict[str, Any]) -> str:
    """Which key the caller used: `secret` or `publishable`; 401 for anything else."""
    header = request.headers.get("Authorization", "")
    key = ""
    if header.startswith("Bearer "):
        key = header[7:].strip()
    elif header.startswith("Basic "):
        try:
            key = base64.b64decode(header[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        key = route_params.pop("key", "") if isinstance(route_params.get("key"), str) else ""
    else:
        route_params.pop("key", None)
    if not key:
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    if key.startswith(("sk_live_", "pk_live_", "rk_live_")):
        raise AuthenticationError(
            "This emulator accepts test mode keys only; live mode keys are refused."
        )
    if key == em.secret_key:
        return "secret"
    if key == em.publishable_key:
        return "publishable"
    masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]
    raise AuthenticationError(f"Invalid API Key provided: {masked}")


def base_url() -> str:
    """Where the caller reached the emulator, for the URLs it hands out (3-D Secure, Checkout)."""
    environ = request.environ
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ['wsgi.url_scheme']}://{host}"


def request_params() -> dict[str, Any]:
    """The query string (GET, DELETE) or form body (POST), decoded with bracket nesting."""
    if request.method == "POST":
        content_type = request.mimetype
        if content_type not in ("", "application/x-www-form-urlencoded"):
            raise InvalidRequestError(
                f"Invalid request: unsupported Content-Type {content_type}. If error persists "
                "and you need assistance, please contact support@stripe.com."
            )
        raw = request.get_data(cache=True, as_text=False)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestError("Invalid request: the body is not valid UTF-8.") from exc
        pairs = parse_qsl(text, keep_blank_values=True)
        pairs += parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    else:
        pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    return forms.decode(pairs)


def _view(em: Emulator, route: Route) -> Callable[..., Response]:
    def view(**path_args: str) -> Response:
        raw = request_params()
        key_kind = api_key(em, raw)
        if key_kind == "publishable" and not route.publishable:
            raise AuthenticationError(
                "This API call cannot be made with a publishable API key. Please use a secret "
                "API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys."
            )
        parsed = params.parse(raw, route.spec)
        request_id = ids.new_id("req", 14)
        ctx = Ctx(
            em=em,
            base_url=base_url(),
            key_kind=key_kind,
            request_id=request_id,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        if route.method == "GET":
            found = expansion.present(
                ctx, route.handler(ctx, parsed, **path_args), parsed.get("expand", [])
            )
            return _json(found, 200, {"Request-Id": request_id})
        status, body, replayed = _run_write(ctx, route, parsed, path_args)
        headers = {"Request-Id": request_id}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        if ctx.emitted and em.dispatcher is not None:
            em.dispatcher.wake()
        return Response(body, status=status, headers=headers, content_type="application/json")

    return view


def _run_write(
    ctx: Ctx, route: Route, parsed: dict[str, Any], path_args: dict[str, str]
) -> tuple[int, str, bool]:
    """Run a POST or DELETE in one transaction, replaying or refusing by idempotency key."""
    key = ctx.idempotency_key
    if key is not None and not 0 < len(key) <= 255:
        raise IdempotencyError("Idempotency keys must be 1 to 255 characters long.")
    fingerprint = forms.fingerprint(parsed) if key is not None else ""
    store = ctx.store
    with store.transaction() as conn:
        if key is not None:
            row = conn.execute(
                "SELECT method, path, fingerprint, status, body, created FROM idempotency_keys"
                " WHERE api_key = ? AND key = ?",
                (ctx.key_kind, key),
            ).fetchone()
            if row is not None and row["created"] > ctx.em.clock.time() - IDEMPOTENCY_TTL:
                if (row["method"], row["path"], row["fingerprint"]) != (
                    route.method,
                    request.path,
                    fingerprint,
                ):
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request."
                    )
                return row["status"], row["body"], True
        try:
            result = route.handler(ctx, parsed, **path_args)
            if parsed.get("expand"):
                status, body = 200, json.dumps(expansion.present(ctx, result, parsed["expand"]))
            else:
                status, body = 200, public_json(result)
        except CardError as error:
            # A decline is an outcome, not a failed request: its charge and events are kept.
            if error.payment_intent is not None:
                error.payment_intent = public(error.payment_intent)
            status, body = error.status, json.dumps(error.body())
        if key is not None:
            conn.execute(
                "INSERT OR REPLACE INTO idempotency_keys"
                " (api_key, key, method, path, fingerprint, status, body, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ctx.key_kind,
                    key,
                    route.method,
                    request.path,
                    fingerprint,
                    status,
                    body,
                    ctx.now(),
                ),
            )
    return status, body, False
