"""Checkout views with Stripe faked at the payments boundary."""

import pytest
from sqlalchemy import select

from bookshop.models import Order, Payment
from bookshop.payments import PaymentUnavailable
from shop_support import HAMMING, count

INTENT_URL = f"/checkout/{HAMMING}/payment-intent"


def start_payment(client, headers, **body):
    return client.post(INTENT_URL, json={"email": "reader@example.com", **body}, headers=headers)


def test_the_checkout_page_hands_the_script_the_publishable_key_and_a_return_url_at_shop_url(
    make_app,
):
    client = make_app(SHOP_URL="https://shop.example:8123").test_client()
    html = client.get(f"/checkout/{HAMMING}", base_url="https://shop.example:8123").get_data(
        as_text=True
    )
    assert 'data-publishable-key="pk_test_unit"' in html
    assert 'data-return-url="https://shop.example:8123/checkout/complete"' in html
    assert 'src="http://127.0.0.1:9/v3/"' in html
    assert "S$23.00" in html


def test_the_payment_intent_is_priced_from_the_catalog_whatever_the_browser_says(
    client, csrf_headers, fake_stripe, session
):
    response = start_payment(client, csrf_headers, amount=1, currency="usd", price=1)
    assert response.status_code == 201
    created = fake_stripe.created[0]
    assert (created["amount"], created["currency"]) == (2300, "sgd")
    assert created["receipt_email"] == "reader@example.com"
    assert created["metadata"] == {
        "order_reference": response.json["order"],
        "items": f"{HAMMING} x1",
    }
    assert created["idempotency_key"] == f"order-{response.json['order']}-2300sgd-pi-1"
    assert response.json["clientSecret"] == "pi_fake000001_secret_fake"
    assert response.json["amount"] == "S$23.00"
    order = session.scalars(select(Order)).one()
    assert (order.total_amount, order.status, order.email) == (
        2300,
        "pending_payment",
        "reader@example.com",
    )
    assert order.payments[0].payment_intent_id == "pi_fake000001"


def test_a_quantity_multiplies_the_catalog_price(client, csrf_headers, fake_stripe):
    start_payment(client, csrf_headers, quantity=3)
    assert fake_stripe.created[0]["amount"] == 6900


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": None}, "email"),
        ({"email": "reader@example.com", "quantity": 0}, "quantity"),
        ({"email": "reader@example.com", "quantity": "many"}, "quantity"),
        ({"email": "reader@example.com", "quantity": 11}, "quantity"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(
    client, csrf_headers, fake_stripe, session, body, field
):
    response = client.post(INTENT_URL, json=body, headers=csrf_headers)
    assert response.status_code == 400
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]
    assert fake_stripe.created == []
    assert count(session, Order) == 0


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'"text"', b""])
def test_a_body_that_is_not_a_json_object_is_refused(client, csrf_headers, session, payload):
    response = client.post(
        INTENT_URL, data=payload, content_type="application/json", headers=csrf_headers
    )
    assert response.status_code == 400
    assert count(session, Order) == 0


def test_a_request_without_the_csrf_token_is_refused(client, fake_stripe, session):
    response = client.post(INTENT_URL, json={"email": "reader@example.com"})
    assert response.status_code == 400
    assert "session" in response.json["error"]["message"]
    assert fake_stripe.created == []
    assert count(session, Order) == 0


def test_a_forged_csrf_token_is_refused(client, fake_stripe):
    client.get(f"/checkout/{HAMMING}")
    response = client.post(
        INTENT_URL, json={"email": "reader@example.com"}, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400
    assert fake_stripe.created == []


def test_an_unknown_book_cannot_be_bought(client, csrf_headers, fake_stripe):
    response = client.post(
        "/checkout/no-such-book/payment-intent",
        json={"email": "reader@example.com"},
        headers={**csrf_headers, "Accept": "application/json"},
    )
    assert response.status_code == 404
    assert fake_stripe.created == []


def test_stripe_unavailable_while_starting_gives_a_clear_message_and_writes_nothing(
    client, csrf_headers, fake_stripe, session, caplog
):
    fake_stripe.fail_with = PaymentUnavailable("APIConnectionError (HTTP None): timed out")
    response = start_payment(client, csrf_headers)
    assert response.status_code == 503
    assert response.json["error"]["message"].startswith("Payments are unavailable")
    assert count(session, Order) == 0
    warnings = [r for r in caplog.records if r.name == "bookshop.errors"]
    assert len(warnings) == 1 and "timed out" in warnings[0].getMessage()


def paid_return_url(client, csrf_headers, fake_stripe, status, **changes):
    response = start_payment(client, csrf_headers)
    pi = response.json["clientSecret"].split("_secret")[0]
    fake_stripe.set_status(pi, status, **changes)
    return fake_stripe.return_path(pi)


def test_a_succeeded_payment_shows_the_amount_received_and_the_reference(
    client, csrf_headers, fake_stripe, session
):
    url = paid_return_url(client, csrf_headers, fake_stripe, "succeeded")
    html = client.get(url).get_data(as_text=True)
    assert 'data-status="succeeded"' in html
    assert 'data-testid="amount-received">S$23.00<' in html
    assert "pi_fake000001" in html
    assert session.scalars(select(Order)).one().status == "paid"


def test_a_processing_payment_says_it_is_being_confirmed(
    client, csrf_headers, fake_stripe, session
):
    url = paid_return_url(client, csrf_headers, fake_stripe, "processing")
    html = client.get(url).get_data(as_text=True)
    assert "We are confirming your payment" in html
    assert session.scalars(select(Order)).one().status == "processing"


def test_a_failed_payment_says_so_and_offers_to_try_again(
    client, csrf_headers, fake_stripe, session
):
    url = paid_return_url(
        client,
        csrf_headers,
        fake_stripe,
        "requires_payment_method",
        last_error_message="Your card was declined.",
    )
    html = client.get(url + "&redirect_status=succeeded").get_data(as_text=True)
    assert 'data-status="requires_payment_method"' in html
    assert "Your card was declined." in html
    token = session.scalars(select(Order)).one().token
    assert f'href="/orders/{token}/pay" data-testid="try-again"' in html
    assert "amount-received" not in html


def test_redirect_status_never_makes_a_payment_paid(client, csrf_headers, fake_stripe, session):
    url = paid_return_url(client, csrf_headers, fake_stripe, "requires_payment_method")
    client.get(url + "&redirect_status=succeeded")
    assert session.scalars(select(Order)).one().status == "pending_payment"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?payment_intent=",
        "?payment_intent=abc",
        "?payment_intent=pi_",
        "?payment_intent=pi_bad!chars",
        "?payment_intent=" + "pi_" + "a" * 300,
        "?payment_intent=pi_unknown123&payment_intent_client_secret=x",
    ],
)
def test_a_missing_malformed_or_unknown_payment_id_says_so_and_links_to_my_orders(
    client, fake_stripe, query
):
    response = client.get("/checkout/complete" + query)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'data-testid="unknown-return"' in html
    assert "We could not find that payment" in html
    assert 'href="/orders" data-testid="my-orders-button"' in html
    assert fake_stripe.retrieved == []  # nothing we do not know reaches Stripe


@pytest.mark.parametrize("secret", ["", "pi_fake000001_secret_wrong", "x"])
def test_the_return_page_needs_the_matching_client_secret(
    client, csrf_headers, fake_stripe, secret
):
    url = paid_return_url(client, csrf_headers, fake_stripe, "succeeded")
    response = client.get(url.split("&")[0] + f"&payment_intent_client_secret={secret}")
    assert response.status_code == 404


def test_a_payment_stripe_no_longer_knows_gets_the_404_page(client, csrf_headers, fake_stripe):
    url = paid_return_url(client, csrf_headers, fake_stripe, "succeeded")
    fake_stripe.intents.clear()
    assert client.get(url).status_code == 404


def test_stripe_unavailable_on_the_return_page_shows_the_unavailable_page(
    client, csrf_headers, fake_stripe, session
):
    url = paid_return_url(client, csrf_headers, fake_stripe, "succeeded")
    fake_stripe.fail_with = PaymentUnavailable("APIError (HTTP 500): boom")
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Payments are unavailable" in html
    assert "Traceback" not in html and "boom" not in html
    assert session.scalars(select(Payment)).one().status == "requires_payment_method"
