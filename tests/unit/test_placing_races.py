"""What changes at the shop while Stripe creates the PaymentIntent: the order is not placed, and
the PaymentIntent is canceled so it can never take money."""

from __future__ import annotations

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


def test_the_last_copies_sold_while_stripe_answers_cancel_the_new_payment(
    session: Session, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    def create_while_another_buyer_takes_the_rest(**params: Any) -> payments.PaymentIntent:
        with db.engine.begin() as other:
            other.execute(text("UPDATE books SET stock = 0 WHERE slug = :slug"), {"slug": HAMMING})
        return fake_stripe.create_payment_intent(**params)

    monkeypatch.setattr(
        payments, "create_payment_intent", create_while_another_buyer_takes_the_rest
    )

    with pytest.raises(OutOfStock):
        paying.place_and_start_payment(
            session,
            [LineRequest(book(session, HAMMING), 1)],
            "reader@example.com",
            reference=new_reference(),
            browser_id=None,
            expires_at=utcnow() + timedelta(minutes=30),
        )

    assert count(session, Order) == 0
    [intent_id] = fake_stripe.intents
    assert fake_stripe.canceled == [intent_id]
    assert fake_stripe.intents[intent_id].status == "canceled"
    assert stock(session, HAMMING) == 0  # the other buyer's, nothing more taken or given back


def test_the_last_copies_sold_while_stripe_opens_a_hosted_page_expire_it(
    session: Session, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    def open_while_another_buyer_takes_the_rest(**params: Any) -> payments.CheckoutSession:
        with db.engine.begin() as other:
            other.execute(text("UPDATE books SET stock = 0 WHERE slug = :slug"), {"slug": HAMMING})
        return fake_stripe.create_checkout_session(**params)

    monkeypatch.setattr(
        payments, "create_checkout_session", open_while_another_buyer_takes_the_rest
    )

    with pytest.raises(OutOfStock):
        hosted_checkout.place_and_start_checkout(
            session,
            [LineRequest(book(session, HAMMING), 1)],
            "reader@example.com",
            reference=new_reference(),
            browser_id=None,
            expires_at=utcnow() + timedelta(minutes=30),
            capture_method="automatic",
            urls=hosted_checkout.ReturnUrls(
                "http://localhost/checkout/hosted/complete?session_id={CHECKOUT_SESSION_ID}",
                "http://localhost/cart",
            ),
        )

    assert count(session, Order) == 0
    [checkout_id] = fake_stripe.sessions
    assert fake_stripe.sessions[checkout_id].status == "expired"
