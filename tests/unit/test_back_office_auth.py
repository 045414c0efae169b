"""Signing in to the back office: Argon2 hashes, TOTP and recovery codes, set-password links,
sessions that end (idle, disabled, signed out), fresh sign-in for money, throttling without a
permanent lockout, and the staff commands."""

import json
from datetime import timedelta

import pyotp
from click.testing import CliRunner

from back_office_support import (
    ADMIN,
    ADMIN_EMAIL,
    PASSWORD,
    Account,
    accounts_in,
    make_account,
    post,
    sign_in,
    staff_row,
)
from bookshop import staff_auth
from bookshop.actions import staff as accounts
from bookshop.cli import cli
from bookshop.extensions import db
from bookshop.models import AuditEntry, StaffSession, StaffUser
from bookshop.testing import csrf_token


def actions_in(session):
    session.expire_all()
    return [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]


def test_passwords_are_stored_as_argon2id_hashes(app, session):
    make_account(session, "a@bookshop.test", "staff")
    user = staff_row(session, "a@bookshop.test")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert staff_auth.verify_password(user, PASSWORD)
    assert not staff_auth.verify_password(user, PASSWORD + "x")
    assert not staff_auth.verify_password(None, PASSWORD)


def test_staff_sign_in_with_a_password_and_admins_need_a_code(app):
    admin, staff = accounts_in(app)
    client = app.test_client()
    assert sign_in(client, staff).status_code == 303
    assert client.get(f"{ADMIN}/orders").status_code == 200

    other = app.test_client()
    token = csrf_token(other, f"{ADMIN}/login")
    half = other.post(
        f"{ADMIN}/login", data={"csrf_token": token, "email": admin.email, "password": PASSWORD}
    )
    assert half.headers["Location"].startswith(f"{ADMIN}/login/code")
    # The password alone opens nothing.
    assert other.get(f"{ADMIN}/orders").status_code == 302
    wrong = other.post(f"{ADMIN}/login/code", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401
    assert (
        other.post(
            f"{ADMIN}/login/code", data={"csrf_token": token, "code": admin.code()}
        ).status_code
        == 303
    )
    assert other.get(f"{ADMIN}/orders").status_code == 200


def test_a_wrong_password_says_the_same_as_an_unknown_email_and_is_audited(app, session):
    accounts_in(app)
    client = app.test_client()
    token = csrf_token(client, f"{ADMIN}/login")
    wrong = client.post(
        f"{ADMIN}/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": "nope"}
    )
    unknown = client.post(
        f"{ADMIN}/login", data={"csrf_token": token, "email": "x@y.test", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert accounts.WRONG_CREDENTIALS in wrong.get_data(as_text=True)
    assert accounts.WRONG_CREDENTIALS in unknown.get_data(as_text=True)
    assert actions_in(session)[-2:] == ["staff.sign_in_failed", "staff.sign_in_failed"]


def test_a_totp_code_cannot_be_used_twice(app, session):
    admin, _ = accounts_in(app)
    user = staff_row(session, admin.email)
    code = pyotp.TOTP(admin.totp_secret).now()
    assert staff_auth.check_second_factor(user, code) == "totp"
    assert staff_auth.check_second_factor(user, code) is None


def test_recovery_codes_work_once(app, session):
    admin, _ = accounts_in(app)
    user = staff_row(session, admin.email)
    codes, hashes = staff_auth.new_recovery_codes()
    user.recovery_codes = hashes
    assert staff_auth.check_second_factor(user, codes[0]) == "recovery code"
    assert staff_auth.check_second_factor(user, codes[0]) is None
    assert staff_auth.recovery_codes_left(user) == len(codes) - 1
    assert codes[1] not in user.recovery_codes  # only hashes are stored


def test_a_new_admin_sets_up_an_authenticator_and_gets_recovery_codes(app, session):
    make_account(session, "new@bookshop.test", "admin", totp=False)
    client = app.test_client()
    token = csrf_token(client, f"{ADMIN}/login")
    first = client.post(
        f"{ADMIN}/login",
        data={"csrf_token": token, "email": "new@bookshop.test", "password": PASSWORD},
    )
    assert first.headers["Location"].startswith(f"{ADMIN}/login/authenticator")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "data:image/svg+xml" in page
    session.expire_all()
    secret = staff_row(session, "new@bookshop.test").totp_secret
    done = client.post(
        f"{ADMIN}/login/authenticator",
        data={"csrf_token": token, "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    assert done.get_data(as_text=True).count("<code>") == staff_auth.RECOVERY_CODES
    assert client.get(f"{ADMIN}/").status_code == 200
    session.expire_all()
    assert staff_row(session, "new@bookshop.test").totp_enabled_at is not None


def test_too_many_wrong_codes_end_the_half_signed_in_session(app, session):
    admin, _ = accounts_in(app)
    client = app.test_client()
    token = csrf_token(client, f"{ADMIN}/login")
    client.post(
        f"{ADMIN}/login", data={"csrf_token": token, "email": admin.email, "password": PASSWORD}
    )
    for _ in range(staff_auth.MAX_FACTOR_FAILURES):
        last = client.post(f"{ADMIN}/login/code", data={"csrf_token": token, "code": "123456"})
    assert last.headers["Location"].endswith(f"{ADMIN}/login")
    right = client.post(f"{ADMIN}/login/code", data={"csrf_token": token, "code": admin.code()})
    assert right.headers["Location"].endswith(f"{ADMIN}/login")
    assert client.get(f"{ADMIN}/").status_code == 302


def test_logins_are_throttled_per_account_and_the_right_password_works_once_the_window_passes(
    make_app, session
):
    app = make_app(RATE_LIMITS_ENABLED=True, LOGIN_LIMITS="5/minute")
    _, staff = accounts_in(app)
    client = app.test_client()
    token = csrf_token(client, f"{ADMIN}/login")

    def attempt(password, address):
        return client.post(
            f"{ADMIN}/login",
            data={"csrf_token": token, "email": staff.email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        ).status_code

    codes = [attempt("wrong", f"198.51.100.{i}") for i in range(7)]
    assert codes == [401] * 5 + [429, 429]
    # Right password, other address: the account is still paused for this window...
    assert attempt(PASSWORD, "203.0.113.9") == 429
    # ...and works again once the window has passed (no permanent lockout).
    with app.app_context():
        app.extensions["limiter"]  # noqa: B018 (the limiter is bound)
        from bookshop.limits import limiter

        limiter.reset()
    assert attempt(PASSWORD, "203.0.113.9") == 303


def test_logins_are_throttled_per_address_too(make_app):
    app = make_app(RATE_LIMITS_ENABLED=True, LOGIN_LIMITS="3/minute")
    client = app.test_client()
    token = csrf_token(client, f"{ADMIN}/login")
    codes = [
        client.post(
            f"{ADMIN}/login",
            data={"csrf_token": token, "email": f"u{i}@x.test", "password": "x"},
            environ_base={"REMOTE_ADDR": "192.0.2.1"},
        ).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_idle_sessions_end(app, session):
    _, staff = accounts_in(app)
    client = app.test_client()
    sign_in(client, staff)
    row = session.query(StaffSession).one()
    row.last_seen_at -= timedelta(minutes=app.config["BACKOFFICE_IDLE_MINUTES"] + 1)
    session.commit()
    assert client.get(f"{ADMIN}/").status_code == 302


def test_disabling_an_account_ends_its_sessions_at_once(app):
    _, staff = accounts_in(app)
    client = app.test_client()
    sign_in(client, staff)
    assert client.get(f"{ADMIN}/").status_code == 200
    with app.app_context():
        accounts.disable_staff(db.session, accounts.Actor(email="tests"), staff.email)
    assert client.get(f"{ADMIN}/").status_code == 302
    assert sign_in(app.test_client(), staff).status_code == 401


def test_signing_out_ends_the_session(app):
    _, staff = accounts_in(app)
    client = app.test_client()
    sign_in(client, staff)
    assert post(client, f"{ADMIN}/logout").status_code == 303
    assert client.get(f"{ADMIN}/").status_code == 302


def test_money_actions_ask_for_a_fresh_sign_in(app, session):
    admin, _ = accounts_in(app)
    client = app.test_client()
    sign_in(client, admin)
    row = session.query(StaffSession).one()
    row.authenticated_at -= timedelta(minutes=app.config["BACKOFFICE_FRESH_MINUTES"] + 1)
    session.commit()
    stale = post(client, f"{ADMIN}/orders/1/refund", mode="all")
    assert stale.status_code == 303
    assert stale.headers["Location"].startswith(f"{ADMIN}/confirm")
    confirmed = post(
        client, f"{ADMIN}/confirm", password=PASSWORD, code=admin.code(), next="/admin/"
    )
    assert confirmed.status_code == 303
    assert post(client, f"{ADMIN}/orders/1/refund", mode="all").status_code == 404


def test_a_set_password_link_works_once(app):
    with app.app_context():
        user, token = accounts.add_staff(
            db.session, accounts.Actor(email="tests"), "Link@Bookshop.test", "staff", None
        )
    assert user.email == "link@bookshop.test" and user.password_hash is None
    client = app.test_client()
    path = f"{ADMIN}/set-password/{token}"
    assert client.get(path).headers["Referrer-Policy"] == "no-referrer"
    short = post(client, path, password="short", confirm="short")
    assert "at least" in short.get_data(as_text=True)
    done = post(client, path, password=PASSWORD, confirm=PASSWORD)
    assert done.status_code == 303
    assert client.get(path).status_code == 404
    assert sign_in(app.test_client(), Account(user.email, "staff")).status_code == 303


def test_the_staff_commands_add_list_and_disable(app, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("INSTANCE_PATH", app.config["INSTANCE_PATH"])
    runner = CliRunner()
    added = runner.invoke(cli, ["staff", "add", "Ops@Bookshop.test", "--role", "admin", "--link"])
    assert added.exit_code == 0, added.output
    assert "ops@bookshop.test added (admin)" in added.output
    assert f"{ADMIN}/set-password/" in added.output
    again = runner.invoke(cli, ["staff", "add", "ops@bookshop.test", "--role", "staff", "--link"])
    assert again.exit_code == 1 and "already has an account" in again.output
    bad = runner.invoke(cli, ["staff", "add", "not-an-email", "--role", "staff", "--link"])
    assert bad.exit_code == 1 and "not an email" in bad.output
    listed = runner.invoke(cli, ["staff", "list"])
    assert "ops@bookshop.test" in listed.output and "waiting for a password" in listed.output
    disabled = runner.invoke(cli, ["staff", "disable", "ops@bookshop.test"])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    with app.app_context():
        entries = db.session.query(AuditEntry).filter(AuditEntry.action.like("staff.%")).all()
        assert {e.action for e in entries} >= {"staff.add", "staff.disable"}
        assert all(e.staff_email.startswith("command line") for e in entries)
        user = db.session.query(StaffUser).filter_by(email="ops@bookshop.test").one()
        assert user.disabled_at is not None
        assert json.loads(entries[0].after)["role"] == "admin"
