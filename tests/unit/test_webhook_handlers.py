"""What each kind of event does to an order, whatever order the events arrive in."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bookshop import orders, payments
from bookshop.cli import cli
from bookshop.models import Dispute, Email, Refund, StripeEvent
from shop_support import (
    count,
    deliver,
    event,
    fake_stripe_settings,
    moves,
    stock,
    the_order,
)


@dataclass
class FakeStripeObjects:
    """Refunds and disputes as Stripe has them now, standing in for their payments functions."""

    refunds: dict[str, payments.Refund] = field(default_factory=dict)
    disputes: dict[str, payments.Dispute] = field(default_factory=dict)

    def retrieve_refund(self, refund_id: str) -> payments.Refund:
        return self.refunds[refund_id]

    def list_refunds(self, created_gte=None, created_lt=None, payment_intent_id=None):
        return iter(r for r in self.refunds.values() if r.payment_intent == payment_intent_id)

    def retrieve_dispute(self, dispute_id: str) -> payments.Dispute:
        return self.disputes[dispute_id]

    def refund(self, refund_id, payment_intent, amount, status="succeeded", **extra):
        self.refunds[refund_id] = payments.Refund(
            id=refund_id,
            amount=amount,
            currency="sgd",
            status=status,
            payment_intent=payment_intent,
            charge="ch_1",
            reason=extra.get("reason"),
            metadata=extra.get("metadata", {}),
        )
        return refund_object(self.refunds[refund_id])

    def dispute(self, dispute_id, payment_intent, status, due_by=None):
        self.disputes[dispute_id] = payments.Dispute(
            id=dispute_id,
            amount=2300,
            currency="sgd",
            status=status,
            reason="fraudulent",
            payment_intent=payment_intent,
            charge="ch_1",
            evidence_due_by=due_by,
        )
        return {
            "id": dispute_id,
            "object": "dispute",
            "status": status,
            "payment_intent": payment_intent,
            "amount": 2300,
            "currency": "sgd",
        }


def refund_object(refund: payments.Refund) -> dict:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "payment_intent": refund.payment_intent,
        "charge": refund.charge,
        "metadata": dict(refund.metadata),
    }


@pytest.fixture
def stripe_objects(monkeypatch) -> FakeStripeObjects:
    fake = FakeStripeObjects()
    for name in ("retrieve_refund", "list_refunds", "retrieve_dispute"):
        monkeypatch.setattr(payments, name, getattr(fake, name))
    return fake


@pytest.fixture
def paid(client, fake_stripe, pending) -> str:
    assert deliver(client, fake_stripe.succeeded(pending)).status_code == 200
    return pending


def timeline(session) -> list[str]:
    return moves(the_order(session))


# --- PaymentIntents ---------------------------------------------------------------------------


def test_processing_then_succeeded_moves_the_order_through_processing(
    client, fake_stripe, pending, session
):
    fake_stripe.set_status(pending, "processing")
    deliver(client, fake_stripe.intent_event("evt_1", "payment_intent.processing", pending))
    assert the_order(session).status == "processing"

    deliver(client, fake_stripe.succeeded(pending))

    assert timeline(session) == ["pending_payment", "processing", "paid"]


def test_a_late_processing_event_never_moves_a_paid_order_back(client, fake_stripe, paid, session):
    stale = event("evt_old", "payment_intent.processing", {"id": paid, "status": "processing"})

    assert deliver(client, stale).status_code == 200

    assert the_order(session).status == "paid"
    assert the_order(session).payments[0].status == "succeeded"
    assert timeline(session) == ["pending_payment", "paid"]


def test_an_out_of_date_read_of_a_paid_payment_is_ignored(client, fake_stripe, paid, session):
    # Stripe's answer was read before the succeeded event was applied (a race between two
    # deliveries): a final state already recorded is never replaced by an earlier one.
    fake_stripe.intents[paid] = replace(fake_stripe.intents[paid], status="processing")

    deliver(client, event("evt_race", "payment_intent.processing", {"id": paid}))

    assert the_order(session).payments[0].status == "succeeded"
    assert the_order(session).status == "paid"


def test_a_failed_payment_is_recorded_and_the_order_stays_payable(
    client, fake_stripe, pending, session
):
    fake_stripe.set_status(
        pending, "requires_payment_method", last_error_message="Your card was declined."
    )

    response = deliver(
        client, fake_stripe.intent_event("evt_f", "payment_intent.payment_failed", pending)
    )

    assert response.status_code == 200
    order = the_order(session)
    assert order.status == "pending_payment"
    assert order.payments[0].status == "requires_payment_method"
    assert session.get(StripeEvent, "evt_f").processed_at is not None

    deliver(client, fake_stripe.succeeded(pending))  # the customer tries another card
    assert the_order(session).status == "paid"


def test_a_failure_after_processing_makes_the_order_payable_again(
    client, fake_stripe, pending, session
):
    fake_stripe.set_status(pending, "processing")
    deliver(client, fake_stripe.intent_event("evt_p", "payment_intent.processing", pending))
    fake_stripe.set_status(pending, "requires_payment_method")

    deliver(client, fake_stripe.intent_event("evt_f", "payment_intent.payment_failed", pending))

    assert timeline(session) == ["pending_payment", "processing", "pending_payment"]


def test_a_failure_event_for_a_payment_that_has_since_succeeded_marks_it_paid(
    client, fake_stripe, pending, session
):
    failed_then = event("evt_f", "payment_intent.payment_failed", {"id": pending})
    fake_stripe.set_status(pending, "succeeded")  # Stripe, now

    deliver(client, failed_then)

    assert the_order(session).status == "paid"
    assert count(session, Email, Email.kind == "order_paid") == 1


def test_a_canceled_payment_cancels_the_order_and_puts_the_stock_back(
    client, fake_stripe, pending, session
):
    reserved = stock(session)
    fake_stripe.set_status(pending, "canceled")

    deliver(client, fake_stripe.intent_event("evt_c", "payment_intent.canceled", pending))

    assert the_order(session).status == "canceled"
    assert stock(session) == reserved + 1


def test_paying_keeps_the_stock_reserved_at_checkout(client, fake_stripe, pending, session):
    reserved = stock(session)
    deliver(client, fake_stripe.succeeded(pending))
    assert stock(session) == reserved


# --- refunds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "status"), [(2300, "refunded"), (1000, "partially_refunded")])
def test_a_refund_made_in_the_dashboard_reaches_the_order(
    client, paid, session, stripe_objects, amount, status
):
    stripe_objects.refund("re_1", paid, amount)
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid, "amount_refunded": amount}

    assert deliver(client, event("evt_r", "charge.refunded", charge)).status_code == 200

    order = the_order(session)
    assert order.status == status
    assert [(r.stripe_refund_id, r.amount, r.status) for r in order.refunds] == [
        ("re_1", amount, "succeeded")
    ]
    assert count(session, Email, Email.kind == "order_refunded") == 1


def test_refund_created_and_charge_refunded_record_one_refund(
    client, paid, session, stripe_objects
):
    refund = stripe_objects.refund("re_1", paid, 2300)
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid}

    deliver(client, event("evt_a", "refund.created", refund))
    deliver(client, event("evt_b", "charge.refunded", charge))
    deliver(client, event("evt_c", "refund.updated", refund))

    assert count(session, Refund) == 1
    assert count(session, Email, Email.kind == "order_refunded") == 1
    assert the_order(session).status == "refunded"


@pytest.mark.parametrize(("amount", "back_to"), [(2300, "paid"), (1000, "paid")])
def test_a_refund_that_fails_after_succeeding_is_undone_and_can_be_asked_again(
    client, paid, session, stripe_objects, amount, back_to
):
    line = the_order(session).lines[0]
    refund = stripe_objects.refund("re_1", paid, amount)
    deliver(client, event("evt_a", "refund.created", refund))
    stock_after_refund = stock(session)

    failed = stripe_objects.refund("re_1", paid, amount, status="failed")
    assert deliver(client, event("evt_b", "refund.failed", failed)).status_code == 200

    order = the_order(session)
    assert order.status == back_to
    assert [(r.stripe_refund_id, r.status) for r in order.refunds] == [("re_1", "failed")]
    assert orders.balance(order).refundable == 2300
    assert count(session, Email, Email.kind == "refund_failed") == 1
    assert stock(session) == stock_after_refund  # dashboard refunds return no copies
    plan = orders.plan_refund(order, {line.id: 1})
    assert plan.amount == 2300


def test_a_failed_refund_of_copies_takes_them_off_the_shelf_again(
    client, paid, session, fake_stripe
):
    order = the_order(session)
    before = stock(session)
    row = orders.refund_requested(session, order, orders.plan_refund(order, None))
    orders.refund_status_changed(session, row, orders.RefundStatus.SUCCEEDED)
    session.commit()
    assert stock(session) == before + 1

    orders.refund_status_changed(session, row, orders.RefundStatus.FAILED)
    session.commit()

    assert stock(session) == before
    assert the_order(session).status == "paid"
    assert [e.to_status for e in the_order(session).events][-2:] == ["refunded", "paid"]


def test_a_refund_that_failed_stays_failed_when_its_created_event_arrives_late(
    client, paid, session, stripe_objects
):
    created_then = stripe_objects.refund("re_1", paid, 2300, status="succeeded")
    failed_now = stripe_objects.refund("re_1", paid, 2300, status="failed")

    deliver(client, event("evt_failed", "refund.failed", failed_now))
    deliver(client, event("evt_created", "refund.created", created_then))

    order = the_order(session)
    assert [r.status for r in order.refunds] == ["failed"]
    assert order.status == "paid"
    assert count(session, Email, Email.kind == "order_refunded") == 0


def test_a_refund_the_shop_asked_for_is_matched_to_its_ledger_row(
    client, paid, session, stripe_objects
):
    order = the_order(session)
    plan = orders.plan_refund(order, None)
    row = orders.refund_requested(session, order, plan)
    session.commit()
    refund = stripe_objects.refund("re_1", paid, 2300, metadata={"refund_id": str(row.id)})

    deliver(client, event("evt_r", "refund.created", refund))

    assert [(r.id, r.stripe_refund_id, r.status) for r in the_order(session).refunds] == [
        (row.id, "re_1", "succeeded")
    ]


# --- disputes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_marks_the_order_disputed_then_won_or_lost(
    client, paid, session, stripe_objects, outcome
):
    opened = stripe_objects.dispute("dp_1", paid, "needs_response")
    deliver(client, event("evt_d1", "charge.dispute.created", opened))
    assert the_order(session).status == "disputed"

    closed = stripe_objects.dispute("dp_1", paid, outcome)
    deliver(client, event("evt_d2", "charge.dispute.closed", closed))

    assert timeline(session) == ["pending_payment", "paid", "disputed", outcome]
    assert session.scalars(select(Dispute.status)).one() == outcome


def test_a_dispute_created_event_arriving_after_it_closed_changes_nothing(
    client, paid, session, stripe_objects
):
    opened = stripe_objects.dispute("dp_1", paid, "needs_response")
    closed = stripe_objects.dispute("dp_1", paid, "lost")

    deliver(client, event("evt_d2", "charge.dispute.closed", closed))
    deliver(client, event("evt_d1", "charge.dispute.created", opened))

    assert timeline(session) == ["pending_payment", "paid", "disputed", "lost"]
    assert session.scalars(select(Dispute.status)).one() == "lost"


def test_a_dispute_keeps_the_evidence_due_date_stripe_gives(client, paid, session, stripe_objects):
    opened = stripe_objects.dispute("dp_1", paid, "needs_response", due_by=1_900_000_000)
    deliver(client, event("evt_d1", "charge.dispute.created", opened))
    extended = stripe_objects.dispute("dp_1", paid, "needs_response", due_by=1_900_086_400)
    deliver(client, event("evt_d2", "charge.dispute.updated", extended))

    due = session.scalars(select(Dispute.evidence_due_by)).one()
    assert due == datetime.fromtimestamp(1_900_086_400, UTC)


# --- reprocessing stored events ---------------------------------------------------------------


def reprocess_events(app, database_url, *event_ids):
    """Run `reprocess-events` as an operator would, with the shop's settings in the environment."""
    settings = fake_stripe_settings()
    keys = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE")
    env = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": app.config["INSTANCE_PATH"],
        **{key: settings[key] for key in keys},
    }
    return CliRunner().invoke(cli, ["reprocess-events", *event_ids], env=env)


def test_reprocess_events_applies_stored_events_that_failed(
    app, client, fake_stripe, pending, session, monkeypatch, database_url
):
    real = orders.payment_updated
    monkeypatch.setattr(orders, "payment_updated", lambda *a, **k: 1 / 0)
    assert deliver(client, fake_stripe.succeeded(pending)).status_code == 500
    monkeypatch.setattr(orders, "payment_updated", real)

    first = reprocess_events(app, database_url)
    again = reprocess_events(app, database_url)

    assert first.exit_code == 0, first.output
    assert "evt_paid  applied" in first.output
    assert "0 events processed again" in again.output
    assert the_order(session).status == "paid"
    stored = session.get(StripeEvent, "evt_paid")
    assert (stored.attempts, stored.last_error) == (2, None)


def test_reprocess_events_reports_events_that_still_fail(
    app, client, fake_stripe, pending, session, monkeypatch, database_url
):
    monkeypatch.setattr(orders, "payment_updated", lambda *a, **k: 1 / 0)
    deliver(client, fake_stripe.succeeded(pending))

    result = reprocess_events(app, database_url, "evt_paid")

    assert result.exit_code == 1
    assert "evt_paid  failed" in result.output
    session.expire_all()
    assert "ZeroDivisionError" in session.get(StripeEvent, "evt_paid").last_error
