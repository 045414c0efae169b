"""Disputes: the dispute test card opens one; retrieve, list, close won or lost."""

from __future__ import annotations

import pytest
import stripe
from emulator_support import Api, card_data, control, event_types
from stripe_schema import SCHEMA

from stripe_emulator import RunningEmulator
from stripe_emulator.resources import disputes


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


def opened_dispute(client: stripe.StripeClient, card: str = "4000000000000259") -> stripe.Dispute:
    intent = client.v1.payment_intents.create(
        params={
            "amount": 7000,
            "currency": "usd",
            "confirm": True,
            "payment_method_data": card_data(card),
        }
    )
    return client.v1.disputes.list(params={"payment_intent": intent.id}).data[0]


def test_evidence_is_staged_then_submitted_once(
    client: stripe.StripeClient, emulator: RunningEmulator
) -> None:
    dispute = opened_dispute(client)

    staged = client.v1.disputes.update(
        dispute.id,
        params={
            "evidence": {"product_description": "Two printed books", "shipping_carrier": "DHL"},
            "submit": False,
        },
    )
    submitted = client.v1.disputes.update(
        dispute.id,
        params={"evidence": {"shipping_tracking_number": "JD0002", "shipping_carrier": ""}},
    )

    assert staged.status == "needs_response"
    assert staged.evidence.product_description == "Two printed books"
    assert staged.evidence_details.has_evidence is True
    assert staged.evidence_details.submission_count == 0
    assert submitted.status == "under_review"
    assert submitted.evidence_details.submission_count == 1
    assert submitted.evidence_details.past_due is False
    assert submitted.evidence.product_description == "Two printed books"  # merged, not replaced
    assert submitted.evidence.shipping_tracking_number == "JD0002"
    assert submitted.evidence.shipping_carrier is None  # an empty string clears a field
    assert client.v1.disputes.retrieve(dispute.id).to_dict() == submitted.to_dict()
    assert event_types(emulator, dispute.id) == [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.updated",
    ]


def test_the_update_event_says_what_changed(client: stripe.StripeClient) -> None:
    dispute = opened_dispute(client)

    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "Signed for."}, "submit": True}
    )

    (event,) = client.v1.events.list(params={"type": "charge.dispute.updated", "limit": 1}).data
    previous = event.data.previous_attributes.to_dict()
    assert event.data.object["id"] == dispute.id
    assert previous["status"] == "needs_response"
    assert previous["evidence"] == {"uncategorized_text": None}
    assert previous["evidence_details"] == {"has_evidence": False, "submission_count": 0}


def test_an_inquiry_goes_to_warning_under_review(client: stripe.StripeClient) -> None:
    inquiry = opened_dispute(client, "4000000000001976")

    submitted = client.v1.disputes.update(
        inquiry.id, params={"evidence": {"customer_name": "Ada Reader"}, "submit": True}
    )

    assert inquiry.status == "warning_needs_response"
    assert submitted.status == "warning_under_review"


def test_metadata_alone_submits_nothing(client: stripe.StripeClient) -> None:
    dispute = opened_dispute(client)

    first = client.v1.disputes.update(
        dispute.id, params={"metadata": {"order": "BK-1", "note": "call"}}
    )
    second = client.v1.disputes.update(dispute.id, params={"metadata": {"note": ""}})

    assert first.metadata.to_dict() == {"order": "BK-1", "note": "call"}
    assert second.metadata.to_dict() == {"order": "BK-1"}
    assert (second.status, second.evidence_details.submission_count) == ("needs_response", 0)
    assert second.evidence_details.has_evidence is False


def test_evidence_submitted_once_takes_no_more(client: stripe.StripeClient) -> None:
    dispute = opened_dispute(client)
    client.v1.disputes.update(dispute.id, params={"evidence": {"customer_name": "Ada"}})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.disputes.update(dispute.id, params={"evidence": {"customer_name": "Bob"}})
    noted = client.v1.disputes.update(dispute.id, params={"metadata": {"seen": "yes"}})

    assert raised.value.http_status == 400
    assert "already been submitted" in str(raised.value.user_message)
    assert noted.evidence.customer_name == "Ada"
    assert noted.evidence_details.submission_count == 1


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_closed_dispute_refuses_evidence(
    client: stripe.StripeClient, emulator: RunningEmulator, outcome: str
) -> None:
    dispute = opened_dispute(client)
    control(emulator, "POST", f"disputes/{dispute.id}/close", {"status": outcome})

    response = Api(emulator).post(
        f"/v1/disputes/{dispute.id}", {"evidence[customer_name]": "Ada", "submit": "true"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert f"already closed ({outcome})" in response.json()["error"]["message"]
    after = client.v1.disputes.retrieve(dispute.id)
    assert (after.status, after.evidence.customer_name) == (outcome, None)
    assert after.evidence_details.submission_count == 0


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"evidence[favourite_colour]": "blue"}, "evidence[favourite_colour]"),
        ({"evidence[receipt]": "Paid in full"}, "evidence[receipt]"),
        ({"evidence[customer_name]": "x" * 5001}, "evidence[customer_name]"),
        ({"evidence[uncategorized_text]": "x" * 20_001}, "evidence[uncategorized_text]"),
        ({"evidence": "everything"}, "evidence"),
        ({"submit": "yes"}, "submit"),
        ({"amount": "100"}, "amount"),
    ],
)
def test_an_update_with_bad_parameters_changes_nothing(
    client: stripe.StripeClient, emulator: RunningEmulator, form: dict[str, str], param: str
) -> None:
    dispute = opened_dispute(client)

    response = Api(emulator).post(f"/v1/disputes/{dispute.id}", form)

    assert response.status_code in (400, 404)
    assert response.json()["error"]["param"] == param
    after = client.v1.disputes.retrieve(dispute.id)
    assert after.to_dict() == dispute.to_dict()
    assert event_types(emulator, dispute.id) == ["charge.dispute.created"]


def test_a_file_upload_id_is_taken_for_a_document(client: stripe.StripeClient) -> None:
    dispute = opened_dispute(client)

    staged = client.v1.disputes.update(
        dispute.id, params={"evidence": {"receipt": "file_1Nreceipt"}, "submit": False}
    )

    assert staged.evidence.receipt == "file_1Nreceipt"


def test_updating_an_unknown_dispute_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.disputes.update("dp_nope", params={"metadata": {"a": "b"}})

    assert raised.value.http_status == 404


def test_an_update_expands_the_charge(client: stripe.StripeClient) -> None:
    dispute = opened_dispute(client)

    updated = client.v1.disputes.update(
        dispute.id, params={"metadata": {"a": "b"}, "expand": ["charge"]}
    )

    assert updated.charge.id == dispute.charge


def test_the_update_takes_the_parameters_of_stripes_spec() -> None:
    body = SCHEMA["x-paths"]["/v1/disputes/{dispute}"]["post"]["requestBody"]
    spec = body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    evidence = spec["evidence"]["properties"]

    assert set(disputes.UPDATE) == set(spec)
    assert set(disputes.EVIDENCE_FIELDS) == set(evidence)
    assert disputes.FILE_FIELDS == {
        name for name, field in evidence.items() if "maxLength" not in field
    }
    assert disputes.LONG_TEXT == {
        name for name, field in evidence.items() if field.get("maxLength") == 20_000
    }
