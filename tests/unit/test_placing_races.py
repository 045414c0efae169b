"""The last copies sold to another buyer while Stripe answers: the order is not placed, and what
Stripe made for it (a PaymentIntent, or a hosted Checkout Session) is closed so it can never take
money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bookshop import payments
from bookshop.actions import hosted_checkout, paying
from bookshop.extensions import db
from bookshop.models import Order, utcnow
from bookshop.orders import LineRequest, OutOfStock, new_reference
from shop_support import HAMMING, FakeStripe, book, count, stock


def sold_out_during(call: Callable[..., Any]) -> Callable[..., Any]:
    """Stripe's `call`, during which another buyer takes every copy left."""

    def answered_meanwhile(**params: Any) -> Any:
        with db.engine.begin() as other:
            other.execute(text("UPDATE books SET stock = 0 WHERE slug = :slug"), {"slug": HAMMING})
        return call(**params)

    return answered_meanwhile


def start(session: Session) -> dict[str, Any]:
    """What both checkout modes are given for one copy."""
    return {
        "session": session,
        "lines": [LineRequest(book(session, HAMMING), 1)],
        "email": "reader@example.com",
        "reference": new_reference(),
        "browser_id": None,
        "expires_at": utcnow() + timedelta(minutes=30),
        "capture_method": "automatic",
    }


def test_the_new_payment_intent_is_canceled(
    session: Session, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = sold_out_during(fake_stripe.create_payment_intent)
    monkeypatch.setattr(payments, "create_payment_intent", create)

    with pytest.raises(OutOfStock):
        paying.place_and_start_payment(**start(session))

    assert count(session, Order) == 0
    [intent_id] = fake_stripe.intents
    assert fake_stripe.canceled == [intent_id]
    assert fake_stripe.intents[intent_id].status == "canceled"
    assert stock(session, HAMMING) == 0  # the other buyer's, nothing more taken or given back


def test_the_new_hosted_checkout_session_is_expired(
    session: Session, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = sold_out_during(fake_stripe.create_checkout_session)
    monkeypatch.setattr(payments, "create_checkout_session", create)
    urls = hosted_checkout.ReturnUrls(
        "http://localhost/checkout/hosted/complete?session_id={CHECKOUT_SESSION_ID}",
        "http://localhost/cart",
    )

    with pytest.raises(OutOfStock):
        hosted_checkout.place_and_start_checkout(**start(session), urls=urls)

    assert count(session, Order) == 0
    [checkout_id] = fake_stripe.sessions
    assert fake_stripe.sessions[checkout_id].status == "expired"
    assert stock(session, HAMMING) == 0
