"""Cart orders, resume, cancel, refunds and expiry through the test client against the emulator."""

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bookshop.cli import cli
from bookshop.models import Refund, utcnow
from bookshop.testing import csrf_token
from shop_support import (
    HAMMING,
    PUBLIC,
    checkout_cart,
    command_environment,
    confirm_refund,
    line_of,
    order_of,
    refund_form,
    resume_payment,
    review_refund,
    stock,
)


def refund(client, order, **form):
    """Review, then confirm a refund on the order page."""
    html = review_refund(client, order.token, **form).get_data(as_text=True)
    assert "request_id" in refund_form(html), html
    return confirm_refund(client, order.token, html)


def test_two_books_paid_then_partly_and_fully_refunded_at_stripe(
    client, session, pay, stripe_api, emulator
):
    placed = checkout_cart(client, (HAMMING, 2), (PUBLIC, 1))
    assert pay(placed, "4242424242424242").json()["status"] == "succeeded"
    receipt = client.get(placed.return_path).get_data(as_text=True)
    order = order_of(session, placed)
    assert order.status == "paid" and order.total_amount == 7400
    assert f'href="/orders/{order.token}"' in receipt

    hamming = line_of(order, HAMMING)
    refund(client, order, scope="lines", **{f"quantity-{hamming.id}": "1"})

    order = order_of(session, placed)
    assert order.status == "partially_refunded"
    at_stripe = stripe_api.get(
        f"{emulator.url}/v1/refunds", params={"payment_intent": placed.payment_intent}
    ).json()["data"]
    row = session.scalars(select(Refund)).one()
    assert [(r["id"], r["amount"], r["metadata"]["refund_id"]) for r in at_stripe] == [
        (row.stripe_refund_id, 2300, str(row.id))
    ]
    assert stock(session, HAMMING) == 24

    refund(client, order, scope="all")

    order = order_of(session, placed)
    assert order.status == "refunded"
    intent = stripe_api.get(
        f"{emulator.url}/v1/payment_intents/{placed.payment_intent}",
        params={"expand[]": "latest_charge"},
    ).json()
    assert intent["latest_charge"]["amount_refunded"] == 7400
    assert sorted(r.amount for r in order.refunds) == [2300, 5100]
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (25, 25)


def test_coming_back_to_an_unpaid_order_pays_the_same_payment_intent(
    client, session, pay, emulator
):
    placed = checkout_cart(client, (PUBLIC, 1))
    order = order_of(session, placed)

    again = resume_payment(client, order.token)

    assert again.json["clientSecret"] == placed.client_secret
    assert pay(placed, "4242424242424242").json()["status"] == "succeeded"
    client.get(placed.return_path)
    order = order_of(session, placed)
    assert order.status == "paid"
    assert [p.payment_intent_id for p in order.payments] == [placed.payment_intent]


def test_a_payment_intent_whose_amount_changed_is_replaced_and_canceled(
    client, session, stripe_api, emulator
):
    placed = checkout_cart(client, (PUBLIC, 1))
    stripe_api.post(
        f"{emulator.url}/v1/payment_intents/{placed.payment_intent}", data={"amount": 100}
    ).raise_for_status()

    again = resume_payment(client, order_of(session, placed).token)

    new_id = again.json["clientSecret"].split("_secret_")[0]
    assert new_id != placed.payment_intent
    old = stripe_api.get(f"{emulator.url}/v1/payment_intents/{placed.payment_intent}").json()
    new = stripe_api.get(f"{emulator.url}/v1/payment_intents/{new_id}").json()
    assert (old["status"], new["status"], new["amount"]) == (
        "canceled",
        "requires_payment_method",
        2800,
    )


def test_canceling_an_unpaid_order_cancels_its_payment_intent(
    client, session, stripe_api, emulator
):
    placed = checkout_cart(client, (HAMMING, 3))
    order = order_of(session, placed)
    assert stock(session, HAMMING) == 22

    client.post(f"/orders/{order.token}/cancel", data={"csrf_token": csrf_token(client)})

    intent = stripe_api.get(f"{emulator.url}/v1/payment_intents/{placed.payment_intent}").json()
    assert (intent["status"], intent["cancellation_reason"]) == (
        "canceled",
        "requested_by_customer",
    )
    assert order_of(session, placed).status == "canceled"
    assert stock(session, HAMMING) == 25


def test_the_expire_orders_command_cancels_stale_orders_at_stripe(
    app, client, session, stripe_api, emulator, database_url, tmp_path
):
    placed = checkout_cart(client, (HAMMING, 1))
    order = order_of(session, placed)
    order.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()

    result = CliRunner().invoke(
        cli,
        ["expire-orders"],
        env=command_environment(database_url, tmp_path / "cli-instance", emulator),
    )

    assert result.exit_code == 0, result.output
    assert f"{order.reference}  expired" in result.output
    intent = stripe_api.get(f"{emulator.url}/v1/payment_intents/{placed.payment_intent}").json()
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "abandoned")
    assert order_of(session, placed).status == "canceled"
    assert stock(session, HAMMING) == 25


def test_a_refund_stripe_did_not_answer_is_finished_later_with_the_same_key(
    client, session, pay, faults, stripe_api, emulator
):
    placed = checkout_cart(client, (PUBLIC, 1))
    pay(placed, "4242424242424242")
    client.get(placed.return_path)
    order = order_of(session, placed)
    faults({"errors": [{"status": 500, "path": "/v1/refunds", "method": "POST", "count": 3}]})

    refund(client, order, scope="all")

    assert [r.status for r in order_of(session, placed).refunds] == ["pending"]
    assert order_of(session, placed).status == "paid"

    client.get(f"/orders/{order.token}")

    order = order_of(session, placed)
    assert order.status == "refunded"
    at_stripe = stripe_api.get(
        f"{emulator.url}/v1/refunds", params={"payment_intent": placed.payment_intent}
    ).json()["data"]
    assert len(at_stripe) == 1 and at_stripe[0]["id"] == order.refunds[0].stripe_refund_id
