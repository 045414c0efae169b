"""The back office against the emulator: a refund made from the order page reaches Stripe and
comes back through its webhook, a failed event is processed again from its page, reconciliation
runs from the page and keeps its report, and dispute evidence is sent through Stripe."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from back_office_support import ADMIN, accounts_in, post, sign_in
from bookshop.extensions import db
from bookshop.models import Dispute, ReconcileReport, StripeEvent, utcnow
from shop_support import Shop, order_of, shop_receiving_webhooks
from stripe_emulator import RunningEmulator

DISPUTE_CARD = "4000000000000259"


@pytest.fixture(scope="module")
def emulator(private_emulator: RunningEmulator) -> RunningEmulator:
    """An emulator of this module's own (reconciliation lists everything it holds)."""
    return private_emulator


@pytest.fixture
def shop(app: Flask, emulator: RunningEmulator, faults: Callable, tmp_path: Path) -> Iterator[Shop]:
    requests.post(f"{emulator.url}/_emulator/reset", timeout=10).raise_for_status()
    faults({"webhooks": {"retry_base_seconds": 0.1}})
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


@pytest.fixture
def admin(app: Flask):
    account, _ = accounts_in(app)
    client = app.test_client()
    sign_in(client, account)
    return client


def order_id_of(app: Flask, reference: str) -> int:
    from bookshop import orders

    with app.app_context():
        return orders.find_order_by_reference(db.session, reference).id


def test_a_refund_of_one_line_from_the_back_office_reaches_stripe(app, shop, admin, session):
    placed = shop.place(quantity=2)
    shop.pay(placed)
    shop.flush()
    order_id = order_id_of(app, placed.reference)
    with app.app_context():
        from bookshop.models import Order

        line_id = db.session.get(Order, order_id).lines[0].id
    form = {
        "mode": "lines",
        f"quantity-{line_id}": "1",
        "reason": "requested_by_customer",
        "note": "one copy was damaged",
        "request_id": "i" * 24,
        "expected_amount": "2300",
    }
    assert post(admin, f"{ADMIN}/orders/{order_id}/refund", **form).status_code == 303
    shop.flush()

    refunds = shop.api("GET", f"/v1/refunds?payment_intent={placed.payment_intent}")["data"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(2300, "succeeded")]
    assert refunds[0]["metadata"]["order_reference"] == placed.reference
    order = order_of(session, placed)
    assert order.status == "partially_refunded"
    page = admin.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert refunds[0]["id"] in page
    assert "charge.refunded" in page or "refund.updated" in page or "refund.created" in page


def test_a_failed_event_is_processed_again_from_its_page(app, shop, admin, faults, session):
    faults({"webhooks": {"drop": 1.0}})  # the shop never hears of the payment
    placed = shop.place()
    shop.pay(placed)
    shop.flush()
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    with app.app_context():
        # As the receiver leaves an event whose processing failed: stored, tried, not processed.
        db.session.add(
            StripeEvent(
                id=succeeded["id"],
                type=succeeded["type"],
                object_id=placed.payment_intent,
                payload=json.dumps(succeeded),
                attempts=1,
                last_error="PaymentUnavailable: Stripe did not answer",
            )
        )
        db.session.commit()
    assert order_of(session, placed).status == "pending_payment"
    page = admin.get(f"{ADMIN}/events?state=failed").get_data(as_text=True)
    assert succeeded["id"] in page

    response = post(admin, f"{ADMIN}/events/{succeeded['id']}/reprocess")

    assert response.status_code == 303
    session.expire_all()
    assert order_of(session, placed).status == "paid"
    with app.app_context():
        event = db.session.get(StripeEvent, succeeded["id"])
        assert event.processed_at is not None and event.last_error is None
    assert "Processed again: applied" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_reconcile_from_the_page_repairs_and_keeps_the_report(app, shop, admin, faults, session):
    faults({"webhooks": {"drop": 1.0}})
    placed = shop.place()
    shop.pay(placed)
    shop.flush()
    now = utcnow()
    window = {
        "since": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "until": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert post(admin, f"{ADMIN}/reconcile", since="nonsense", until="x").status_code == 303

    response = post(admin, f"{ADMIN}/reconcile", **window)

    assert response.status_code == 303
    session.expire_all()
    assert order_of(session, placed).status == "paid"
    with app.app_context():
        (report,) = db.session.scalars(select(ReconcileReport)).all()
        assert report.repaired >= 1 and report.failed == 0
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert placed.payment_intent in page
    assert "Report" in admin.get(f"{ADMIN}/reconcile").get_data(as_text=True) or page


def test_dispute_evidence_is_submitted_through_stripe(app, shop, admin, session):
    placed = shop.place()
    shop.pay(placed, DISPUTE_CARD)
    shop.flush()
    with app.app_context():
        dispute = db.session.scalars(select(Dispute)).one()
        dispute_id, stripe_id, due_by = (
            dispute.id,
            dispute.stripe_dispute_id,
            dispute.evidence_due_by,
        )
    opened = shop.api("GET", f"/v1/disputes/{stripe_id}")
    # The due date came with the webhook, before anyone opened the dispute's page.
    assert due_by == datetime.fromtimestamp(opened["evidence_details"]["due_by"], UTC)
    listed = admin.get(f"{ADMIN}/disputes").get_data(as_text=True)
    assert f'<time datetime="{due_by.isoformat()}">' in listed
    page = admin.get(f"{ADMIN}/disputes/{dispute_id}").get_data(as_text=True)
    assert placed.reference in page  # the product description is prefilled from the order

    response = post(
        admin,
        f"{ADMIN}/disputes/{dispute_id}/evidence",
        product_description="Printed books",
        customer_email_address="reader@example.com",
        uncategorized_text="Delivered to the address given at checkout.",
        customer_communication="The reader wrote to thank us.",
        submit_now="yes",
    )

    assert response.status_code == 303
    at_stripe = shop.api("GET", f"/v1/disputes/{stripe_id}")
    assert at_stripe["evidence"]["product_description"] == "Printed books"
    assert at_stripe["evidence"]["customer_communication"] is None  # a file upload at Stripe
    assert at_stripe["evidence"]["uncategorized_text"] == (
        "Delivered to the address given at checkout.\n\n"
        "Communication with the customer:\nThe reader wrote to thank us."
    )
    assert at_stripe["evidence_details"]["submission_count"] == 1
    assert at_stripe["status"] == "under_review"
    shop.flush()  # charge.dispute.updated comes back
    session.expire_all()
    assert session.get(Dispute, dispute_id).status == "under_review"
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The evidence is submitted to the bank." in page
    assert "Stripe takes no changes now" in page
    again = post(
        admin,
        f"{ADMIN}/disputes/{dispute_id}/evidence",
        uncategorized_text="More",
        submit_now="yes",
    )
    assert "no longer takes evidence" in admin.get(again.headers["Location"]).get_data(as_text=True)
