"""The SDK's older module-level style (stripe.api_key, stripe.api_base) works unmodified too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from emulator_support import ValidatingClient

from stripe_emulator import RunningEmulator


@pytest.fixture
def legacy_stripe(emulator: RunningEmulator) -> Iterator[None]:
    """Point the module globals at the emulator, and put them back afterwards."""
    before = (stripe.api_key, stripe.api_base, stripe.default_http_client)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stripe, "api_key", emulator.secret_key)
        patch.setattr(stripe, "api_base", emulator.url)
        patch.setattr(stripe, "default_http_client", ValidatingClient())
        yield
    assert (stripe.api_key, stripe.api_base, stripe.default_http_client) == before


@pytest.mark.usefixtures("legacy_stripe")
def test_module_level_calls_pay_refund_and_list() -> None:
    intent = stripe.PaymentIntent.create(amount=1800, currency="eur", metadata={"style": "old"})

    paid = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    found = stripe.PaymentIntent.retrieve(intent.id, expand=["latest_charge"])
    refund = stripe.Refund.create(payment_intent=intent.id, amount=800)
    listed = stripe.Refund.list(payment_intent=intent.id)
    event = stripe.Event.list(limit=1).data[0]

    assert paid.status == "succeeded"
    assert found.latest_charge.amount_captured == 1800
    assert [item.id for item in listed.data] == [refund.id]
    assert event.type == "charge.refunded"


@pytest.mark.usefixtures("legacy_stripe")
def test_module_level_decline_raises_card_error() -> None:
    intent = stripe.PaymentIntent.create(amount=1800, currency="eur")

    with pytest.raises(stripe.CardError) as raised:
        intent.confirm(payment_method="pm_card_chargeDeclinedInsufficientFunds")

    assert raised.value.error.decline_code == "insufficient_funds"
