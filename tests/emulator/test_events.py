"""Events: one per change, as Stripe names them; retrieve, filter by type and time, paginate."""

from __future__ import annotations

import pytest
import stripe
from emulator_support import Api, event_types

from stripe_emulator import RunningEmulator


def test_each_step_of_a_payment_and_refund_is_an_event(
    fresh_client: stripe.StripeClient, fresh: RunningEmulator
) -> None:
    intent = fresh_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    fresh_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    refund = fresh_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 400})

    events = fresh_client.v1.events.list()

    assert [event.type for event in events.data] == [
        "charge.refunded",
        "refund.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]
    created, succeeded = events.data[4], events.data[2]
    assert created.data.object.status == "requires_payment_method"  # a snapshot of that moment
    assert succeeded.data.object.status == "succeeded"
    assert events.data[0].data.previous_attributes.to_dict() == {
        "amount_refunded": 0,
        "refunded": False,
    }
    assert events.data[1].data.object.id == refund.id
    assert event_types(fresh, intent.id) == ["payment_intent.created", "payment_intent.succeeded"]


def test_event_is_retrieved_by_id(fresh_client: stripe.StripeClient) -> None:
    intent = fresh_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    listed = fresh_client.v1.events.list(params={"limit": 1}).data[0]

    found = fresh_client.v1.events.retrieve(listed.id)

    assert found.id == listed.id and found.type == "payment_intent.created"
    assert found.data.object.id == intent.id
    assert found.livemode is False and found.api_version


def test_event_records_the_request_and_its_idempotency_key(
    fresh_client: stripe.StripeClient,
) -> None:
    fresh_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur"}, options={"idempotency_key": "order-1"}
    )

    event = fresh_client.v1.events.list(params={"limit": 1}).data[0]

    assert event.request.id.startswith("req_")
    assert event.request.idempotency_key == "order-1"


def test_events_filter_by_type_types_and_wildcard(fresh_client: stripe.StripeClient) -> None:
    intent = fresh_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    fresh_client.v1.refunds.create(params={"payment_intent": intent.id})

    one = fresh_client.v1.events.list(params={"type": "payment_intent.succeeded"})
    some = fresh_client.v1.events.list(params={"types": ["refund.created", "charge.succeeded"]})
    wild = fresh_client.v1.events.list(params={"type": "charge.*"})
    none = fresh_client.v1.events.list(params={"type": "customer.created"})

    assert [event.type for event in one.data] == ["payment_intent.succeeded"]
    assert [event.type for event in some.data] == ["refund.created", "charge.succeeded"]
    assert [event.type for event in wild.data] == ["charge.refunded", "charge.succeeded"]
    assert none.data == []


def test_events_filter_by_creation_time(fresh_client: stripe.StripeClient) -> None:
    fresh_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    created = fresh_client.v1.events.list().data[0].created

    since = fresh_client.v1.events.list(params={"created": {"gte": created}})
    after = fresh_client.v1.events.list(params={"created": {"gt": created}})
    before = fresh_client.v1.events.list(params={"created": {"lt": created}})
    until = fresh_client.v1.events.list(params={"created": {"lte": created}})

    assert len(since.data) == 1 and len(until.data) == 1
    assert after.data == [] and before.data == []


def test_events_page_newest_first(fresh_client: stripe.StripeClient) -> None:
    for _ in range(5):
        fresh_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    everything = [event.id for event in fresh_client.v1.events.list().data]

    first = fresh_client.v1.events.list(params={"limit": 2})
    rest = fresh_client.v1.events.list(params={"limit": 10, "starting_after": first.data[-1].id})
    paged = [
        event.id for event in fresh_client.v1.events.list(params={"limit": 2}).auto_paging_iter()
    ]

    assert len(everything) == 5
    assert [event.id for event in first.data] == everything[:2] and first.has_more
    assert [event.id for event in rest.data] == everything[2:] and not rest.has_more
    assert paged == everything


def test_type_and_types_together_are_refused(emulator: RunningEmulator) -> None:
    response = Api(emulator).get(
        "/v1/events", {"type": "charge.succeeded", "types[]": "charge.failed"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "types"


def test_unknown_event_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.retrieve("evt_nope")

    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
