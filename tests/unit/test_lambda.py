"""The AWS Lambda entry point, invoked with API Gateway HTTP API (payload v2) events: the catalog,
a checkout started with its CSRF cookie and header, and a webhook with a base64-encoded body."""

from __future__ import annotations

import base64
import importlib
import json
import re
import sys

import pytest

from bookshop import create_app
from bookshop.database import Database
from bookshop.extensions import db
from bookshop.testing import clear_data
from shop_support import HAMMING, WEBHOOK_SECRET, event, fake_stripe_settings, seed, signed

HOST = "shop.example"


@pytest.fixture
def handler(database_url, tmp_path, monkeypatch, fake_stripe):
    settings = {
        **fake_stripe_settings(),
        "BOOKSHOP_ENV": "production",
        "SECRET_KEY": "l" * 64,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "SHOP_URL": f"https://{HOST}",
        "RATE_LIMITS_ENABLED": "false",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({**settings, "TESTING": True})
    seed(app)
    sys.modules.pop("bookshop.lambda_handler", None)
    module = importlib.import_module("bookshop.lambda_handler")
    yield module.handler
    sys.modules.pop("bookshop.lambda_handler", None)
    with app.app_context():
        clear_data(db.engine)
    Database.dispose(app)
    Database.dispose(module.app)


def http_event(method, path, headers=None, body=b"", cookies=None, base64_body=False):
    """An API Gateway HTTP API v2 event, as AWS sends it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": cookies or [],
        "headers": {"host": HOST, "x-forwarded-proto": "https", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": HOST,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "test",
            },
            "requestId": "req",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "isBase64Encoded": base64_body,
    }


def text_of(response):
    body = response.get("body", "")
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def test_the_catalog_page_is_served(handler):
    response = handler(http_event("GET", "/"), None)
    assert response["statusCode"] == 200
    assert "Stripe Press" in text_of(response) or "Hamming" in text_of(response)
    assert response["headers"]["strict-transport-security"].startswith("max-age")


def test_a_checkout_post_with_its_csrf_cookie_and_header_starts_a_payment(handler, fake_stripe):
    page = handler(http_event("GET", f"/checkout/{HAMMING}"), None)
    assert page["statusCode"] == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', text_of(page)).group(1)
    cookies = [c.split(";")[0] for c in page.get("cookies", [])]
    assert cookies, page
    body = json.dumps({"email": "reader@example.com", "quantity": 1}).encode()
    started = handler(
        http_event(
            "POST",
            f"/checkout/{HAMMING}/payment-intent",
            headers={
                "content-type": "application/json",
                "accept": "application/json",
                "x-csrftoken": token,
                "referer": f"https://{HOST}/checkout/{HAMMING}",
            },
            body=body,
            cookies=cookies,
        ),
        None,
    )
    assert started["statusCode"] == 201, text_of(started)
    assert json.loads(text_of(started))["clientSecret"].startswith("pi_fake")
    assert len(fake_stripe.created) == 1


def test_a_signed_webhook_with_a_base64_body_is_verified_and_recorded(handler):
    payload = event("evt_lambda1", "customer.created", {"id": "cus_1", "object": "customer"})
    body, headers = signed(payload, WEBHOOK_SECRET)
    lowered = {name.lower(): value for name, value in headers.items()}
    answer = handler(http_event("POST", "/webhooks/stripe", lowered, body, base64_body=True), None)
    assert answer["statusCode"] == 200, text_of(answer)
    forged = handler(
        http_event(
            "POST", "/webhooks/stripe", lowered, body.replace(b"cus_1", b"cus_2"), base64_body=True
        ),
        None,
    )
    assert forged["statusCode"] == 400
