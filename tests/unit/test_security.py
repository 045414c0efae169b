"""Security headers: a Content-Security-Policy that admits Stripe.js and nothing else."""

import re

import pytest

from bookshop.security import content_security_policy


def directives(policy):
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_real_stripe_gets_exactly_its_documented_hosts():
    csp = directives(content_security_policy("https://js.stripe.com/v3/", None))
    assert csp["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert csp["frame-src"] == [
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert csp["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]


def test_a_configured_stripe_js_and_api_origin_replace_stripes_hosts():
    csp = directives(
        content_security_policy("http://127.0.0.1:12111/v3/", "http://127.0.0.1:12111")
    )
    assert csp["script-src"] == ["'self'", "http://127.0.0.1:12111"]
    assert csp["connect-src"] == ["'self'", "http://127.0.0.1:12111"]
    assert not any("stripe.com" in v for values in csp.values() for v in values)


@pytest.mark.parametrize(
    "path", ["/", "/books/working-in-public", "/checkout/working-in-public", "/nope"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert "script-src" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Cross-Origin-Embedder-Policy" not in response.headers


def test_pages_load_nothing_but_the_shop_and_the_configured_stripe_js(client):
    for path in ["/", "/books/working-in-public", "/checkout/working-in-public"]:
        html = client.get(path).get_data(as_text=True)
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith(("/", "#", "http://127.0.0.1:9/v3/")), url


def test_requests_for_other_hosts_are_refused_when_trusted_hosts_are_set(app, client):
    app.config["TRUSTED_HOSTS"] = ["shop.example"]
    assert client.get("/", base_url="http://shop.example").status_code == 200
    assert client.get("/", base_url="http://evil.example").status_code == 400
