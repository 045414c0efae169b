"""Security headers, with a Content-Security-Policy that admits Stripe.js and nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"
# The hosts Stripe documents for Stripe.js under a Content-Security-Policy.
STRIPE_FRAME_HOSTS = (
    "https://js.stripe.com",
    "https://*.js.stripe.com",
    "https://hooks.stripe.com",
)
STRIPE_SCRIPT_HOSTS = ("https://js.stripe.com", "https://*.js.stripe.com")
HSTS = "max-age=63072000; includeSubDomains"
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


def from_own_pages() -> bool:
    """Whether the browser says this request comes from one of the shop's own pages.

    `Sec-Fetch-Site` (Fetch Metadata), else `Origin`: browsers set both themselves and no page of
    another site can change them. A request with neither (an old browser, a script) is refused.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": typed or bookmarked, never another site
    sent = request.headers.get("Origin")
    if not sent:
        return False
    own = {origin(request.host_url)}
    if current_app.config.get("SHOP_URL"):
        own.add(origin(current_app.config["SHOP_URL"]))
    return sent in own


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
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
