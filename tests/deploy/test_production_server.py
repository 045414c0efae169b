"""The production server itself (not Flask's test client): proxy headers honoured exactly as
configured, foreign hosts refused, limits counted per real client, and a SIGTERM that lets the
requests in flight finish before exiting 0."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from .server_support import checkout, production_env, seed_database

BOOK = "working-in-public"


@pytest.fixture
def env(database_url, emulator, tmp_path):
    values = production_env(database_url, emulator)
    seed_database(values, tmp_path)
    return values


def test_behind_one_trusted_proxy_https_and_the_client_address_are_taken_from_it(env, start_server):
    server = start_server({**env, "TRUSTED_PROXY_COUNT": "1", "PAYMENT_LIMITS": "1/minute"})
    proxied = {"Host": "shop.example", "X-Forwarded-Proto": "https"}
    page = requests.get(f"{server.url}/", headers=proxied, timeout=30)
    assert page.status_code == 200
    assert "max-age" in page.headers["Strict-Transport-Security"]
    assert "Secure" in page.headers.get("Set-Cookie", "Secure")
    checkout_page = requests.get(f"{server.url}/checkout/{BOOK}", headers=proxied, timeout=30)
    assert 'data-return-url="https://shop.example/checkout/complete"' in checkout_page.text

    # One start per minute per client: the proxy's X-Forwarded-For says who the client is.
    first = checkout(server.url, BOOK, "a@example.com", {"X-Forwarded-For": "203.0.113.1"})
    other = checkout(server.url, BOOK, "b@example.com", {"X-Forwarded-For": "203.0.113.2"})
    again = checkout(server.url, BOOK, "c@example.com", {"X-Forwarded-For": "203.0.113.1"})
    assert (first.status_code, other.status_code, again.status_code) == (201, 201, 429)
    assert int(again.headers["Retry-After"]) > 0
    # A client cannot pose as another by adding its own X-Forwarded-For in front.
    spoofed = checkout(
        server.url, BOOK, "d@example.com", {"X-Forwarded-For": "198.51.100.7, 203.0.113.2"}
    )
    assert spoofed.status_code == 429


def test_without_a_trusted_proxy_forwarded_headers_change_nothing(env, start_server):
    server = start_server({**env, "TRUSTED_PROXY_COUNT": "0"})
    forged = {
        "Host": "shop.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    page = requests.get(f"{server.url}/", headers=forged, timeout=30)
    assert page.status_code == 200
    assert "Strict-Transport-Security" not in page.headers


def test_foreign_hosts_are_refused_directly_and_through_the_proxy(env, start_server):
    server = start_server({**env, "TRUSTED_PROXY_COUNT": "1"})
    direct = requests.get(f"{server.url}/checkout/{BOOK}", headers={"Host": "evil.example"})
    assert direct.status_code == 400
    assert "data-return-url" not in direct.text
    forwarded = requests.get(
        f"{server.url}/checkout/{BOOK}",
        headers={"Host": "shop.example", "X-Forwarded-Host": "evil.example"},
    )
    assert forwarded.status_code == 400
    assert "data-return-url" not in forwarded.text


def test_sigterm_lets_a_request_in_flight_finish_then_exits_0(env, start_server, faults):
    server = start_server(env)
    faults({"latency": [{"path": "/v1/payment_intents", "ms": 2500}]})
    answers: list[requests.Response] = []
    buyer = threading.Thread(
        target=lambda: answers.append(checkout(server.url, BOOK, "slow@example.com"))
    )
    buyer.start()
    time.sleep(1.0)  # the request is waiting on Stripe
    started = time.monotonic()
    assert server.stop() == 0
    buyer.join(timeout=30)
    assert answers and answers[0].status_code == 201, answers and answers[0].text
    assert time.monotonic() - started < 30
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/healthz", timeout=2)


def test_production_refuses_to_start_without_shop_url(env, start_server):
    server = start_server({**env, "SHOP_URL": ""}, ready=False)
    assert server.process.wait(timeout=30) != 0
    assert "SHOP_URL is required in production" in server.output()
