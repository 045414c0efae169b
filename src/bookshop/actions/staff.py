"""Staff accounts and signing in: accounts made and disabled from the command line, passwords set
through one-time links, sign-in with a second factor, and the audit log every staff action
writes to (who, what, when, before and after)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import staff_auth
from ..models import STAFF_ROLES, AuditEntry, StaffSession, StaffUser, utcnow
from ..orders import OrderError, normalise_email
from ..staff_auth import AuthError

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Wrong email or password."
WRONG_CODE = "That code is not right. Try the current code, or a recovery code."


@dataclass(frozen=True)
class Actor:
    """Who does something: a signed-in staff member, or someone at the command line."""

    email: str
    staff_id: int | None = None
    address: str | None = None

    @classmethod
    def of(cls, user: StaffUser, address: str | None = None) -> Actor:
        return cls(email=user.email, staff_id=user.id, address=address)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    target: tuple[str, object] | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (it commits with the change)."""
    entry = AuditEntry(
        staff_id=actor.staff_id,
        staff_email=actor.email[:254],
        action=action[:60],
        target_type=target[0][:40] if target else None,
        target_id=str(target[1])[:64] if target else None,
        before=json.dumps(before, default=str, sort_keys=True) if before is not None else None,
        after=json.dumps(after, default=str, sort_keys=True) if after is not None else None,
        address=actor.address,
    )
    session.add(entry)
    return entry


# --- accounts ---------------------------------------------------------------------------------


def find_staff(session: Session, email: str) -> StaffUser | None:
    """The account with this email (any case), or None."""
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def add_staff(
    session: Session, actor: Actor, email: str, role: str, password: str | None
) -> tuple[StaffUser, str | None]:
    """A new account; without a password, also the one-time token of its set-password link."""
    try:
        address = normalise_email(email).lower()
    except OrderError:
        raise AuthError(f"{email!r} is not an email address.") from None
    if role not in STAFF_ROLES:
        raise AuthError(f"The role must be one of {', '.join(STAFF_ROLES)}.")
    if find_staff(session, address) is not None:
        raise AuthError(f"{address} already has an account.")
    user = StaffUser(email=address, role=role)
    token = None
    if password is not None:
        user.password_hash = staff_auth.hash_password(password)
    else:
        token = _issue_password_token(user)
    session.add(user)
    session.flush()
    audit(session, actor, "staff.add", ("staff", user.id), None, {"email": address, "role": role})
    session.commit()
    return user, token


def reset_password_link(session: Session, actor: Actor, email: str) -> str:
    """A new one-time set-password token for an account (its sessions end when it is used)."""
    user = _existing(session, email)
    token = _issue_password_token(user)
    audit(session, actor, "staff.password_link", ("staff", user.id))
    session.commit()
    return token


def disable_staff(session: Session, actor: Actor, email: str) -> StaffUser:
    """Disable an account: it cannot sign in, and its sessions end now."""
    user = _existing(session, email)
    if user.disabled_at is not None:
        raise AuthError(f"{user.email} is already disabled.")
    now = utcnow()
    user.disabled_at = now
    user.password_token_hash = None
    staff_auth.end_sessions(session, user, now)
    audit(
        session, actor, "staff.disable", ("staff", user.id), {"disabled": False}, {"disabled": True}
    )
    session.commit()
    return user


def list_staff(session: Session) -> list[StaffUser]:
    """Every account, admins first."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.email)))


def user_for_password_token(session: Session, token: str) -> StaffUser | None:
    """The active account a set-password link is for, while the link works."""
    if not token or len(token) > 100:
        return None
    user = session.scalar(
        select(StaffUser).where(StaffUser.password_token_hash == staff_auth.token_hash(token))
    )
    if user is None or user.disabled_at is not None:
        return None
    expires = user.password_token_expires_at
    return user if expires is not None and expires > utcnow() else None


def set_password(session: Session, token: str, password: str, confirm: str) -> StaffUser:
    """Choose a password through a one-time link; the link then stops working."""
    user = user_for_password_token(session, token)
    if user is None:
        raise AuthError("This link has expired or was already used. Ask an admin for a new one.")
    if password != confirm:
        raise AuthError("The two passwords differ.")
    user.password_hash = staff_auth.hash_password(password)
    user.password_token_hash = None
    user.password_token_expires_at = None
    staff_auth.end_sessions(session, user, utcnow())
    audit(
        session,
        Actor.of(user, staff_auth.client_address()),
        "staff.password_set",
        ("staff", user.id),
    )
    session.commit()
    return user


# --- signing in -------------------------------------------------------------------------------


def sign_in(session: Session, email: str, password: str, address: str) -> tuple[StaffUser, str]:
    """Check the password; a new session (second factor still to come for TOTP accounts) and
    its cookie token. AuthError with one message whatever was wrong."""
    user = find_staff(session, email[:254]) if email else None
    if not staff_auth.verify_password(user, password):
        audit(
            session,
            Actor(email=(email or "?").strip().lower()[:254], address=address),
            "staff.sign_in_failed",
            ("staff", user.id) if user else None,
        )
        session.commit()
        raise AuthError(WRONG_CREDENTIALS)
    assert user is not None
    if staff_auth.needs_rehash(user):
        user.password_hash = staff_auth.hash_password(password)
    needs_factor = user.is_admin or user.totp_enabled_at is not None
    token = staff_auth.start_session(session, user, second_factor_done=not needs_factor)
    if not needs_factor:
        _signed_in(session, user, address, "password")
    session.commit()
    return user, token


def second_factor(session: Session, row: StaffSession, code: str, address: str) -> None:
    """Finish signing in with a TOTP or recovery code; too many wrong codes end the session."""
    user = row.staff
    method = staff_auth.check_second_factor(user, code)
    if method is None:
        row.factor_failures += 1
        if row.factor_failures >= staff_auth.MAX_FACTOR_FAILURES:
            row.ended_at = utcnow()
        audit(session, Actor.of(user, address), "staff.code_failed", ("staff", user.id))
        session.commit()
        raise AuthError(WRONG_CODE)
    row.second_factor_done = True
    row.authenticated_at = utcnow()
    _signed_in(session, user, address, method)
    session.commit()


def start_totp(user: StaffUser) -> str:
    """A new TOTP secret for an admin who has none enabled yet (kept until confirmed)."""
    if user.totp_enabled_at is not None:
        raise AuthError("An authenticator is already set up for this account.")
    return staff_auth.new_totp_secret()


def enable_totp(
    session: Session, row: StaffSession, secret: str, code: str, address: str
) -> list[str]:
    """Turn TOTP on once a first code proves the authenticator holds the secret; returns the
    recovery codes, shown this once."""
    user = row.staff
    if user.totp_enabled_at is not None:
        raise AuthError("An authenticator is already set up for this account.")
    step = staff_auth.totp_step(secret, code)
    if step is None:
        raise AuthError("That code does not match. Check the time on your phone and try again.")
    codes, hashes = staff_auth.new_recovery_codes()
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    user.recovery_codes = hashes
    row.second_factor_done = True
    row.authenticated_at = utcnow()
    audit(session, Actor.of(user, address), "staff.totp_enabled", ("staff", user.id))
    _signed_in(session, user, address, "new authenticator")
    session.commit()
    return codes


def confirm_identity(
    session: Session, row: StaffSession, password: str, code: str, address: str
) -> None:
    """Type the password (and a code, with TOTP) again before money actions."""
    user = row.staff
    if not staff_auth.verify_password(user, password):
        audit(session, Actor.of(user, address), "staff.confirm_failed", ("staff", user.id))
        session.commit()
        raise AuthError("Wrong password.")
    if user.totp_enabled_at is not None and staff_auth.check_second_factor(user, code) is None:
        audit(session, Actor.of(user, address), "staff.confirm_failed", ("staff", user.id))
        session.commit()
        raise AuthError(WRONG_CODE)
    row.authenticated_at = utcnow()
    audit(session, Actor.of(user, address), "staff.confirmed", ("staff", user.id))
    session.commit()


def sign_out(session: Session, row: StaffSession, address: str) -> None:
    """End this session."""
    row.ended_at = utcnow()
    audit(session, Actor.of(row.staff, address), "staff.sign_out", ("staff", row.staff_id))
    session.commit()


def _signed_in(session: Session, user: StaffUser, address: str, method: str) -> None:
    user.last_login_at = utcnow()
    audit(
        session,
        Actor.of(user, address),
        "staff.sign_in",
        ("staff", user.id),
        None,
        {"method": method},
    )
    log.info("staff %s signed in (%s)", user.id, method)


def _issue_password_token(user: StaffUser) -> str:
    token, digest = staff_auth.new_set_password_token()
    user.password_token_hash = digest
    user.password_token_expires_at = utcnow() + timedelta(hours=staff_auth.SET_PASSWORD_HOURS)
    return token


def _existing(session: Session, email: str) -> StaffUser:
    user = find_staff(session, email)
    if user is None:
        raise AuthError(f"There is no account for {email.strip().lower()}.")
    return user
