"""The payments boundary: Stripe's exceptions become a small tree of user-safe errors."""

import threading

import pytest
import stripe

from bookshop import payments
from bookshop.payments import (
    CardDeclined,
    InvalidPaymentRequest,
    PaymentError,
    PaymentIntent,
    PaymentNotFound,
    PaymentUnavailable,
)


def card_error():
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        }
    }
    return stripe.CardError(
        "Your card has insufficient funds.", None, "card_declined", http_status=402, json_body=body
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (stripe.APIConnectionError("Could not connect to Stripe"), PaymentUnavailable),
        (stripe.APIConnectionError("Request timed out"), PaymentUnavailable),
        (stripe.RateLimitError("Too many requests", http_status=429), PaymentUnavailable),
        (stripe.APIError("Internal error", http_status=500), PaymentUnavailable),
        (stripe.APIError("Bad gateway", http_status=502), PaymentUnavailable),
        (stripe.AuthenticationError("Invalid API Key", http_status=401), PaymentUnavailable),
        (stripe.PermissionError("Not allowed", http_status=403), PaymentUnavailable),
        (
            stripe.InvalidRequestError(
                "No such payment_intent", "id", "resource_missing", http_status=404
            ),
            PaymentNotFound,
        ),
        (
            stripe.InvalidRequestError(
                "Invalid integer", "amount", "parameter_invalid_integer", http_status=400
            ),
            InvalidPaymentRequest,
        ),
        (stripe.IdempotencyError("Keys reused", http_status=400), PaymentError),
    ],
)
def test_stripe_errors_map_onto_the_payment_error_tree(error, expected):
    translated = payments.translate(error)
    assert type(translated) is expected


def test_a_declined_card_keeps_stripes_customer_message_and_decline_code():
    declined = payments.translate(card_error())
    assert isinstance(declined, CardDeclined)
    assert declined.user_message == "Your card has insufficient funds."
    assert declined.decline_code == "insufficient_funds"


@pytest.mark.parametrize(
    "error",
    [
        stripe.APIConnectionError("Could not connect to https://api.stripe.com"),
        stripe.APIError("Internal error req_abc", http_status=500),
        stripe.InvalidRequestError("Invalid integer", "amount", http_status=400),
    ],
)
def test_customers_never_see_stripes_technical_messages(error):
    translated = payments.translate(error)
    assert translated.user_message in (
        payments.UNAVAILABLE,
        PaymentError.user_message,
        PaymentNotFound.user_message,
    )
    assert "stripe" not in translated.user_message.lower()


def test_the_client_secret_never_shows_in_a_payment_intents_repr():
    intent = PaymentIntent(
        id="pi_123",
        status="requires_payment_method",
        amount=2300,
        amount_received=0,
        currency="sgd",
        metadata={},
        receipt_email=None,
        client_secret="pi_123_secret_do_not_log",
    )
    assert "secret" not in repr(intent)


def test_the_client_points_at_the_configured_api_base_only_when_one_is_set():
    default = payments.build_client("sk_test_x", api_base=None, timeout=5)
    local = payments.build_client("sk_test_x", api_base="http://127.0.0.1:12111/", timeout=5)
    assert default._requestor.base_addresses["api"] == "https://api.stripe.com"
    assert local._requestor.base_addresses["api"] == "http://127.0.0.1:12111"


def test_the_api_version_is_the_sdks_pinned_one():
    assert payments.API_VERSION == stripe.api_version


def sessions_of(client):
    return client._requestor._client._thread_local


def test_the_proxy_settings_are_read_once_when_the_client_is_built(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    remote = sessions_of(payments.build_client("sk_test_x", api_base=None, timeout=5)).session
    local = sessions_of(payments.build_client("sk_test_x", "http://127.0.0.1:1", 5)).session
    assert remote.proxies["https"] == "http://proxy.example:3128"
    assert local.proxies == {}  # NO_PROXY names the API's host
    assert not remote.trust_env and not local.trust_env  # not read again at each call


def test_each_thread_calls_stripe_with_its_own_session_over_connections_they_share():
    sessions = sessions_of(payments.build_client("sk_test_x", api_base=None, timeout=5))
    seen = []
    thread = threading.Thread(target=lambda: seen.append(sessions.session))
    thread.start()
    thread.join()
    assert seen[0] is not sessions.session
    assert not seen[0].trust_env
    for url in ("https://api.stripe.com", "http://127.0.0.1:12111"):
        assert seen[0].get_adapter(url) is sessions.session.get_adapter(url)
