"""Absolute URLs of the shop, always from SHOP_URL (never from the request's Host header)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The public address of a page, for Stripe's return URL, emails and webhooks."""
    base = str(current_app.config["SHOP_URL"]).rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # commands and jobs: the path alone needs no host
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path
