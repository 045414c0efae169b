"""Signing in and out: password, then a TOTP or recovery code (admins set up an authenticator
on their first sign-in), confirming identity again before money actions, and set-password
links."""

from __future__ import annotations

from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ... import staff_auth
from ...actions import staff as accounts
from ...extensions import db
from ...limits import login_limit
from ...models import StaffSession
from ...staff_auth import AuthError, public, requires
from . import bp


def _half_session() -> StaffSession | None:
    """A session whose password was accepted and whose second factor is still to come."""
    row: StaffSession | None = g.get("staff_session")
    return row if row is not None and not row.second_factor_done else None


def _next_page() -> str:
    return staff_auth.safe_next(request.values.get("next")) or url_for("admin.dashboard")


@bp.get("/login")
@public
def login() -> ResponseReturnValue:
    if staff_auth.current_staff() is not None:
        return redirect(_next_page())
    return render_template("admin/login.html", next=request.args.get("next", ""))


@bp.post("/login")
@public
@login_limit
def login_post() -> ResponseReturnValue:
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    try:
        user, token = accounts.sign_in(db.session, email, password, staff_auth.client_address())
    except AuthError as exc:
        flash(str(exc), "error")
        return render_template(
            "admin/login.html", next=request.form.get("next", ""), email=email
        ), 401
    needs_setup = user.is_admin and user.totp_enabled_at is None
    target = (
        url_for("admin.enroll", next=request.form.get("next"))
        if needs_setup
        else url_for("admin.login_code", next=request.form.get("next"))
        if user.is_admin or user.totp_enabled_at
        else _next_page()
    )
    response = make_response(redirect(target, 303))
    staff_auth.set_cookie(response, token)
    return response


@bp.get("/login/code")
@public
def login_code() -> ResponseReturnValue:
    if _half_session() is None:
        return redirect(url_for("admin.login"))
    return render_template("admin/login_code.html", next=request.args.get("next", ""))


@bp.post("/login/code")
@public
@login_limit
def login_code_post() -> ResponseReturnValue:
    row = _half_session()
    if row is None:
        return redirect(url_for("admin.login"), 303)
    try:
        accounts.second_factor(
            db.session, row, request.form.get("code") or "", staff_auth.client_address()
        )
    except AuthError as exc:
        flash(str(exc), "error")
        if row.ended_at is not None:
            return redirect(url_for("admin.login"), 303)
        return render_template("admin/login_code.html", next=request.form.get("next", "")), 401
    if staff_auth.recovery_codes_left(row.staff) <= 2:
        flash("Few recovery codes are left: ask an admin to reset your authenticator.", "error")
    return redirect(_next_page(), 303)


@bp.route("/login/authenticator", methods=["GET", "POST"])
@public
def enroll() -> ResponseReturnValue:
    row = _half_session()
    if row is None or row.staff.totp_enabled_at is not None:
        return redirect(url_for("admin.login"))
    user = row.staff
    if request.method == "POST":
        try:
            codes = accounts.enable_totp(
                db.session,
                row,
                user.totp_secret or "",
                request.form.get("code") or "",
                staff_auth.client_address(),
            )
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            return render_template("admin/recovery_codes.html", codes=codes, next=_next_page())
    if not user.totp_secret:
        # Kept on the account (not in a cookie) until a first code proves the app has it.
        user.totp_secret = accounts.start_totp(user)
        db.session.commit()
    uri = staff_auth.totp_uri(user, user.totp_secret)
    import segno  # the QR code of this one page: not loaded in every worker

    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template(
        "admin/enroll.html", secret=user.totp_secret, qr=qr, next=request.args.get("next", "")
    )


@bp.route("/confirm", methods=["GET", "POST"])
@requires("staff")
def confirm() -> ResponseReturnValue:
    row: StaffSession = g.staff_session
    if request.method == "POST":
        try:
            accounts.confirm_identity(
                db.session,
                row,
                request.form.get("password") or "",
                request.form.get("code") or "",
                staff_auth.client_address(),
            )
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            return redirect(_next_page(), 303)
    return render_template(
        "admin/confirm.html",
        next=request.values.get("next", ""),
        needs_code=row.staff.totp_enabled_at is not None,
        minutes=current_app.config["BACKOFFICE_FRESH_MINUTES"],
    )


@bp.post("/logout")
@public
def logout() -> ResponseReturnValue:
    row: StaffSession | None = g.get("staff_session")
    if row is not None:
        accounts.sign_out(db.session, row, staff_auth.client_address())
    response = make_response(redirect(url_for("admin.login"), 303))
    staff_auth.clear_cookie(response)
    flash("You are signed out.", "success")
    return response


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str) -> ResponseReturnValue:
    user = accounts.user_for_password_token(db.session, token)
    if user is None:
        return render_template("admin/set_password.html", expired=True), 404
    if request.method == "POST":
        try:
            accounts.set_password(
                db.session,
                token,
                request.form.get("password") or "",
                request.form.get("confirm") or "",
            )
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            flash("Your password is set. Please sign in.", "success")
            return redirect(url_for("admin.login"), 303)
    return render_template(
        "admin/set_password.html", email=user.email, minimum=staff_auth.MIN_PASSWORD_LENGTH
    )
