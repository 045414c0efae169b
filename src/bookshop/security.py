"""Security headers, with a Content-Security-Policy that admits Stripe.js and nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"
# The hosts Stripe documents for Stripe.js under a Content-Security-Policy.
STRIPE_FRAME_HOSTS = (
    "https://js.stripe.com",
    "https://*.js.stripe.com",
    "https://hooks.stripe.com",
)
STRIPE_SCRIPT_HOSTS = ("https://js.stripe.com", "https://*.js.stripe.com")
# Where hosted Checkout pages live: a form may send the customer there (CHECKOUT_MODE=hosted).
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(stripe_js_url: str, stripe_api_base: str | None) -> str:
    """The policy for every page, built from where Stripe.js and the Stripe API are served."""
    js_origin = origin(stripe_js_url)
    api_origin = origin(stripe_api_base) if stripe_api_base else STRIPE_API_ORIGIN
    scripts: tuple[str, ...]
    frames: tuple[str, ...]
    connect: tuple[str, ...]
    if js_origin == STRIPE_JS_ORIGIN:
        scripts, frames, connect = STRIPE_SCRIPT_HOSTS, STRIPE_FRAME_HOSTS, (api_origin,)
        checkout = STRIPE_CHECKOUT_ORIGIN
    else:
        # A self-hosted Stripe.js stand-in talks to its own origin as well as the API's.
        scripts = frames = (js_origin,)
        connect = tuple(dict.fromkeys((api_origin, js_origin)))
        checkout = api_origin  # a stand-in serves its hosted Checkout page beside its API
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *scripts],
        "frame-src": list(frames),
        "connect-src": ["'self'", *connect],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'", checkout],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_app(app: Flask) -> None:
    """Attach the headers to every response."""
    policy = content_security_policy(app.config["STRIPE_JS_URL"], app.config["STRIPE_API_BASE"])
    production = app.config["BOOKSHOP_ENV"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # Stripe.js may open 3-D Secure in a popup; keep the opener link for it.
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
        if production and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
