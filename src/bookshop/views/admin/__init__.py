"""The back office: one blueprint under BACKOFFICE_PATH, a module per area. Every view either
says which role it needs (`staff_auth.requires`) or that it is public (sign-in pages); a view
that says neither is refused, so a forgotten decorator cannot open a page to everyone."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, request
from flask import Response as FlaskResponse

from ... import staff_auth
from ...extensions import db
from ...models import utcnow

bp = Blueprint("admin", __name__)
AREAS = ("auth", "dashboard", "orders", "order_actions", "disputes", "events", "reports", "catalog")

# Stricter than the shop's policy: no scripts at all, nothing from Stripe.
POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


@bp.before_request
def _load_staff() -> None:
    g.staff_session = staff_auth.load_session(db.session, utcnow())
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "back_office_public", False):
        return
    if getattr(view, "required_role", None) is None:
        abort(404)  # a view that does not say who may use it is nobody's


@bp.after_request
def _private(response: FlaskResponse) -> FlaskResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # Set-password links carry their token in the path: never sent on to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = POLICY
    return response


@bp.app_template_global()
def staff_user() -> Any:
    """The signed-in staff member, for the templates."""
    return staff_auth.current_staff()


def init_app(app: Flask) -> None:
    """Register the back office under BACKOFFICE_PATH, unless BACKOFFICE_ENABLED is false."""
    if not app.config["BACKOFFICE_ENABLED"]:
        return
    for area in AREAS:  # each module adds its views to the blueprint
        importlib.import_module(f"{__name__}.{area}")
    app.register_blueprint(bp, url_prefix=app.config["BACKOFFICE_PATH"])
