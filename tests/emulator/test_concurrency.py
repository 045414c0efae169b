"""Concurrent requests: nothing lost, nothing doubled, one winner where only one may win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import stripe
from emulator_support import object_counts, sdk

from stripe_emulator import RunningEmulator

THREADS = 16


def in_parallel(call: Any, count: int = THREADS) -> list[Any]:
    """Run call(i) from `count` threads at once; results (or exceptions) in order."""

    def guarded(index: int) -> Any:
        try:
            return call(index)
        except Exception as error:  # collected, so that every thread's outcome is seen
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(guarded, range(count)))


def test_parallel_creates_are_all_distinct_and_all_stored(fresh: RunningEmulator) -> None:
    client = sdk(fresh)

    made = in_parallel(
        lambda index: client.v1.payment_intents.create(
            params={"amount": 1000 + index, "currency": "usd"}
        )
    )

    assert all(isinstance(intent, stripe.PaymentIntent) for intent in made), made
    assert len({intent.id for intent in made}) == THREADS
    listed = client.v1.payment_intents.list(params={"limit": 100})
    assert {intent.id for intent in listed.data} == {intent.id for intent in made}
    assert sorted(intent.amount for intent in listed.data) == list(range(1000, 1000 + THREADS))
    assert object_counts(fresh) == {"payment_intent": THREADS, "event": THREADS}


def test_parallel_requests_with_one_idempotency_key_make_one_object(
    fresh: RunningEmulator,
) -> None:
    client = sdk(fresh)

    made = in_parallel(
        lambda _: client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd"}, options={"idempotency_key": "same-order"}
        )
    )

    assert all(isinstance(intent, stripe.PaymentIntent) for intent in made), made
    assert len({intent.id for intent in made}) == 1
    assert object_counts(fresh) == {"payment_intent": 1, "event": 1}


def test_parallel_confirms_of_one_intent_charge_once(fresh: RunningEmulator) -> None:
    client = sdk(fresh)
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})

    outcomes = in_parallel(
        lambda _: client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        )
    )

    succeeded = [item for item in outcomes if isinstance(item, stripe.PaymentIntent)]
    refused = [item for item in outcomes if isinstance(item, stripe.InvalidRequestError)]
    assert len(succeeded) == 1 and len(refused) == THREADS - 1
    assert {error.code for error in refused} == {"payment_intent_unexpected_state"}
    assert len(client.v1.charges.list(params={"payment_intent": intent.id}).data) == 1


def test_parallel_refunds_never_exceed_the_charge(fresh: RunningEmulator) -> None:
    client = sdk(fresh)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )

    outcomes = in_parallel(
        lambda _: client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    )

    refunds = [item for item in outcomes if isinstance(item, stripe.Refund)]
    assert len(refunds) == 3
    assert all(
        isinstance(item, stripe.InvalidRequestError) for item in outcomes if item not in refunds
    )
    assert client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 900


def test_reads_keep_working_while_writes_run(fresh: RunningEmulator) -> None:
    client = sdk(fresh)
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})

    outcomes = in_parallel(
        lambda index: (
            client.v1.payment_intents.retrieve(intent.id)
            if index % 2
            else client.v1.payment_intents.update(
                intent.id, params={"metadata": {f"k{index}": "v"}}
            )
        )
    )

    assert all(isinstance(item, stripe.PaymentIntent) for item in outcomes), outcomes
    final = client.v1.payment_intents.retrieve(intent.id)
    assert set(final.metadata.to_dict()) == {f"k{index}" for index in range(0, THREADS, 2)}
