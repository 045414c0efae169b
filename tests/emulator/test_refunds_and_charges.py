"""Charges and refunds: retrieve, list, full and partial refunds, limits, the failing refund."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from emulator_support import event_types, wait_until

from stripe_emulator import RunningEmulator


def paid_intent(client: stripe.StripeClient, card: str = "pm_card_visa", **params: Any) -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "confirm": True,
            "payment_method": card,
            **params,
        }
    )


def test_charge_is_retrieved_and_listed_by_payment_intent(client: stripe.StripeClient) -> None:
    intent = paid_intent(client)

    charge = client.v1.charges.retrieve(intent.latest_charge)
    listed = client.v1.charges.list(params={"payment_intent": intent.id})

    assert charge.payment_intent == intent.id and charge.amount == 5000
    assert [found.id for found in listed.data] == [charge.id]
    assert charge.refunds.data == [] and charge.refunded is False


def test_full_refund_by_payment_intent(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = paid_intent(client)

    refund = client.v1.refunds.create(params={"payment_intent": intent.id})

    assert (refund.status, refund.amount, refund.currency) == ("succeeded", 5000, "usd")
    assert (refund.charge, refund.payment_intent) == (intent.latest_charge, intent.id)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.refunded, charge.amount_refunded) == (True, 5000)
    assert [found.id for found in charge.refunds.data] == [refund.id]
    assert event_types(emulator, refund.id) == ["refund.created"]
    assert event_types(emulator, charge.id)[-1] == "charge.refunded"


def test_partial_refunds_by_charge_add_up_to_the_amount_and_no_further(
    client: stripe.StripeClient,
) -> None:
    intent = paid_intent(client)
    charge_id = intent.latest_charge

    first = client.v1.refunds.create(params={"charge": charge_id, "amount": 1000})
    partly = client.v1.charges.retrieve(charge_id)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": charge_id, "amount": 4001})
    rest = client.v1.refunds.create(params={"charge": charge_id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"charge": charge_id, "amount": 1})

    assert (first.amount, rest.amount) == (1000, 4000)
    assert (partly.refunded, partly.amount_refunded) == (False, 1000)
    assert too_much.value.code == "amount_too_large" and too_much.value.param == "amount"
    assert "$40.01" in too_much.value.user_message and "$40.00" in too_much.value.user_message
    assert again.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(charge_id)
    assert (charge.refunded, charge.amount_refunded) == (True, 5000)
    assert [refund.id for refund in charge.refunds.data] == [rest.id, first.id]


def test_refund_keeps_reason_and_metadata_and_metadata_can_change(
    client: stripe.StripeClient,
) -> None:
    intent = paid_intent(client)

    refund = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "amount": 500,
            "reason": "requested_by_customer",
            "metadata": {"order": "7"},
        }
    )
    updated = client.v1.refunds.update(refund.id, params={"metadata": {"note": "late"}})
    found = client.v1.refunds.retrieve(refund.id)

    assert refund.reason == "requested_by_customer"
    assert updated.metadata.to_dict() == {"order": "7", "note": "late"}
    assert found.metadata.to_dict() == {"order": "7", "note": "late"}


def test_refunds_are_listed_by_payment_intent_and_by_charge(client: stripe.StripeClient) -> None:
    intent = paid_intent(client)
    other = paid_intent(client)
    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 100})
    second = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 200})
    client.v1.refunds.create(params={"payment_intent": other.id})

    by_intent = client.v1.refunds.list(params={"payment_intent": intent.id})
    by_charge = client.v1.refunds.list(params={"charge": intent.latest_charge, "limit": 1})

    assert [refund.id for refund in by_intent.data] == [second.id, first.id]
    assert [refund.id for refund in by_charge.data] == [second.id] and by_charge.has_more


def test_after_a_partial_capture_only_the_captured_amount_is_refundable(
    client: stripe.StripeClient,
) -> None:
    intent = paid_intent(client, capture_method="manual")
    client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 3000})

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 3001})
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})

    assert too_much.value.code == "amount_too_large"
    assert refund.amount == 3000
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.refunded, charge.amount_refunded) == (True, 5000)


@pytest.mark.parametrize(
    "status", ["requires_payment_method", "requires_capture", "canceled"], ids=str
)
def test_refund_of_an_unpaid_intent_is_refused(client: stripe.StripeClient, status: str) -> None:
    if status == "requires_capture":
        intent = paid_intent(client, capture_method="manual")
    else:
        intent = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
        if status == "canceled":
            client.v1.payment_intents.cancel(intent.id)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id})

    assert raised.value.http_status == 400
    assert client.v1.refunds.list(params={"payment_intent": intent.id}).data == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"payment_intent": "PAID", "amount": "0"},
        {"payment_intent": "PAID", "amount": "-5"},
        {"payment_intent": "PAID", "reason": "changed_mind"},
        {"payment_intent": "PAID", "charge": "ch_nope"},
        {"charge": "ch_nope"},
        {"payment_intent": "pi_nope"},
    ],
    ids=["no-target", "zero", "negative", "unknown-reason", "both", "no-charge", "no-intent"],
)
def test_bad_refund_requests_are_refused(
    client: stripe.StripeClient, params: dict[str, Any]
) -> None:
    intent = paid_intent(client)
    sent = {name: intent.id if value == "PAID" else value for name, value in params.items()}

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params=sent)

    assert raised.value.http_status in (400, 404)
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0


def test_refund_of_the_refund_failure_card_fails_afterwards(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = paid_intent(client, card="pm_card_refundFail")

    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    failed = wait_until(
        lambda: (found := client.v1.refunds.retrieve(refund.id)).status == "failed" and found
    )

    assert refund.status == "succeeded"
    assert failed.failure_reason == "expired_or_canceled_card"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.refunded, charge.amount_refunded) == (False, 0)
    assert event_types(emulator, refund.id) == ["refund.created", "refund.updated", "refund.failed"]


def test_unknown_refund_and_charge_are_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refund:
        client.v1.refunds.retrieve("re_nope")
    with pytest.raises(stripe.InvalidRequestError) as charge:
        client.v1.charges.retrieve("ch_nope")

    assert (refund.value.http_status, charge.value.http_status) == (404, 404)
