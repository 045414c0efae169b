"""API keys: secret keys for the server, publishable keys only where Stripe.js calls, CORS."""

from __future__ import annotations

import base64

import pytest
import requests
import stripe
from emulator_support import FUTURE_YEAR, Api

from stripe_emulator import RunningEmulator

CARD = {
    "payment_method_data[type]": "card",
    "payment_method_data[card][number]": "4242424242424242",
    "payment_method_data[card][exp_month]": "12",
    "payment_method_data[card][exp_year]": str(FUTURE_YEAR),
    "payment_method_data[card][cvc]": "123",
    "payment_method_data[billing_details][address][postal_code]": "12345",
    "payment_method_data[billing_details][email]": "reader@example.test",
}


@pytest.fixture
def intent(client: stripe.StripeClient) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer sk_test_wrong",
        "Bearer sk_live_fake",
        "Bearer pk_live_fake",
        "Bearer rk_live_fake",
        "Token sk_test_emulator",
        "Basic !!!not-base64",
        basic("sk_test_wrong"),
    ],
    ids=str,
)
def test_missing_malformed_unknown_or_live_keys_are_401(
    emulator: RunningEmulator, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = Api(emulator).get("/v1/payment_intents", headers=headers, key=None)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]


def test_sdk_with_a_wrong_key_raises_authentication_error(emulator: RunningEmulator) -> None:
    client = stripe.StripeClient("sk_test_nope", base_addresses={"api": emulator.url})

    with pytest.raises(stripe.AuthenticationError) as raised:
        client.v1.payment_intents.list()

    assert raised.value.http_status == 401


def test_secret_key_works_as_basic_auth_as_curl_sends_it(emulator: RunningEmulator) -> None:
    response = Api(emulator).get(
        "/v1/payment_intents", headers={"Authorization": basic(emulator.secret_key)}, key=None
    )

    assert response.status_code == 200


def test_live_publishable_key_in_the_body_is_401(
    emulator: RunningEmulator, intent: stripe.PaymentIntent
) -> None:
    response = Api(emulator, key=None).get(
        f"/v1/payment_intents/{intent.id}",
        {"client_secret": intent.client_secret, "key": "pk_live_fake"},
    )

    assert response.status_code == 401


def test_publishable_key_retrieves_an_intent_with_its_client_secret(
    emulator: RunningEmulator, intent: stripe.PaymentIntent
) -> None:
    api = Api(emulator, key=None)

    found = api.get(
        f"/v1/payment_intents/{intent.id}",
        {"client_secret": intent.client_secret, "key": emulator.publishable_key},
    )
    wrong = api.get(
        f"/v1/payment_intents/{intent.id}",
        {"client_secret": f"{intent.id}_secret_wrong", "key": emulator.publishable_key},
    )
    missing = api.get(f"/v1/payment_intents/{intent.id}", {"key": emulator.publishable_key})

    assert found.status_code == 200 and found.json()["status"] == "requires_payment_method"
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    assert missing.status_code == 400


def test_publishable_key_confirms_with_card_details_as_stripe_js_does(
    emulator: RunningEmulator, intent: stripe.PaymentIntent
) -> None:
    api = Api(emulator, key=None)

    response = api.post(
        f"/v1/payment_intents/{intent.id}/confirm",
        {
            **CARD,
            "client_secret": intent.client_secret,
            "key": emulator.publishable_key,
            "return_url": "https://shop.test/return",
            "receipt_email": "reader@example.test",
            "expand[]": "payment_method",
        },
    )

    assert response.status_code == 200
    paid = response.json()
    assert paid["status"] == "succeeded"
    assert paid["receipt_email"] == "reader@example.test"
    assert paid["payment_method"]["billing_details"]["address"]["postal_code"] == "12345"


def test_publishable_key_confirm_needs_the_right_client_secret(
    emulator: RunningEmulator, intent: stripe.PaymentIntent, client: stripe.StripeClient
) -> None:
    response = Api(emulator, key=None).post(
        f"/v1/payment_intents/{intent.id}/confirm",
        {**CARD, "client_secret": "pi_x_secret_y", "key": emulator.publishable_key},
    )

    assert response.status_code == 400
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_secret_key_may_pass_the_client_secret_too(
    client: stripe.StripeClient, intent: stripe.PaymentIntent
) -> None:
    found = client.v1.payment_intents.retrieve(
        intent.id, params={"client_secret": intent.client_secret}
    )

    assert found.id == intent.id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/payment_intents"),
        ("GET", "/v1/payment_intents"),
        ("POST", "/v1/payment_intents/{pi}"),
        ("POST", "/v1/payment_intents/{pi}/cancel"),
        ("POST", "/v1/payment_intents/{pi}/capture"),
        ("GET", "/v1/payment_methods/pm_card_visa"),
        ("GET", "/v1/charges"),
        ("POST", "/v1/refunds"),
        ("GET", "/v1/refunds"),
        ("GET", "/v1/events"),
        ("GET", "/v1/disputes"),
        ("POST", "/v1/webhook_endpoints"),
        ("GET", "/v1/webhook_endpoints"),
        ("POST", "/v1/checkout/sessions"),
        ("GET", "/v1/checkout/sessions"),
    ],
    ids=lambda value: value.replace("/v1/", ""),
)
def test_publishable_key_is_refused_everywhere_else(
    emulator: RunningEmulator,
    intent: stripe.PaymentIntent,
    client: stripe.StripeClient,
    method: str,
    path: str,
) -> None:
    data = {"key": emulator.publishable_key, "client_secret": intent.client_secret}

    response = Api(emulator, key=None).request(method, path.format(pi=intent.id), data)

    assert response.status_code == 401
    assert "publishable" in response.json()["error"]["message"]
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_preflight_allows_another_origin(emulator: RunningEmulator) -> None:
    response = requests.options(
        f"{emulator.url}/v1/payment_intents/pi_x/confirm",
        headers={
            "Origin": "http://shop.test:5000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=5,
    )

    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://shop.test:5000")
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_answers_and_errors_carry_cors_headers(
    emulator: RunningEmulator, intent: stripe.PaymentIntent
) -> None:
    api = Api(emulator, key=None)
    origin = {"Origin": "http://shop.test:5000"}

    found = api.get(
        f"/v1/payment_intents/{intent.id}",
        {"client_secret": intent.client_secret, "key": emulator.publishable_key},
        headers=origin,
    )
    refused = api.get("/v1/payment_intents", headers=origin)

    assert found.headers["Access-Control-Allow-Origin"] in ("*", "http://shop.test:5000")
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] in ("*", "http://shop.test:5000")
