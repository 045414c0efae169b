"""The wire format by hand, as curl sends it: bracket nesting, expand, bad bodies, bad input."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from emulator_support import FUTURE_YEAR, Api, object_counts

from stripe_emulator import RunningEmulator

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_nested_brackets_reach_nested_fields(fresh: RunningEmulator) -> None:
    api = Api(fresh)

    response = api.post(
        "/v1/payment_intents",
        [
            ("amount", "2300"),
            ("currency", "SGD"),
            ("metadata[order]", "42"),
            ("metadata[note]", "gift wrap"),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "4242424242424242"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", str(FUTURE_YEAR)),
            ("payment_method_data[card][cvc]", "123"),
            ("payment_method_data[billing_details][address][postal_code]", "018956"),
            ("expand[]", "latest_charge"),
            ("expand[]", "payment_method"),
        ],
    )

    assert response.status_code == 200, response.text
    paid = response.json()
    assert (paid["status"], paid["currency"]) == ("succeeded", "sgd")
    assert paid["metadata"] == {"order": "42", "note": "gift wrap"}
    assert paid["latest_charge"]["object"] == "charge"
    assert paid["payment_method"]["billing_details"]["address"]["postal_code"] == "018956"


def test_numeric_metadata_keys_stay_keys(emulator: RunningEmulator) -> None:
    response = Api(emulator).post(
        "/v1/payment_intents",
        {"amount": "900", "currency": "usd", "metadata[0]": "first", "metadata[1]": "second"},
    )

    assert response.status_code == 200
    assert response.json()["metadata"] == {"0": "first", "1": "second"}


def test_indexed_arrays_build_checkout_line_items(emulator: RunningEmulator) -> None:
    response = Api(emulator).post(
        "/v1/checkout/sessions",
        "mode=payment&success_url=https%3A%2F%2Fshop.test%2Fok%3Fs%3D%7BCHECKOUT_SESSION_ID%7D"
        "&line_items[0][price_data][currency]=usd"
        "&line_items[0][price_data][unit_amount]=1500"
        "&line_items[0][price_data][product_data][name]=Book%20one"
        "&line_items[0][quantity]=2"
        "&line_items[1][price_data][currency]=usd"
        "&line_items[1][price_data][unit_amount]=999"
        "&line_items[1][price_data][product_data][name]=Book%20two"
        "&line_items[1][quantity]=1",
        headers=FORM,
    )

    assert response.status_code == 200, response.text
    assert response.json()["amount_total"] == 3999


def test_expand_on_a_list_expands_each_item(fresh: RunningEmulator) -> None:
    api = Api(fresh)
    for _ in range(2):
        api.post(
            "/v1/payment_intents",
            {
                "amount": "900",
                "currency": "usd",
                "confirm": "true",
                "payment_method": "pm_card_visa",
            },
        )

    listed = api.get("/v1/payment_intents", [("expand[]", "data.latest_charge"), ("limit", "5")])

    assert listed.status_code == 200
    assert [item["latest_charge"]["object"] for item in listed.json()["data"]] == ["charge"] * 2


def test_get_parameters_come_from_the_query_string(fresh: RunningEmulator) -> None:
    api = Api(fresh)
    for _ in range(3):
        api.post("/v1/payment_intents", {"amount": "900", "currency": "usd"})

    response = api.get("/v1/payment_intents?limit=2")

    assert len(response.json()["data"]) == 2 and response.json()["has_more"] is True


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"amount": "900", "currency": "usd", "colour": "red"}, "colour"),
        ({"amount": "900", "currency": "usd", "metadata": "x", "metadata[a]": "b"}, "metadata"),
        (
            {"amount": "900", "currency": "usd", "payment_method_data[card][pin]": "1234"},
            "payment_method_data[card][pin]",
        ),
        ({"amount": "900", "currency": "usd", "automatic_payment_methods[bogus]": "1"}, None),
    ],
    ids=["top-level", "string-and-hash", "nested", "nested-hash"],
)
def test_unknown_parameters_are_refused_by_name(
    fresh: RunningEmulator, params: dict[str, str], param: str | None
) -> None:
    response = Api(fresh).post("/v1/payment_intents", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    if param and "unknown" in error["message"]:
        assert error["message"] == f"Received unknown parameter: {param}"
        assert error["param"] == param
    assert object_counts(fresh) == {}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"amount": "abc", "currency": "usd"}, "amount"),
        ({"amount": "10.50", "currency": "usd"}, "amount"),
        ({"amount[]": "1000", "currency": "usd"}, "amount"),
        ({"amount": "", "currency": "usd"}, "amount"),
        ({"amount": "99999999999999999999999", "currency": "usd"}, "amount"),
        ({"amount": "1000", "currency": "usd", "confirm": "yes"}, "confirm"),
        ({"amount": "1000", "currency": "usd", "metadata": "x"}, "metadata"),
        ({"amount": "1000", "currency": "usd", "capture_method": "later"}, "capture_method"),
        ({"amount": "1000", "currency": "usd", "metadata[k]": "v" * 501}, "metadata"),
        ({"amount": "1000", "currency": "dollars"}, "currency"),
        ({"amount": "1000"}, "currency"),
        ({"currency": "usd"}, "amount"),
    ],
    ids=[
        "amount-word",
        "amount-decimal",
        "amount-array",
        "amount-empty",
        "amount-huge",
        "boolean",
        "metadata-string",
        "enum",
        "metadata-long",
        "currency-long",
        "no-currency",
        "no-amount",
    ],
)
def test_wrong_types_and_missing_parameters_are_400_and_store_nothing(
    fresh: RunningEmulator, params: dict[str, str], param: str
) -> None:
    response = Api(fresh).post("/v1/payment_intents", params)

    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith(param)
    assert object_counts(fresh) == {}


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("49", "usd", "amount_too_small"),
        ("0", "usd", "amount_too_small"),
        ("-100", "usd", "amount_too_small"),
        ("29", "gbp", "amount_too_small"),
        ("49", "jpy", "amount_too_small"),
        ("100000000", "usd", "amount_too_large"),
    ],
)
def test_amounts_outside_stripes_limits_are_refused(
    fresh: RunningEmulator, amount: str, currency: str, code: str
) -> None:
    response = Api(fresh).post("/v1/payment_intents", {"amount": amount, "currency": currency})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, "amount")
    assert object_counts(fresh) == {}


@pytest.mark.parametrize(
    ("amount", "currency"), [("50", "usd"), ("30", "gbp"), ("99999999", "usd")]
)
def test_amounts_at_stripes_limits_are_accepted(
    emulator: RunningEmulator, amount: str, currency: str
) -> None:
    response = Api(emulator).post("/v1/payment_intents", {"amount": amount, "currency": currency})

    assert response.status_code == 200


@pytest.mark.parametrize("currency", ["xyz", "btc", "us"])
def test_unsupported_currencies_are_refused(fresh: RunningEmulator, currency: str) -> None:
    response = Api(fresh).post("/v1/payment_intents", {"amount": "1000", "currency": currency})

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "currency"
    assert object_counts(fresh) == {}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"amount=1000&currency=usd&metadata[a=1", "application/x-www-form-urlencoded"),
        (b"amount=1000&currency=usd&a]b=1", "application/x-www-form-urlencoded"),
        (b"amount=1000&currency=usd&" + b"".join(b"[x]" for _ in range(8)), FORM["Content-Type"]),
        (
            b"amount=1000&currency=usd&metadata[a][b][c][d][e][f][g]=1",
            "application/x-www-form-urlencoded",
        ),
        (b"amount=1000&currency=\xff\xfe", "application/x-www-form-urlencoded"),
        (b'{"amount": 1000, "currency": "usd"}', "application/json"),
        (b"<xml/>", "text/xml"),
        (b"amount=1000&currency=usd", "multipart/form-data; boundary=x"),
    ],
    ids=[
        "open-bracket",
        "stray-bracket",
        "no-name",
        "too-deep",
        "not-utf8",
        "json",
        "xml",
        "multipart",
    ],
)
def test_malformed_bodies_are_400_json_and_store_nothing(
    fresh: RunningEmulator, body: bytes, content_type: str
) -> None:
    response = Api(fresh).post("/v1/payment_intents", body, headers={"Content-Type": content_type})

    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert object_counts(fresh) == {}


def test_oversized_body_is_413_json_and_the_connection_still_works(fresh: RunningEmulator) -> None:
    api = Api(fresh)

    big = api.post(
        "/v1/payment_intents", {"amount": "1000", "currency": "usd", "description": "x" * 400_000}
    )
    after = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd"})

    assert big.status_code == 413
    assert big.json()["error"]["type"] == "invalid_request_error"
    assert after.status_code == 200
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/payment_intents/pi_nope",
        "/v1/payment_methods/pm_nope",
        "/v1/charges/ch_nope",
        "/v1/refunds/re_nope",
        "/v1/events/evt_nope",
        "/v1/disputes/dp_nope",
        "/v1/webhook_endpoints/we_nope",
        "/v1/checkout/sessions/cs_test_nope",
        "/v1/checkout/sessions/cs_test_nope/line_items",
    ],
)
def test_unknown_ids_are_404_resource_missing(emulator: RunningEmulator, path: str) -> None:
    response = Api(emulator).get(path)

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "resource_missing")
    assert path.rsplit("/", 1)[-1] in error["message"] or "cs_test_nope" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/payment_intents/pi_nope/confirm"),
        ("POST", "/v1/payment_intents/pi_nope/cancel"),
        ("POST", "/v1/payment_intents/pi_nope/capture"),
        ("POST", "/v1/payment_intents/pi_nope"),
        ("POST", "/v1/refunds/re_nope"),
        ("POST", "/v1/checkout/sessions/cs_test_nope/expire"),
        ("DELETE", "/v1/webhook_endpoints/we_nope"),
    ],
)
def test_writes_to_unknown_ids_are_404_and_store_nothing(
    fresh: RunningEmulator, method: str, path: str
) -> None:
    response = Api(fresh).request(method, path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    assert object_counts(fresh) == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/customers"), ("POST", "/v1/charges"), ("DELETE", "/v1/payment_intents")],
)
def test_unknown_urls_are_stripe_shaped_404(
    emulator: RunningEmulator, method: str, path: str
) -> None:
    response = Api(emulator).request(method, path)

    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"created[since]": "1"}, {"bogus": "1"}],
    ids=str,
)
def test_bad_list_parameters_are_400(emulator: RunningEmulator, params: dict[str, Any]) -> None:
    response = Api(emulator).get("/v1/payment_intents", params)

    assert response.status_code == 400


def test_responses_carry_request_id_and_api_version(emulator: RunningEmulator) -> None:
    response = Api(emulator).get("/v1/payment_intents", {"limit": "1"})

    assert response.headers["Request-Id"].startswith("req_")
    assert response.headers["Stripe-Version"]


def test_curl_style_request_without_content_type(fresh: RunningEmulator) -> None:
    response = requests.post(
        f"{fresh.url}/v1/payment_intents",
        data=b"amount=1000&currency=usd",
        headers={"Authorization": f"Bearer {fresh.secret_key}", "Content-Type": ""},
        timeout=5,
    )

    assert response.status_code == 200


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_numbered_top_level_keys_are_unknown_parameters_not_a_500(
    fresh: RunningEmulator, method: str
) -> None:
    response = Api(fresh).request(method, "/v1/payment_intents", [("0", "a"), ("1", "b")])

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["message"], error["param"]) == ("Received unknown parameter: 0", "0")
    assert object_counts(fresh) == {}
