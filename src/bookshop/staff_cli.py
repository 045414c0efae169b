"""The staff commands: `python -m bookshop staff add | disable | list | password-link`."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session

from . import config as settings
from .models import STAFF_ROLES
from .staff_auth import AuthError

if TYPE_CHECKING:
    from .actions.staff import Actor


@click.group()
def staff() -> None:
    """Back-office accounts: add, disable, list, password-link."""


@staff.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True, help="admin or staff.")
@click.option(
    "--link",
    is_flag=True,
    help="Print a one-time link to set the password instead of asking for it here.",
)
def add(email: str, role: str, link: bool) -> None:
    """Create an account; asks for its password, or prints a one-time set-password link."""
    from .actions import staff as accounts

    password = None
    if not link and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _app() as session:
        try:
            user, token = accounts.add_staff(session, _actor(), email, role, password)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{user.email} added ({user.role})")
        if token is not None:
            click.echo(f"Set the password within 48 hours at: {_link(token)}")
        if user.is_admin:
            click.echo("Admins set up an authenticator app (TOTP) when they first sign in.")


@staff.command("password-link")
@click.argument("email")
def password_link(email: str) -> None:
    """Print a new one-time link to set an account's password (a forgotten password)."""
    from .actions import staff as accounts

    with _app() as session:
        try:
            token = accounts.reset_password_link(session, _actor(), email)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Set the password within 48 hours at: {_link(token)}")


@staff.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions end at once."""
    from .actions import staff as accounts

    with _app() as session:
        try:
            user = accounts.disable_staff(session, _actor(), email)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{user.email} disabled")


@staff.command("list")
def list_accounts() -> None:
    """List the accounts with their role, second factor and last sign-in."""
    from .actions import staff as accounts

    with _app() as session:
        users = accounts.list_staff(session)
        if not users:
            click.echo("no accounts yet: python -m bookshop staff add EMAIL --role admin")
        for user in users:
            state = "disabled" if user.disabled_at else "active"
            if user.password_hash is None and not user.disabled_at:
                state = "waiting for a password"
            totp = "totp" if user.totp_enabled_at else "-"
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            click.echo(f"{user.email:40} {user.role:6} {state:24} {totp:5} last sign-in {last}")


def _actor() -> Actor:
    from .actions.staff import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(email=f"command line ({who})")


def _link(token: str) -> str:
    from flask import current_app

    from .urls import external_url

    if "admin.set_password" not in current_app.view_functions:
        return f"(the back office is off: BACKOFFICE_ENABLED=false) token {token}"
    return external_url("admin.set_password", token=token)


@contextmanager
def _app() -> Iterator[Session]:
    """The app's database session; these commands never call Stripe, so keys may be unset."""
    from . import create_app
    from .database import Database
    from .extensions import db

    env: dict[str, str] = dict(settings.settings_in(os.environ))
    env.setdefault("SECRET_KEY", secrets.token_hex(32))
    if "STRIPE_SECRET_KEY" not in env:
        env.update(STRIPE_SECRET_KEY="sk_test_unused", STRIPE_PUBLISHABLE_KEY="pk_test_unused")
    try:
        app = create_app(env)
    except settings.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with app.app_context():
            yield db.session
    finally:
        Database.dispose(app)
