"""Payments that settle later (`payments.settle_seconds`): processing, then paid or declined."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import pytest
import requests
import stripe
from emulator_support import FUTURE_YEAR, event_types, set_faults, wait_until

from stripe_emulator import EmulatorProcess, RunningEmulator

SETTLE = 0.3


@pytest.fixture
def slow_bank(fresh: EmulatorProcess) -> EmulatorProcess:
    """An emulator whose card payments settle SETTLE seconds after confirmation."""
    set_faults(fresh, {"payments": {"settle_seconds": SETTLE}})
    return fresh


def confirm(client: stripe.StripeClient, card: str, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "confirm": True,
            "payment_method": card,
            **params,
        }
    )


def settled(client: stripe.StripeClient, intent_id: str) -> stripe.PaymentIntent:
    """The intent once it has left processing."""
    return wait_until(
        lambda: (
            (found := client.v1.payment_intents.retrieve(intent_id)).status != "processing"
            and found
        )
    )


def test_confirmation_is_processing_then_succeeds_in_the_background(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_visa")

    assert intent.status == "processing"
    assert intent.latest_charge is None and intent.amount_received == 0
    assert intent.processing.type == "card"
    assert intent.processing.card.customer_notification.completes_at >= intent.created
    assert event_types(slow_bank, intent.id) == [
        "payment_intent.created",
        "payment_intent.processing",
    ]
    paid = settled(fresh_client, intent.id)
    assert (paid.status, paid.amount_received, paid.processing) == ("succeeded", 2500, None)
    charge = fresh_client.v1.charges.retrieve(paid.latest_charge)
    assert charge.status == "succeeded"
    assert event_types(slow_bank, intent.id)[-1] == "payment_intent.succeeded"
    assert event_types(slow_bank, charge.id) == ["charge.succeeded"]


def test_a_declining_card_is_accepted_then_fails_in_the_background(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_chargeDeclinedInsufficientFunds")

    failed = settled(fresh_client, intent.id)

    assert intent.status == "processing"
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.decline_code == "insufficient_funds"
    assert event_types(slow_bank, intent.id)[-1] == "payment_intent.payment_failed"
    assert event_types(slow_bank, failed.latest_charge) == ["charge.failed"]


def test_manual_capture_settles_to_requires_capture(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_visa", capture_method="manual")

    held = settled(fresh_client, intent.id)

    assert (held.status, held.amount_capturable) == ("requires_capture", 2500)
    assert event_types(slow_bank, intent.id)[-1] == "payment_intent.amount_capturable_updated"


def test_a_processing_payment_cannot_be_confirmed_again(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_visa")

    with pytest.raises(stripe.InvalidRequestError) as raised:
        fresh_client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        )

    assert raised.value.code == "payment_intent_unexpected_state"
    settled(fresh_client, intent.id)


def jobs_waiting(server: EmulatorProcess) -> int:
    """Jobs not run yet, read from the emulator's data file."""
    with closing(sqlite3.connect(server.db_path)) as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def test_canceled_while_processing_never_charges(
    slow_bank: EmulatorProcess, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_visa")

    canceled = fresh_client.v1.payment_intents.cancel(intent.id)
    wait_until(lambda: jobs_waiting(slow_bank) == 0)

    assert canceled.status == "canceled"
    assert fresh_client.v1.payment_intents.retrieve(intent.id).status == "canceled"
    assert fresh_client.v1.charges.list(params={"payment_intent": intent.id}).data == []


def test_three_d_secure_then_processing(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    intent = confirm(fresh_client, "pm_card_threeDSecure2Required", return_url="https://s.test/r")

    back = requests.post(
        intent.next_action.redirect_to_url.url,
        data={"outcome": "complete"},
        allow_redirects=False,
        timeout=10,
    )

    assert "redirect_status=succeeded" in back.headers["Location"]
    assert fresh_client.v1.payment_intents.retrieve(intent.id).status == "processing"
    assert settled(fresh_client, intent.id).status == "succeeded"


def test_checkout_completes_unpaid_then_reports_the_settled_payment(
    slow_bank: RunningEmulator, fresh_client: stripe.StripeClient
) -> None:
    session = fresh_client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 2500,
                        "product_data": {"name": "Book"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.test/ok",
        }
    )
    form = {
        "email": "reader@example.test",
        "card_number": "4242424242424242",
        "card_expiry": f"12 / {FUTURE_YEAR % 100}",
        "card_cvc": "123",
    }

    paid_page = requests.post(session.url, data=form, allow_redirects=False, timeout=10)
    completed = fresh_client.v1.checkout.sessions.retrieve(session.id)
    paid = wait_until(
        lambda: (
            (found := fresh_client.v1.checkout.sessions.retrieve(session.id)).payment_status
            == "paid"
            and found
        )
    )

    assert paid_page.status_code == 303
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    assert paid.status == "complete"
    assert event_types(slow_bank, session.id) == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
