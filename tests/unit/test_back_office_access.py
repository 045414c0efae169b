"""Who may open what in the back office: every route refuses anonymous users, admin routes refuse
staff, pages are never cached, the back office has its own cookie and a stricter policy, and it
can be turned off or moved."""

import re

import pytest

from back_office_support import ADMIN, accounts_in, sign_in
from bookshop import staff_auth
from bookshop.testing import csrf_token

# Views anyone may open: the sign-in steps and set-password links.
PUBLIC = {
    "admin.login",
    "admin.login_post",
    "admin.login_code",
    "admin.login_code_post",
    "admin.enroll",
    "admin.logout",
    "admin.set_password",
}


def back_office_routes(app):
    """(endpoint, method, path) for every back-office rule, with made-up arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "evt_nothing", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def test_every_back_office_view_says_who_may_use_it(app):
    for endpoint, _, _ in back_office_routes(app):
        view = app.view_functions[endpoint]
        if endpoint in PUBLIC:
            assert getattr(view, "back_office_public", False), endpoint
        else:
            assert getattr(view, "required_role", None) in ("staff", "admin"), endpoint


def test_every_back_office_route_refuses_anonymous_users(app):
    app.config["WTF_CSRF_ENABLED"] = False  # the check under test is the sign-in, not CSRF
    client = app.test_client()
    routes = [r for r in back_office_routes(app) if r[0] not in PUBLIC]
    assert len(routes) > 25
    for endpoint, method, path in routes:
        response = client.open(path, method=method)
        assert response.status_code in (302, 303), (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith(f"{ADMIN}/login"), endpoint


def test_admin_routes_refuse_staff_and_staff_routes_let_them_in(app, fake_stripe):
    _, staff = accounts_in(app)
    client = app.test_client()
    sign_in(client, staff)
    app.config["WTF_CSRF_ENABLED"] = False
    admin_only = 0
    for endpoint, method, path in back_office_routes(app):
        if endpoint in PUBLIC or endpoint == "admin.logout":
            continue
        response = client.open(path, method=method)
        if app.view_functions[endpoint].required_role == "admin":
            admin_only += 1
            assert response.status_code == 403, (endpoint, method)
        else:
            assert response.status_code in (200, 303, 404), (endpoint, method, response.status_code)
    assert admin_only >= 10


def test_a_view_without_a_role_is_refused_even_when_signed_in(app):
    admin, _ = accounts_in(app)
    client = app.test_client()
    sign_in(client, admin)
    from bookshop.views.admin import _load_staff  # noqa: F401  (the check lives there)

    app.view_functions["admin.dashboard"].required_role = None
    try:
        assert client.get(f"{ADMIN}/").status_code == 404
    finally:
        app.view_functions["admin.dashboard"].required_role = "staff"


def test_pages_are_not_cached_and_have_a_stricter_policy_than_the_shop(app):
    admin, _ = accounts_in(app)
    client = app.test_client()
    sign_in(client, admin)
    page = client.get(f"{ADMIN}/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]
    shop = client.get("/")
    assert "no-store" not in shop.headers.get("Cache-Control", "")
    assert (
        "js.stripe.com" in shop.headers["Content-Security-Policy"]
        or "script-src 'self'" in (shop.headers["Content-Security-Policy"])
    )
    assert "script-src 'none'" not in shop.headers["Content-Security-Policy"]


def test_the_staff_cookie_is_apart_from_the_customers(app):
    admin, _ = accounts_in(app)
    client = app.test_client()
    response = client.post(
        f"{ADMIN}/login",
        data={
            "csrf_token": csrf_token(client, f"{ADMIN}/login"),
            "email": admin.email,
            "password": admin.password,
        },
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "bookshop_staff" in c)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={ADMIN}" in cookie
    assert staff_auth.COOKIE != app.config.get("SESSION_COOKIE_NAME", "session")


def test_the_back_office_can_be_turned_off(make_app):
    app = make_app(BACKOFFICE_ENABLED=False)
    assert not [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert app.test_client().get(f"{ADMIN}/login").status_code == 404


def test_the_back_office_can_be_moved(make_app):
    app = make_app(BACKOFFICE_PATH="/staff-only")
    client = app.test_client()
    assert client.get("/staff-only/login").status_code == 200
    assert client.get(f"{ADMIN}/login").status_code == 404


@pytest.mark.parametrize("path", ["/", "x y", "/../etc"])
def test_a_bad_back_office_path_is_refused(make_app, path):
    from bookshop.config import ConfigError

    with pytest.raises(ConfigError, match="BACKOFFICE_PATH"):
        make_app(BACKOFFICE_PATH=path)
