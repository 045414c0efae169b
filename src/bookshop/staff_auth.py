"""Staff authentication: Argon2 password hashes, TOTP with recovery codes, one-time set-password
links, and back-office sessions kept apart from the customers' (their own cookie, a row per
session so that disabling an account ends its sessions, an idle timeout, and a fresh sign-in
for money actions)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_limiter.util import get_remote_address
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import StaffSession, StaffUser, utcnow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

COOKIE = "bookshop_staff"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
RECOVERY_CODES = 10
SET_PASSWORD_HOURS = 48
TOTP_ISSUER = "Bookshop back office"
# Wrong codes before a half-signed-in session is ended (the password must be typed again).
MAX_FACTOR_FAILURES = 5
# last_seen_at is written at most this often, so browsing does not write on every request.
SEEN_EVERY = timedelta(minutes=1)

F = TypeVar("F", bound=Callable[..., Any])


class AuthError(ValueError):
    """A refused sign-in step; the message is safe to show."""


# --- passwords --------------------------------------------------------------------------------


# Argon2 and TOTP are imported where used: the shop's web workers serve customers, and only the
# back office's sign-in needs them.
@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The Argon2id hash of a password that meets the rules (AuthError otherwise)."""
    check_password_rules(password)
    return _hasher().hash(password)


def check_password_rules(password: str) -> None:
    """AuthError unless the password is long enough and not absurdly long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


def verify_password(user: StaffUser | None, password: str) -> bool:
    """Whether the password is this active account's; as slow for unknown accounts."""
    from argon2.exceptions import InvalidHashError, VerificationError

    stored = user.password_hash if user is not None else None
    ok = False
    try:
        ok = _hasher().verify(stored or _dummy_hash(), password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        pass
    return bool(ok and user is not None and stored and user.disabled_at is None)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so that a wrong email costs as long as a
    # wrong password and the timing does not say which accounts exist.
    return _hasher().hash(secrets.token_hex(16))


def needs_rehash(user: StaffUser) -> bool:
    """Whether the stored hash uses older Argon2 parameters than today's."""
    return bool(user.password_hash) and _hasher().check_needs_rehash(user.password_hash or "")


def new_set_password_token() -> tuple[str, str]:
    """A one-time token for a set-password link, and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """SHA-256 of a random token (tokens carry 256 bits: a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- TOTP and recovery codes ------------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret."""
    import pyotp

    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step a code is valid for (this one, or one either side), or None."""
    digits = "".join(code.split())
    if not (digits.isdigit() and len(digits) == 6):
        return None
    import pyotp

    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    for drift in (0, -1, 1):
        at = moment + drift * totp.interval
        if hmac.compare_digest(totp.at(at), digits):
            return int(at // totp.interval)
    return None


def new_recovery_codes() -> tuple[list[str], str]:
    """Recovery codes to show once, and the JSON list of their hashes to store."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    return codes, json.dumps([token_hash(code) for code in codes])


def use_recovery_code(user: StaffUser, code: str) -> bool:
    """Spend a recovery code: True (and it is gone) when it was one of the unused ones."""
    wanted = token_hash(code.strip().lower())
    left = json.loads(user.recovery_codes or "[]")
    if not any(hmac.compare_digest(wanted, stored) for stored in left):
        return False
    user.recovery_codes = json.dumps([stored for stored in left if stored != wanted])
    return True


def recovery_codes_left(user: StaffUser) -> int:
    """How many recovery codes the account still has."""
    return len(json.loads(user.recovery_codes or "[]"))


def check_second_factor(user: StaffUser, code: str) -> str | None:
    """Accept a TOTP code (not one used before) or a recovery code: which it was, or None."""
    if not user.totp_secret:
        return None
    step = totp_step(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None  # replayed
        user.totp_last_step = step
        return "totp"
    if use_recovery_code(user, code):
        return "recovery code"
    return None


# --- sessions ---------------------------------------------------------------------------------


def start_session(session: Session, user: StaffUser, second_factor_done: bool) -> str:
    """A new session row for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            staff=user,
            second_factor_done=second_factor_done,
            address=client_address(),
        )
    )
    return token


def set_cookie(response: Response, token: str) -> None:
    """The back office's own cookie: HttpOnly, SameSite=Strict, only sent to its path."""
    cfg = current_app.config
    response.set_cookie(
        COOKIE,
        token,
        max_age=cfg["BACKOFFICE_SESSION_HOURS"] * 3600,
        path=cfg["BACKOFFICE_PATH"],
        secure=bool(cfg["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Strict",
    )


def clear_cookie(response: Response) -> None:
    """Remove the back office's cookie."""
    response.delete_cookie(COOKIE, path=current_app.config["BACKOFFICE_PATH"])


def load_session(session: Session, now: datetime) -> StaffSession | None:
    """The live session behind the request's cookie (idle and too-old sessions end here)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    row = session.scalar(
        select(StaffSession).where(
            StaffSession.token_hash == token_hash(token), StaffSession.ended_at.is_(None)
        )
    )
    if row is None:
        return None
    cfg = current_app.config
    idle = timedelta(minutes=cfg["BACKOFFICE_IDLE_MINUTES"])
    lifetime = timedelta(hours=cfg["BACKOFFICE_SESSION_HOURS"])
    if (
        row.staff.disabled_at is not None
        or now - row.last_seen_at > idle
        or now - row.created_at > lifetime
    ):
        row.ended_at = now
        session.commit()
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def end_sessions(session: Session, user: StaffUser, now: datetime) -> None:
    """End every session of an account (disabled, or a new password)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def is_fresh(row: StaffSession, now: datetime) -> bool:
    """Whether the password was typed recently enough for a money action."""
    fresh = timedelta(minutes=current_app.config["BACKOFFICE_FRESH_MINUTES"])
    return now - row.authenticated_at <= fresh


def client_address() -> str:
    """The client's address as the shop sees it (after TRUSTED_PROXY_COUNT)."""
    return str(get_remote_address() or "")[:64]


# --- what each view requires ------------------------------------------------------------------


def current_staff() -> StaffUser | None:
    """The signed-in staff member of this request (fully signed in), or None."""
    row: StaffSession | None = g.get("staff_session")
    if row is None or not row.second_factor_done:
        return None
    return row.staff


def public(view: F) -> F:
    """Mark a back-office view that anyone may open (sign-in, set password)."""
    view.back_office_public = True  # type: ignore[attr-defined]
    return view


def requires(role: str = "staff", fresh: bool = False) -> Callable[[F], F]:
    """The view needs a signed-in account with this role ("admin" includes "staff"); with
    `fresh`, a sign-in within BACKOFFICE_FRESH_MINUTES (a money action)."""
    if role not in ("staff", "admin"):
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                return redirect(url_for("admin.login", next=_here()))
            if role == "admin" and not user.is_admin:
                abort(403)
            if fresh and not is_fresh(g.staff_session, utcnow()):
                # A form posted after the window: nothing is done; back to it after confirming.
                flash("Please confirm it is you, then submit again.", "error")
                return redirect(url_for("admin.confirm", next=_here()), 303)
            return view(*args, **kwargs)

        checked.required_role = role  # type: ignore[attr-defined]
        checked.requires_fresh = fresh  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str | None:
    """A `next` that stays inside the back office (never another site)."""
    base = current_app.config["BACKOFFICE_PATH"]
    if not target or not target.startswith(base) or target.startswith("//") or "\\" in target:
        return None
    return target


def _here() -> str:
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    return safe_next(referrer.path) or current_app.config["BACKOFFICE_PATH"]
