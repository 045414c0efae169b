"""What the back office's tests share: staff accounts made as the command line makes them, and
signing in through the pages (password, then a TOTP code)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from bookshop.actions.staff import Actor, add_staff
from bookshop.extensions import db
from bookshop.models import StaffUser, utcnow
from bookshop.testing import csrf_token

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "owner@bookshop.test"
STAFF_EMAIL = "packer@bookshop.test"
ADMIN = "/admin"


@dataclass
class Account:
    """A staff account and what signing in as it takes."""

    email: str
    role: str
    password: str = PASSWORD
    totp_secret: str | None = None
    _steps: Iterator[int] = field(default_factory=lambda: itertools.count(0))

    def code(self) -> str:
        """A TOTP code not used before (each call moves one 30-second step ahead, within the
        drift the shop accepts, so that repeated sign-ins in one test are not replays)."""
        assert self.totp_secret
        totp = pyotp.TOTP(self.totp_secret)
        step = next(self._steps)
        return totp.at(time.time() + 30 * min(step, 1)) if step < 2 else totp.now()


def make_account(session: Session, email: str, role: str, totp: bool | None = None) -> Account:
    """An account with a password; admins (or when asked) with an authenticator already set up."""
    user, _ = add_staff(session, Actor(email="tests"), email, role, PASSWORD)
    account = Account(email, role)
    if totp if totp is not None else role == "admin":
        account.totp_secret = pyotp.random_base32()
        user.totp_secret = account.totp_secret
        user.totp_enabled_at = utcnow()
        session.commit()
    return account


def accounts_in(app: Flask) -> tuple[Account, Account]:
    """An admin and a staff member in the app's database."""
    with app.app_context():
        return (
            make_account(db.session, ADMIN_EMAIL, "admin"),
            make_account(db.session, STAFF_EMAIL, "staff"),
        )


def sign_in(client: FlaskClient, account: Account) -> TestResponse:
    """Sign in through the pages: the password, then a code for accounts with an authenticator."""
    token = csrf_token(client, f"{ADMIN}/login")
    response = client.post(
        f"{ADMIN}/login",
        data={"csrf_token": token, "email": account.email, "password": account.password},
    )
    if account.totp_secret is None:
        return response
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.post(f"{ADMIN}/login/code", data={"csrf_token": token, "code": account.code()})


def sign_in_page(page: Page, url: str, account: Account) -> None:
    """Sign in in the browser: the password, then a code for accounts with an authenticator."""
    page.goto(f"{url}{ADMIN}/")
    page.get_by_test_id("login-email").fill(account.email)
    page.get_by_test_id("login-password").fill(account.password)
    page.get_by_test_id("login-submit").click()
    if account.totp_secret:
        page.get_by_test_id("totp-code").fill(account.code())
        page.get_by_test_id("totp-submit").click()
    expect(page.get_by_test_id("staff-email")).to_contain_text(account.email)


def post(client: FlaskClient, path: str, **form: Any) -> TestResponse:
    """Submit a back-office form with the CSRF token its pages carry."""
    return client.post(path, data={"csrf_token": csrf_token(client), **form})


def staff_row(session: Session, email: str) -> StaffUser:
    """The account's row as stored."""
    user = session.query(StaffUser).filter_by(email=email).one()
    return user
