"""Checkout Sessions: create, line items, the hosted payment page, 3-D Secure, expiry."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import stripe
from emulator_support import FUTURE_YEAR, event_types, sdk, wait_until

from stripe_emulator import EmulatorServer, RunningEmulator

SUCCESS_URL = "https://shop.test/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.test/cart"


def line_item(name: str, unit_amount: int, quantity: int, currency: str = "usd") -> dict[str, Any]:
    return {
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": name},
        },
        "quantity": quantity,
    }


def new_session(client: stripe.StripeClient, **params: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [line_item("Working in Public", 2300, 2), line_item("Stubborn", 1500, 1)],
            "success_url": SUCCESS_URL,
            "cancel_url": CANCEL_URL,
            **params,
        }
    )


def pay_on_page(session: stripe.checkout.Session, number: str, **fields: str) -> requests.Response:
    """Submit the hosted page's form as a customer would."""
    form = {
        "email": "reader@example.test",
        "card_number": number,
        "card_expiry": f"12 / {FUTURE_YEAR % 100}",
        "card_cvc": "123",
        "cardholder_name": "Ada Reader",
        "postal_code": "12345",
        **fields,
    }
    return requests.post(session.url, data=form, allow_redirects=False, timeout=10)


def test_session_totals_its_line_items_and_points_at_the_hosted_page(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    expires_at = int(time.time()) + 3600

    session = new_session(
        client,
        customer_email="reader@example.test",
        client_reference_id="cart-9",
        metadata={"order": "9"},
        payment_intent_data={"metadata": {"order": "9"}},
        expires_at=expires_at,
    )

    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (6100, 6100, "usd")
    assert (session.customer_email, session.client_reference_id) == (
        "reader@example.test",
        "cart-9",
    )
    assert session.metadata.to_dict() == {"order": "9"}
    assert session.expires_at == expires_at
    assert session.payment_intent is None
    assert session.url == f"{emulator.url}/c/pay/{session.id}"
    page = requests.get(session.url, timeout=10)
    assert page.status_code == 200 and "Working in Public" in page.text


def test_line_items_are_listed_and_paged(client: stripe.StripeClient) -> None:
    session = new_session(client)

    items = client.v1.checkout.sessions.line_items.list(session.id)
    first = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1})
    second = client.v1.checkout.sessions.line_items.list(
        session.id, params={"limit": 1, "starting_after": first.data[0].id}
    )

    assert [(item.description, item.quantity, item.amount_total) for item in items.data] == [
        ("Working in Public", 2, 4600),
        ("Stubborn", 1, 1500),
    ]
    assert items.data[0].price.unit_amount == 2300
    assert first.has_more and not second.has_more
    assert second.data[0].description == "Stubborn"


def test_line_items_can_be_expanded_on_retrieve(client: stripe.StripeClient) -> None:
    session = new_session(client)

    found = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})

    assert [item.quantity for item in found.line_items.data] == [2, 1]


def test_paying_on_the_hosted_page_completes_the_session(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    session = new_session(client, payment_intent_data={"metadata": {"order": "11"}})

    response = pay_on_page(session, "4242 4242 4242 4242")

    assert response.status_code == 303
    assert response.headers["Location"] == f"https://shop.test/thanks?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.url is None
    assert done.customer_details.email == "reader@example.test"
    intent = done.payment_intent
    assert (intent.status, intent.amount_received) == ("succeeded", 6100)
    assert intent.metadata.to_dict() == {"order": "11"}
    assert event_types(emulator, session.id) == ["checkout.session.completed"]
    assert requests.get(session.url, allow_redirects=False, timeout=10).status_code == 303


def test_a_declined_card_stays_on_the_page_and_another_card_pays(
    client: stripe.StripeClient,
) -> None:
    session = new_session(client)

    declined = pay_on_page(session, "4000000000000002")
    paid = pay_on_page(session, "4242424242424242")

    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert paid.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    charges = client.v1.charges.list(params={"payment_intent": done.payment_intent})
    assert [charge.status for charge in charges.data] == ["succeeded", "failed"]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"card_number": "4242424242424241"}, "Your card number is incorrect."),
        ({"card_expiry": "12 / 01"}, "expiration year"),
        ({"card_cvc": "1"}, "security code"),
    ],
    ids=["email", "luhn", "expired", "cvc"],
)
def test_bad_details_on_the_page_are_shown_and_nothing_is_paid(
    client: stripe.StripeClient, fields: dict[str, str], shown: str
) -> None:
    session = new_session(client)

    response = pay_on_page(session, fields.pop("card_number", "4242424242424242"), **fields)

    assert response.status_code in (400, 402)
    assert shown in response.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_three_d_secure_on_the_hosted_page(client: stripe.StripeClient) -> None:
    session = new_session(client)

    to_challenge = pay_on_page(session, "4000002760003184")
    challenge = to_challenge.headers["Location"]
    back = requests.post(challenge, data={"outcome": "complete"}, allow_redirects=False, timeout=10)
    landed = requests.get(back.headers["Location"], allow_redirects=False, timeout=10)

    assert to_challenge.status_code == 303 and "/_emulator/3ds/" in challenge
    assert urlsplit(back.headers["Location"]).path == f"/c/pay/{session.id}/return"
    assert landed.status_code == 303
    assert landed.headers["Location"] == f"https://shop.test/thanks?session={session.id}"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_cancel_link_goes_back_to_the_cancel_url(client: stripe.StripeClient) -> None:
    session = new_session(client)

    response = requests.get(f"{session.url}/cancel", allow_redirects=False, timeout=10)

    assert response.status_code == 303 and response.headers["Location"] == CANCEL_URL
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expiring_a_session_closes_it_once(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    session = new_session(client)

    expired = client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    assert again.value.http_status == 400
    assert event_types(emulator, session.id) == ["checkout.session.expired"]
    assert requests.get(session.url, timeout=10).status_code == 410


def test_expiring_cancels_the_sessions_unpaid_intent(client: stripe.StripeClient) -> None:
    session = new_session(client)
    pay_on_page(session, "4000000000000002")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent

    client.v1.checkout.sessions.expire(session.id)

    intent = client.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "abandoned")


def test_sessions_expire_by_themselves_at_expires_at(in_process: EmulatorServer) -> None:
    fresh_client = sdk(in_process)
    session = new_session(fresh_client)
    with in_process.runtime.store.transaction() as conn:  # as if its half hour had passed
        conn.execute(
            "UPDATE objects SET data = json_set(data, '$.expires_at', ?) WHERE id = ?",
            (int(time.time()) - 1, session.id),
        )

    expired = wait_until(
        lambda: fresh_client.v1.checkout.sessions.retrieve(session.id).status == "expired",
        timeout=3,
    )

    assert expired
    assert event_types(in_process, session.id) == ["checkout.session.expired"]


def test_sessions_are_listed_by_status_and_payment_intent(
    fresh_client: stripe.StripeClient,
) -> None:
    paid, still_open = new_session(fresh_client), new_session(fresh_client)
    pay_on_page(paid, "4242424242424242")
    intent_id = fresh_client.v1.checkout.sessions.retrieve(paid.id).payment_intent

    complete = fresh_client.v1.checkout.sessions.list(params={"status": "complete"})
    opened = fresh_client.v1.checkout.sessions.list(params={"status": "open"})
    by_intent = fresh_client.v1.checkout.sessions.list(params={"payment_intent": intent_id})

    assert [found.id for found in complete.data] == [paid.id]
    assert [found.id for found in opened.data] == [still_open.id]
    assert [found.id for found in by_intent.data] == [paid.id]


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "subscription"},
        {"line_items": []},
        {"line_items": [line_item("Book", 2300, 0)]},
        {"line_items": [line_item("Book", 2300, 1), line_item("Book", 2300, 1, "eur")]},
        {"line_items": [line_item("Book", 10, 1)]},
        {"line_items": [line_item("Book", 2300, 1, "xyz")]},
        {"line_items": [{"price_data": {"currency": "usd", "unit_amount": 100}, "quantity": 1}]},
        {"expires_at": int(time.time()) + 60},
        {"expires_at": int(time.time()) + 2 * 86_400},
        {"success_url": ""},
        {"customer": "cus_123"},
    ],
    ids=[
        "subscription",
        "no-items",
        "zero-quantity",
        "mixed-currencies",
        "below-minimum",
        "bad-currency",
        "no-product",
        "expires-too-soon",
        "expires-too-late",
        "empty-success-url",
        "unknown-param",
    ],
)
def test_bad_sessions_are_refused_and_store_nothing(
    fresh_client: stripe.StripeClient, params: dict[str, Any]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        new_session(fresh_client, **params)

    assert raised.value.http_status == 400
    assert fresh_client.v1.checkout.sessions.list().data == []
