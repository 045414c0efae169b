"""`expand[]` on every call that answers an object: what Stripe lets expand, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from emulator_support import FUTURE_YEAR

from stripe_emulator import RunningEmulator

SESSION = {
    "mode": "payment",
    "line_items": [
        {
            "price_data": {
                "currency": "sgd",
                "unit_amount": 2300,
                "product_data": {"name": "Working in Public"},
            },
            "quantity": 2,
        }
    ],
    "success_url": "https://shop.test/thanks",
    "shipping_options": [
        {
            "shipping_rate_data": {
                "type": "fixed_amount",
                "fixed_amount": {"amount": 500, "currency": "sgd"},
                "display_name": "Standard",
            }
        }
    ],
}


def paid(client: stripe.StripeClient, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2300,
            "currency": "sgd",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **params,
        }
    )


def refused(call: Any, path: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call()

    assert raised.value.user_message == f"This property cannot be expanded ({path})."
    assert raised.value.param == "expand"


def test_payment_intent_fields_expand_on_every_call(client: stripe.StripeClient) -> None:
    wanted = ["latest_charge", "payment_method", "customer", "invoice", "review"]
    created = client.v1.payment_intents.create(
        params={"amount": 2300, "currency": "sgd", "expand": wanted}
    )
    assert (created.latest_charge, created.payment_method, created.customer) == (None, None, None)

    updated = client.v1.payment_intents.update(
        created.id, params={"payment_method": "pm_card_visa", "expand": ["payment_method"]}
    )
    assert updated.payment_method.card.last4 == "4242"

    confirmed = client.v1.payment_intents.confirm(created.id, params={"expand": wanted})
    assert confirmed.latest_charge.object == "charge"
    assert confirmed.latest_charge.balance_transaction.startswith("txn_")

    found = client.v1.payment_intents.retrieve(
        created.id, params={"expand": ["latest_charge.balance_transaction", "customer"]}
    )
    txn = found.latest_charge.balance_transaction
    assert (txn.object, txn.amount, txn.type, txn.source) == (
        "balance_transaction",
        2300,
        "charge",
        found.latest_charge.id,
    )
    assert txn.fee == round(2300 * 0.029) + 30 and txn.net == 2300 - txn.fee
    assert txn.status == "pending" and txn.available_on == txn.created + 2 * 86_400
    assert found.customer is None


def test_capture_and_cancel_answer_expanded(client: stripe.StripeClient) -> None:
    held = paid(client, capture_method="manual")
    other = paid(client, capture_method="manual")

    captured = client.v1.payment_intents.capture(held.id, params={"expand": ["latest_charge"]})
    canceled = client.v1.payment_intents.cancel(other.id, params={"expand": ["latest_charge"]})

    assert captured.latest_charge.captured is True
    assert canceled.latest_charge.refunded is True


def test_lists_expand_with_the_data_prefix_only(fresh_client: stripe.StripeClient) -> None:
    paid(fresh_client)

    found = fresh_client.v1.payment_intents.list(
        params={"expand": ["data.latest_charge", "data.payment_method", "data.customer"]}
    )

    assert found.data[0].latest_charge.object == "charge"
    assert found.data[0].payment_method.object == "payment_method"
    refused(
        lambda: fresh_client.v1.payment_intents.list(params={"expand": ["latest_charge"]}),
        "latest_charge",
    )


def test_charges_refunds_and_their_balance_transactions(client: stripe.StripeClient) -> None:
    intent = paid(client)
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 300, "expand": ["charge", "payment_intent"]}
    )
    assert refund.charge.id == intent.latest_charge
    assert refund.payment_intent.id == intent.id

    found = client.v1.refunds.retrieve(
        refund.id, params={"expand": ["balance_transaction", "charge.balance_transaction"]}
    )
    assert (found.balance_transaction.amount, found.balance_transaction.fee) == (-300, 0)
    assert found.balance_transaction.type == "refund"
    assert found.charge.balance_transaction.amount == 2300
    listed = client.v1.refunds.list(params={"payment_intent": intent.id, "expand": ["data.charge"]})
    assert listed.data[0].charge.id == intent.latest_charge
    charge = client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["payment_intent", "refunds", "customer"]}
    )
    assert (charge.payment_intent.id, charge.refunds.data[0].id) == (intent.id, refund.id)
    charges = client.v1.charges.list(
        params={"payment_intent": intent.id, "expand": ["data.balance_transaction"]}
    )
    assert charges.data[0].balance_transaction.source == intent.latest_charge


def test_an_uncaptured_charge_has_no_balance_transaction_to_expand(
    client: stripe.StripeClient,
) -> None:
    held = paid(client, capture_method="manual")

    charge = client.v1.charges.retrieve(
        held.latest_charge, params={"expand": ["balance_transaction"]}
    )

    assert charge.balance_transaction is None


def test_disputes_expand_their_charge_and_intent(client: stripe.StripeClient) -> None:
    intent = paid(client, payment_method="pm_card_createDispute")
    [dispute] = client.v1.disputes.list(params={"payment_intent": intent.id}).data

    found = client.v1.disputes.retrieve(
        dispute.id, params={"expand": ["charge", "payment_intent.latest_charge"]}
    )

    assert found.charge.disputed is True
    assert found.payment_intent.latest_charge.id == found.charge.id


def test_checkout_sessions_expand_intent_line_items_and_shipping_rates(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    created = client.v1.checkout.sessions.create(
        params={**SESSION, "expand": ["line_items", "payment_intent", "customer"]}
    )
    assert [item.quantity for item in created.line_items.data] == [2]
    assert created.payment_intent is None

    requests.post(
        created.url,
        allow_redirects=False,
        timeout=10,
        data={
            "email": "reader@example.test",
            "card_number": "4242424242424242",
            "card_expiry": f"12 / {FUTURE_YEAR % 100}",
            "card_cvc": "123",
            "postal_code": "12345",
        },
    )
    found = client.v1.checkout.sessions.retrieve(
        created.id,
        params={
            "expand": [
                "payment_intent.latest_charge",
                "shipping_cost.shipping_rate",
                "shipping_options.shipping_rate",
            ]
        },
    )
    assert found.payment_intent.latest_charge.amount == 5100
    assert found.shipping_cost.shipping_rate.display_name == "Standard"
    assert found.shipping_options[0].shipping_rate.object == "shipping_rate"
    listed = client.v1.checkout.sessions.list(
        params={"payment_intent": found.payment_intent.id, "expand": ["data.line_items"]}
    )
    assert listed.data[0].line_items.data[0].amount_total == 4600
    expired = client.v1.checkout.sessions.create(params=SESSION)
    answer = client.v1.checkout.sessions.expire(expired.id, params={"expand": ["line_items"]})
    assert answer.line_items.object == "list"


@pytest.mark.parametrize(
    "path",
    ["amount", "metadata", "latest_charge.amount", "data", "shipping", "client_secret.x", "x.y"],
)
def test_anything_else_is_refused(client: stripe.StripeClient, path: str) -> None:
    intent = paid(client)

    refused(lambda: client.v1.payment_intents.retrieve(intent.id, params={"expand": [path]}), path)


def test_a_refused_expansion_on_a_write_changes_nothing(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 2300, "currency": "sgd"})

    refused(
        lambda: client.v1.payment_intents.update(
            intent.id, params={"description": "x", "expand": ["description"]}
        ),
        "description",
    )

    assert client.v1.payment_intents.retrieve(intent.id).description is None
