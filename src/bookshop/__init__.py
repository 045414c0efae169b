"""Bookshop: an online bookshop that takes payments through Stripe."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    browser,
    errors,
    health,
    limits,
    logs,
    mailer,
    payments,
    security,
    static_files,
    wording,
)
from . import config as settings
from .catalog import pages as catalog_pages
from .extensions import csrf, db
from .money import format_money

__all__ = ["create_app"]

access_log = logging.getLogger("bookshop.access")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, or only from `config` when one is given (tests)."""
    values = settings.build(config) if config is not None else settings.from_environment()
    app = Flask(__name__, instance_path=values["INSTANCE_PATH"])
    app.config.update(values)
    _configure_logging(app)

    logs.init_app(app)
    db.init_app(app)
    # Early: its after_request hook must run last (it keeps a page's final headers), and its
    # middleware must see the addresses ProxyFix corrects.
    catalog_pages.init_app(app, db.engine_of(app))
    if app.config["TRUSTED_PROXY_COUNT"]:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )
    csrf.init_app(app)
    limits.init_app(app)
    payments.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    mailer.init_app(app)
    browser.init_app(app)
    static_files.init_app(app)

    from .views import admin, cart, checkout, delivery, orders, shop, webhooks

    app.register_blueprint(shop.bp)
    app.register_blueprint(cart.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(delivery.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    admin.init_app(app)  # the back office, unless BACKOFFICE_ENABLED is false
    limits.apply_to_views(app)
    csrf.exempt(webhooks.bp)  # Stripe signs its requests instead
    csrf.exempt(cart.add)  # on the cached catalog pages: checked by its origin instead

    app.add_template_filter(format_money, "money")
    wording.init_app(app)
    _register_access_log(app)
    return app


def _configure_logging(app: Flask) -> None:
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])


def _register_access_log(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        # The path only: query strings carry client secrets on the return page.
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        access_log.info(
            "%s %s %s %.0fms", request.method, request.path, response.status_code, elapsed
        )
        return response
