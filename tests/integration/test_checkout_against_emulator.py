"""Checkout through the test client against the real emulator over HTTP."""

import pytest
from sqlalchemy import select

from bookshop.models import OrderEvent, Payment
from shop_support import HAMMING, count, order_of


def test_the_payment_intent_at_stripe_carries_the_catalog_price_and_what_is_bought(
    start_checkout, stripe_api, emulator
):
    placed = start_checkout(amount=1, currency="usd")
    intent = stripe_api.get(f"{emulator.url}/v1/payment_intents/{placed.payment_intent}").json()
    assert (intent["amount"], intent["currency"]) == (2300, "sgd")
    assert intent["automatic_payment_methods"]["enabled"] is True
    assert intent["receipt_email"] == "reader@example.com"
    assert intent["metadata"] == {"order_reference": placed.reference, "items": f"{HAMMING} x1"}
    assert placed.reference in intent["description"]
    assert intent["status"] == "requires_payment_method"


def test_paying_with_4242_shows_the_receipt_and_marks_the_order_paid(
    client, session, start_checkout, pay
):
    placed = start_checkout()
    assert pay(placed, "4242424242424242").json()["status"] == "succeeded"

    html = client.get(placed.return_path).get_data(as_text=True)

    assert 'data-testid="amount-received">S$23.00<' in html
    assert placed.payment_intent in html and placed.payment_intent.startswith("pi_")
    assert order_of(session, placed).status == "paid"
    events = session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "pending_payment"),
        ("pending_payment", "paid"),
    ]


def test_reloading_the_receipt_changes_nothing(client, session, start_checkout, pay):
    placed = start_checkout()
    pay(placed, "4242424242424242")
    first = client.get(placed.return_path)
    second = client.get(placed.return_path)
    assert first.status_code == second.status_code == 200
    assert count(session, OrderEvent) == 2


def test_a_declined_card_can_be_followed_by_a_good_one(client, session, start_checkout, pay):
    placed = start_checkout()
    declined = pay(placed, "4000000000000002")
    assert declined.status_code == 402
    assert declined.json()["error"]["code"] == "card_declined"

    failed = client.get(placed.return_path + "&redirect_status=succeeded").get_data(as_text=True)
    assert 'data-status="requires_payment_method"' in failed
    assert 'data-testid="try-again"' in failed
    assert order_of(session, placed).status == "pending_payment"

    assert pay(placed, "4242424242424242").json()["status"] == "succeeded"
    paid = client.get(placed.return_path).get_data(as_text=True)
    assert 'data-testid="amount-received">S$23.00<' in paid
    assert order_of(session, placed).status == "paid"


@pytest.mark.parametrize(
    "number",
    [
        "4000000000009995",  # insufficient funds
        "4000000000000069",  # expired card
        "4000000000000127",  # incorrect CVC
        "4000000000009987",  # lost card
    ],
)
def test_other_declines_show_a_failure_and_leave_the_order_unpaid(
    client, session, start_checkout, pay, number
):
    placed = start_checkout()
    assert pay(placed, number).status_code == 402
    html = client.get(placed.return_path).get_data(as_text=True)
    assert 'data-testid="failure-message"' in html
    assert "amount-received" not in html
    assert order_of(session, placed).status == "pending_payment"


def test_a_3ds_card_that_was_not_authenticated_is_not_shown_as_paid(
    client, session, start_checkout, pay
):
    placed = start_checkout()
    assert pay(placed, "4000002500003155").json()["status"] == "requires_action"
    html = client.get(placed.return_path + "&redirect_status=succeeded").get_data(as_text=True)
    assert 'data-status="requires_action"' in html
    assert "amount-received" not in html
    assert order_of(session, placed).status == "pending_payment"


def test_a_payment_intent_the_shop_did_not_create_gets_the_404_page(client, stripe_api, emulator):
    foreign = stripe_api.post(
        f"{emulator.url}/v1/payment_intents", data={"amount": 100, "currency": "sgd"}
    ).json()
    response = client.get(
        f"/checkout/complete?payment_intent={foreign['id']}"
        f"&payment_intent_client_secret={foreign['client_secret']}"
    )
    assert response.status_code == 404


def test_each_checkout_is_its_own_order_and_payment_intent(session, start_checkout):
    first, second = start_checkout(), start_checkout(slug="working-in-public", quantity=2)
    assert first.payment_intent != second.payment_intent
    session.expire_all()
    amounts = {p.payment_intent_id: p.amount for p in session.scalars(select(Payment))}
    assert amounts == {first.payment_intent: 2300, second.payment_intent: 5600}
