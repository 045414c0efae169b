"""Disputes: the dispute test card opens one; retrieve, list, close won or lost."""

from __future__ import annotations

import pytest
import stripe
from emulator_support import card_data, control, event_types

from stripe_emulator import RunningEmulator


def disputed_intent(client: stripe.StripeClient) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 7000,
            "currency": "usd",
            "confirm": True,
            "payment_method_data": card_data("4000000000000259"),
        }
    )


def test_dispute_card_pays_then_opens_a_dispute(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    intent = disputed_intent(client)

    listed = client.v1.disputes.list(params={"payment_intent": intent.id})

    assert intent.status == "succeeded"
    [dispute] = listed.data
    assert (dispute.charge, dispute.amount, dispute.currency) == (intent.latest_charge, 7000, "usd")
    assert (dispute.status, dispute.reason) == ("needs_response", "fraudulent")
    assert client.v1.charges.retrieve(intent.latest_charge).disputed is True
    assert client.v1.disputes.retrieve(dispute.id).id == dispute.id
    assert event_types(emulator, dispute.id) == ["charge.dispute.created"]


def test_disputes_are_listed_by_charge(client: stripe.StripeClient) -> None:
    intent = disputed_intent(client)

    listed = client.v1.disputes.list(params={"charge": intent.latest_charge})

    assert [dispute.charge for dispute in listed.data] == [intent.latest_charge]


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_closing_a_dispute_decides_it_once(
    client: stripe.StripeClient, emulator: RunningEmulator, outcome: str
) -> None:
    intent = disputed_intent(client)
    dispute = client.v1.disputes.list(params={"payment_intent": intent.id}).data[0]

    closed = control(emulator, "POST", f"disputes/{dispute.id}/close", {"status": outcome})
    again = control(emulator, "POST", f"disputes/{dispute.id}/close", {"status": outcome})

    assert closed.status_code == 200 and closed.json()["status"] == outcome
    assert client.v1.disputes.retrieve(dispute.id).status == outcome
    assert again.status_code == 400
    assert event_types(emulator, dispute.id) == ["charge.dispute.created", "charge.dispute.closed"]


@pytest.mark.parametrize(("dispute", "status"), [("dp_nope", "won"), (None, "maybe")])
def test_closing_needs_a_known_dispute_and_an_outcome(
    client: stripe.StripeClient, emulator: RunningEmulator, dispute: str | None, status: str
) -> None:
    dispute = (
        dispute
        or client.v1.disputes.list(params={"payment_intent": disputed_intent(client).id}).data[0].id
    )

    response = control(emulator, "POST", f"disputes/{dispute}/close", {"status": status})

    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_a_disputed_charge_cannot_be_refunded(client: stripe.StripeClient) -> None:
    intent = disputed_intent(client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id})

    assert raised.value.code == "charge_disputed"
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 0


def test_unknown_dispute_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.disputes.retrieve("dp_nope")

    assert raised.value.http_status == 404
