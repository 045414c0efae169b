"""Cart orders, resume, cancel, refunds and expiry through the test client against the emulator."""

import re
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bookshop.cli import cli
from bookshop.models import Book, Order, Refund, utcnow
from bookshop.testing import csrf_token, start_cart_checkout

from .conftest import Started

HAMMING = "the-art-of-doing-science-and-engineering"  # S$23.00
PUBLIC = "working-in-public"  # S$28.00


def checkout_cart(client, *lines):
    """Fill the cart and start paying, as the pages and the checkout script do."""
    started = start_cart_checkout(client, *lines)
    secret = started["clientSecret"]
    return Started(secret.split("_secret_")[0], secret, started["order"])


def order_of(session, started):
    session.expire_all()
    return session.scalars(select(Order).where(Order.reference == started.reference)).one()


def stock(session, slug):
    session.expire_all()
    return session.scalars(select(Book.stock).where(Book.slug == slug)).one()


def refund(client, order, **form):
    """Review, then confirm a refund on the order page."""
    html = client.post(
        f"/orders/{order.token}/refund/review", data={"csrf_token": csrf_token(client), **form}
    ).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert "request_id" in fields, html
    return client.post(f"/orders/{order.token}/refund", data=fields)


def resume(client, order):
    return client.post(
        f"/orders/{order.token}/payment-intent",
        json={},
        headers={"X-CSRFToken": csrf_token(client), "Accept": "application/json"},
    )


def test_two_books_paid_then_partly_and_fully_refunded_at_stripe(
    client, session, pay, stripe_api, emulator
):
    started = checkout_cart(client, (HAMMING, 2), (PUBLIC, 1))
    assert pay(started, "4242424242424242").json()["status"] == "succeeded"
    receipt = client.get(started.return_path).get_data(as_text=True)
    order = order_of(session, started)
    assert order.status == "paid" and order.total_amount == 7400
    assert f'href="/orders/{order.token}"' in receipt

    hamming = next(line for line in order.lines if line.book.slug == HAMMING)
    refund(client, order, scope="lines", **{f"quantity-{hamming.id}": "1"})

    order = order_of(session, started)
    assert order.status == "partially_refunded"
    at_stripe = stripe_api.get(
        f"{emulator.url}/v1/refunds", params={"payment_intent": started.payment_intent}
    ).json()["data"]
    row = session.scalars(select(Refund)).one()
    assert [(r["id"], r["amount"], r["metadata"]["refund_id"]) for r in at_stripe] == [
        (row.stripe_refund_id, 2300, str(row.id))
    ]
    assert stock(session, HAMMING) == 24

    refund(client, order, scope="all")

    order = order_of(session, started)
    assert order.status == "refunded"
    intent = stripe_api.get(
        f"{emulator.url}/v1/payment_intents/{started.payment_intent}",
        params={"expand[]": "latest_charge"},
    ).json()
    assert intent["latest_charge"]["amount_refunded"] == 7400
    assert sorted(r.amount for r in order.refunds) == [2300, 5100]
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (25, 25)


def test_coming_back_to_an_unpaid_order_pays_the_same_payment_intent(
    client, session, pay, emulator
):
    started = checkout_cart(client, (PUBLIC, 1))
    order = order_of(session, started)

    again = resume(client, order)

    assert again.json["clientSecret"] == started.client_secret
    assert pay(started, "4242424242424242").json()["status"] == "succeeded"
    client.get(started.return_path)
    order = order_of(session, started)
    assert order.status == "paid"
    assert [p.payment_intent_id for p in order.payments] == [started.payment_intent]


def test_a_payment_intent_whose_amount_changed_is_replaced_and_canceled(
    client, session, stripe_api, emulator
):
    started = checkout_cart(client, (PUBLIC, 1))
    stripe_api.post(
        f"{emulator.url}/v1/payment_intents/{started.payment_intent}", data={"amount": 100}
    ).raise_for_status()

    again = resume(client, order_of(session, started))

    new_id = again.json["clientSecret"].split("_secret_")[0]
    assert new_id != started.payment_intent
    old = stripe_api.get(f"{emulator.url}/v1/payment_intents/{started.payment_intent}").json()
    new = stripe_api.get(f"{emulator.url}/v1/payment_intents/{new_id}").json()
    assert (old["status"], new["status"], new["amount"]) == (
        "canceled",
        "requires_payment_method",
        2800,
    )


def test_canceling_an_unpaid_order_cancels_its_payment_intent(
    client, session, stripe_api, emulator
):
    started = checkout_cart(client, (HAMMING, 3))
    order = order_of(session, started)
    assert stock(session, HAMMING) == 22

    client.post(f"/orders/{order.token}/cancel", data={"csrf_token": csrf_token(client)})

    intent = stripe_api.get(f"{emulator.url}/v1/payment_intents/{started.payment_intent}").json()
    assert (intent["status"], intent["cancellation_reason"]) == (
        "canceled",
        "requested_by_customer",
    )
    assert order_of(session, started).status == "canceled"
    assert stock(session, HAMMING) == 25


def test_the_expire_orders_command_cancels_stale_orders_at_stripe(
    app, client, session, stripe_api, emulator, database_url, tmp_path
):
    started = checkout_cart(client, (HAMMING, 1))
    order = order_of(session, started)
    order.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()

    result = CliRunner().invoke(
        cli,
        ["expire-orders"],
        env={
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "cli-instance"),
            "STRIPE_SECRET_KEY": emulator.secret_key,
            "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
            "STRIPE_API_BASE": emulator.url,
        },
    )

    assert result.exit_code == 0, result.output
    assert f"{order.reference}  expired" in result.output
    intent = stripe_api.get(f"{emulator.url}/v1/payment_intents/{started.payment_intent}").json()
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "abandoned")
    assert order_of(session, started).status == "canceled"
    assert stock(session, HAMMING) == 25


def test_a_refund_stripe_did_not_answer_is_finished_later_with_the_same_key(
    client, session, pay, faults, stripe_api, emulator
):
    started = checkout_cart(client, (PUBLIC, 1))
    pay(started, "4242424242424242")
    client.get(started.return_path)
    order = order_of(session, started)
    faults({"errors": [{"status": 500, "path": "/v1/refunds", "method": "POST", "count": 3}]})

    refund(client, order, scope="all")

    assert [r.status for r in order_of(session, started).refunds] == ["pending"]
    assert order_of(session, started).status == "paid"

    client.get(f"/orders/{order.token}")

    order = order_of(session, started)
    assert order.status == "refunded"
    at_stripe = stripe_api.get(
        f"{emulator.url}/v1/refunds", params={"payment_intent": started.payment_intent}
    ).json()["data"]
    assert len(at_stripe) == 1 and at_stripe[0]["id"] == order.refunds[0].stripe_refund_id
