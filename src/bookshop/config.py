"""Settings from the environment (and `.env`), checked before the application starts."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_STRIPE_JS_URL = "https://js.stripe.com/v3/"

# Values that must never protect sessions in production (the .env.example placeholder among them).
INSECURE_SECRET_KEYS = frozenset(
    {"", "change-me", "changeme", "secret", "dev", "development", "replace-with-64-random-hex"}
)
MIN_PRODUCTION_SECRET_LENGTH = 32

ENVIRONMENTS = ("development", "production")
# manual: the card is authorized at checkout and charged when the books ship; automatic: at once.
CAPTURE_METHODS = ("manual", "automatic")
# elements: the payment form on the shop's own page; hosted: Stripe's hosted Checkout page.
CHECKOUT_MODES = ("elements", "hosted")
# Stripe keeps a Checkout Session open for 30 minutes to 24 hours.
HOSTED_EXPIRY_MINUTES = (30, 24 * 60)

# Settings of the production set-up (server, worker, logs, public address, abuse limits).
SERVING_SETTINGS = (
    "PORT",
    "LOG_FORMAT",
    "REDIS_URL",
    "WEB_WORKERS",
    "WEB_THREADS",
    "STRIPE_CUSTOMER_BUDGET",
    "RATE_LIMITS_ENABLED",
    "PAYMENT_LIMITS",
    "DECLINE_LIMIT",
    "REFUND_LIMITS",
    "LOGIN_LIMITS",
    "MAX_UNPAID_ORDERS",
    "MAX_UNPAID_ORDERS_PER_ADDRESS",
    "MAX_COPIES_PER_UNPAID_ORDER",
)
# The staff's back office (docs/back-office.md).
BACK_OFFICE_SETTINGS = (
    "BACKOFFICE_ENABLED",
    "BACKOFFICE_PATH",
    "BACKOFFICE_IDLE_MINUTES",
    "BACKOFFICE_FRESH_MINUTES",
    "BACKOFFICE_SESSION_HOURS",
)
# Host names a development shop always answers to, whatever SHOP_URL says.
LOCAL_HOSTS = ("localhost", "127.0.0.1")

# Every setting read from the environment; .env.example documents each one.
ENV_SETTINGS = (
    "BOOKSHOP_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "INSTANCE_PATH",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_JS_URL",
    "STRIPE_TIMEOUT",
    "ALLOW_LIVE_PAYMENTS",
    "PAYMENTS_NOTICE",
    "TRUSTED_PROXY_COUNT",
    "TRUSTED_HOSTS",
    "LOG_LEVEL",
    "ORDER_EXPIRY_MINUTES",
    "REFUND_WINDOW_DAYS",
    "CART_MAX_QUANTITY",
    "CAPTURE_METHOD",
    "CHECKOUT_MODE",
    "SHOP_URL",
    "SHOP_TIME_ZONE",
    "MAIL_FROM",
    "OUTBOX_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "SMTP_SSL",
    "SMTP_TIMEOUT",
    *SERVING_SETTINGS,
    *BACK_OFFICE_SETTINGS,
)


class ConfigError(RuntimeError):
    """The settings are missing something or unsafe; the message says what to change."""


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the settings from the environment and check them."""
    return build(settings_in(os.environ if environ is None else environ))


def settings_in(environ: Mapping[str, str]) -> dict[str, str]:
    """The shop's settings found in an environment, trimmed; empty values count as unset."""
    return {name: environ[name].strip() for name in ENV_SETTINGS if environ.get(name, "").strip()}


def build(values: Mapping[str, Any]) -> dict[str, Any]:
    """Complete and check a mapping of settings; raise ConfigError when it cannot run safely."""
    cfg: dict[str, Any] = dict(values)
    cfg.setdefault("TESTING", False)
    env = str(cfg.get("BOOKSHOP_ENV") or "development").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"BOOKSHOP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    cfg["BOOKSHOP_ENV"] = env
    production = env == "production"

    cfg["INSTANCE_PATH"] = str(Path(cfg.get("INSTANCE_PATH") or "instance").resolve())
    cfg.setdefault("DATABASE_URL", default_database_url(cfg["INSTANCE_PATH"]))
    cfg["SECRET_KEY"] = _secret_key(cfg, production)

    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"):
        if not cfg.get(name):
            raise ConfigError(f"{name} is not set (see .env.example)")
    _check_key_modes(cfg)
    cfg.setdefault("STRIPE_WEBHOOK_SECRET", None)
    if production and not cfg["STRIPE_WEBHOOK_SECRET"]:
        raise ConfigError("STRIPE_WEBHOOK_SECRET is required in production")

    cfg["STRIPE_API_BASE"] = _optional_url(cfg.get("STRIPE_API_BASE"), "STRIPE_API_BASE")
    cfg["STRIPE_JS_URL"] = (
        _optional_url(cfg.get("STRIPE_JS_URL"), "STRIPE_JS_URL") or DEFAULT_STRIPE_JS_URL
    )
    cfg["STRIPE_TIMEOUT"] = _positive_float(cfg.get("STRIPE_TIMEOUT", 20), "STRIPE_TIMEOUT")
    cfg["PAYMENTS_NOTICE"] = cfg.get("PAYMENTS_NOTICE") or None
    cfg["TRUSTED_PROXY_COUNT"] = _count(cfg.get("TRUSTED_PROXY_COUNT", 0), "TRUSTED_PROXY_COUNT")
    cfg["LOG_LEVEL"] = str(cfg.get("LOG_LEVEL") or "INFO").upper()
    _orders_and_mail(cfg)
    _serving(cfg, production)
    _back_office(cfg)

    cfg.setdefault("SESSION_COOKIE_HTTPONLY", True)
    cfg.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    cfg.setdefault("SESSION_COOKIE_SECURE", production)
    cfg.setdefault("PREFERRED_URL_SCHEME", "https" if production else "http")
    cfg.setdefault("MAX_CONTENT_LENGTH", 256 * 1024)
    # The CSRF token lives as long as the session: a checkout left open for hours still works.
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return cfg


def _orders_and_mail(cfg: dict[str, Any]) -> None:
    """Order expiry, the refund window, the cart's per-line limit, and how emails leave."""
    cfg["ORDER_EXPIRY_MINUTES"] = _whole(
        cfg.get("ORDER_EXPIRY_MINUTES", 30), "ORDER_EXPIRY_MINUTES", minimum=1
    )
    cfg["REFUND_WINDOW_DAYS"] = _whole(cfg.get("REFUND_WINDOW_DAYS", 30), "REFUND_WINDOW_DAYS")
    cfg["CART_MAX_QUANTITY"] = _whole(
        cfg.get("CART_MAX_QUANTITY", 10), "CART_MAX_QUANTITY", minimum=1
    )
    capture = str(cfg.get("CAPTURE_METHOD") or "manual").lower()
    if capture not in CAPTURE_METHODS:
        raise ConfigError(f"CAPTURE_METHOD must be manual or automatic, not {capture!r}")
    cfg["CAPTURE_METHOD"] = capture
    mode = str(cfg.get("CHECKOUT_MODE") or "elements").lower()
    if mode not in CHECKOUT_MODES:
        raise ConfigError(f"CHECKOUT_MODE must be elements or hosted, not {mode!r}")
    cfg["CHECKOUT_MODE"] = mode
    longest = HOSTED_EXPIRY_MINUTES[1]
    if mode == "hosted" and cfg["ORDER_EXPIRY_MINUTES"] > longest:
        raise ConfigError(
            f"ORDER_EXPIRY_MINUTES must be at most {longest} with CHECKOUT_MODE=hosted: "
            "Stripe keeps a Checkout Session open for at most 24 hours"
        )
    zone = str(cfg.get("SHOP_TIME_ZONE") or "Asia/Singapore")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"SHOP_TIME_ZONE must be a time zone such as Asia/Singapore, not {zone!r}"
        ) from None
    cfg["SHOP_TIME_ZONE"] = zone
    cfg["MAIL_FROM"] = cfg.get("MAIL_FROM") or "Bookshop <orders@bookshop.invalid>"
    cfg["SMTP_HOST"] = cfg.get("SMTP_HOST") or None
    outbox = cfg.get("OUTBOX_DIR") or Path(cfg["INSTANCE_PATH"]) / "outbox"
    cfg["OUTBOX_DIR"] = str(Path(outbox).resolve())
    cfg["SMTP_PORT"] = _whole(cfg.get("SMTP_PORT", 587), "SMTP_PORT", minimum=1)
    cfg["SMTP_STARTTLS"] = _flag(cfg.get("SMTP_STARTTLS", True))
    cfg["SMTP_SSL"] = _flag(cfg.get("SMTP_SSL", False))
    cfg["SMTP_TIMEOUT"] = _positive_float(cfg.get("SMTP_TIMEOUT", 10), "SMTP_TIMEOUT")
    cfg.setdefault("SMTP_USERNAME", None)
    cfg.setdefault("SMTP_PASSWORD", None)


def _serving(cfg: dict[str, Any], production: bool) -> None:
    """The public address and trusted hosts, logs, Redis, the server's size, Stripe's time budget
    for customers, and the limits against card testing and stock hoarding."""
    shop_url = _optional_url(cfg.get("SHOP_URL"), "SHOP_URL")
    if shop_url is None:
        if production:
            raise ConfigError(
                "SHOP_URL is required in production: the shop's public address, "
                "e.g. https://shop.example.com"
            )
        shop_url = f"http://localhost:{_whole(cfg.get('PORT', 5000), 'PORT', minimum=1)}"
    parts = urlsplit(shop_url)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"SHOP_URL must be an address without a path, not {shop_url!r}")
    # Every absolute URL (return URL, emails, webhook endpoint) is built from this, never the Host.
    cfg["SHOP_URL"] = f"{parts.scheme}://{parts.netloc}"
    hosts = cfg.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if not hosts:
        hosts = [parts.hostname or "localhost"]
        if not production:
            hosts += [h for h in LOCAL_HOSTS if h not in hosts]
    cfg["TRUSTED_HOSTS"] = list(hosts)

    log_format = str(cfg.get("LOG_FORMAT") or ("json" if production else "text")).lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    cfg["LOG_FORMAT"] = log_format
    redis_url = cfg.get("REDIS_URL") or None
    if redis_url and urlsplit(str(redis_url)).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL must be a redis:// or rediss:// URL, not {redis_url!r}")
    cfg["REDIS_URL"] = redis_url
    cfg["WEB_WORKERS"] = _whole(cfg.get("WEB_WORKERS") or 0, "WEB_WORKERS")  # 0: one per core
    cfg["WEB_THREADS"] = _whole(cfg.get("WEB_THREADS", 32), "WEB_THREADS", minimum=1)
    cfg["STRIPE_CUSTOMER_BUDGET"] = _positive_float(
        cfg.get("STRIPE_CUSTOMER_BUDGET", 10), "STRIPE_CUSTOMER_BUDGET"
    )
    _limits(cfg)


def _limits(cfg: dict[str, Any]) -> None:
    """Rate limits (Flask-Limiter notation, ";" between several) and stock-hoarding limits; test
    apps run without them unless they ask, since every test client shares one address."""
    from limits import parse_many

    testing = bool(cfg["TESTING"])
    cfg["RATE_LIMITS_ENABLED"] = _flag(cfg.get("RATE_LIMITS_ENABLED", not testing))
    defaults = {
        "PAYMENT_LIMITS": "10/minute;30/hour",
        "DECLINE_LIMIT": "5/30minutes",
        "REFUND_LIMITS": "5/hour",
        "LOGIN_LIMITS": "10/minute;50/hour",
    }
    for name, default in defaults.items():
        value = str(cfg.get(name) or default)
        try:
            parse_many(value)
        except ValueError as exc:
            raise ConfigError(f"{name} must look like 10/minute;30/hour, not {value!r}") from exc
        cfg[name] = value
    # 0 means no limit.
    for name, most in (
        ("MAX_UNPAID_ORDERS", 3),
        ("MAX_UNPAID_ORDERS_PER_ADDRESS", 10),
        ("MAX_COPIES_PER_UNPAID_ORDER", 5),
    ):
        cfg[name] = _whole(cfg.get(name, 0 if testing else most), name)


def _back_office(cfg: dict[str, Any]) -> None:
    """Whether the back office is served, where, and how long its sessions last."""
    cfg["BACKOFFICE_ENABLED"] = _flag(cfg.get("BACKOFFICE_ENABLED", True))
    path = "/" + str(cfg.get("BACKOFFICE_PATH") or "/admin").strip().strip("/")
    if path == "/" or not all(
        part.replace("-", "").replace("_", "").isalnum() for part in path[1:].split("/")
    ):
        raise ConfigError(f"BACKOFFICE_PATH must be a path such as /admin, not {path!r}")
    cfg["BACKOFFICE_PATH"] = path
    cfg["BACKOFFICE_IDLE_MINUTES"] = _whole(
        cfg.get("BACKOFFICE_IDLE_MINUTES", 30), "BACKOFFICE_IDLE_MINUTES", minimum=1
    )
    cfg["BACKOFFICE_FRESH_MINUTES"] = _whole(
        cfg.get("BACKOFFICE_FRESH_MINUTES", 15), "BACKOFFICE_FRESH_MINUTES", minimum=1
    )
    cfg["BACKOFFICE_SESSION_HOURS"] = _whole(
        cfg.get("BACKOFFICE_SESSION_HOURS", 12), "BACKOFFICE_SESSION_HOURS", minimum=1
    )


def _whole(value: Any, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return number


def default_database_url(instance_path: str) -> str:
    """SQLite in the instance folder: the zero-setup default."""
    return f"sqlite:///{Path(instance_path) / 'bookshop.db'}"


def is_live_key(key: str) -> bool:
    """Whether a Stripe key moves real money."""
    return key.startswith(("sk_live_", "rk_live_", "pk_live_"))


def _secret_key(cfg: Mapping[str, Any], production: bool) -> str:
    key = cfg.get("SECRET_KEY")
    if not key:
        if cfg["TESTING"] and not production:
            return secrets.token_hex(32)
        raise ConfigError("SECRET_KEY is not set (see .env.example)")
    if production and (
        key.lower() in INSECURE_SECRET_KEYS or len(key) < MIN_PRODUCTION_SECRET_LENGTH
    ):
        raise ConfigError(
            "SECRET_KEY is a default or too short for production: "
            f"use at least {MIN_PRODUCTION_SECRET_LENGTH} random characters"
        )
    return str(key)


def _check_key_modes(cfg: Mapping[str, Any]) -> None:
    secret, publishable = cfg["STRIPE_SECRET_KEY"], cfg["STRIPE_PUBLISHABLE_KEY"]
    if not secret.startswith(("sk_", "rk_")):
        raise ConfigError("STRIPE_SECRET_KEY must be a secret key (sk_...) or restricted (rk_...)")
    if not publishable.startswith("pk_"):
        raise ConfigError("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...)")
    if is_live_key(secret) != is_live_key(publishable):
        raise ConfigError("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY mix live and test mode")
    if is_live_key(secret) and not _flag(cfg.get("ALLOW_LIVE_PAYMENTS")):
        raise ConfigError("live Stripe keys take real money: set ALLOW_LIVE_PAYMENTS=true for them")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def _optional_url(value: Any, name: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    return str(value)


def _positive_float(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from exc
    if number <= 0:
        raise ConfigError(f"{name} must be greater than zero")
    return number


def _count(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc
    if number < 0:
        raise ConfigError(f"{name} cannot be negative")
    return number
