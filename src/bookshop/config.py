"""Settings from the environment (and `.env`), checked before the application starts."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_STRIPE_JS_URL = "https://js.stripe.com/v3/"

# Values that must never protect sessions in production (the .env.example placeholder among them).
INSECURE_SECRET_KEYS = frozenset(
    {"", "change-me", "changeme", "secret", "dev", "development", "replace-with-64-random-hex"}
)
MIN_PRODUCTION_SECRET_LENGTH = 32

ENVIRONMENTS = ("development", "production")

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
    "SHOP_URL",
    "MAIL_FROM",
    "OUTBOX_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "SMTP_SSL",
    "SMTP_TIMEOUT",
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
    hosts = cfg.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    cfg["TRUSTED_HOSTS"] = list(hosts) if hosts else None
    cfg["LOG_LEVEL"] = str(cfg.get("LOG_LEVEL") or "INFO").upper()
    _orders_and_mail(cfg)

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
    cfg["SHOP_URL"] = _optional_url(cfg.get("SHOP_URL"), "SHOP_URL")
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
