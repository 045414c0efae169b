"""Stripe's reports of refunds and disputes, repeated, reordered, or naming a row they should not:
one ledger row per refund, never one refund overwriting another, and the alarms a person needs."""

import logging
from dataclasses import replace

import pytest
from sqlalchemy import select

from bookshop import orders, stripe_sync
from bookshop.models import Dispute, Email, Refund
from bookshop.orders import OrderError, OrderStatus, RefundStatus
from bookshop.payments import Dispute as StripeDispute
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, PUBLIC, count, intent_for, line_of, new_order, stock

S = OrderStatus


def paid_order(session, reference="BK-TEST-0001", payment_intent="pi_unit1"):
    order = new_order(session, (HAMMING, 2), (PUBLIC, 1), reference=reference)
    payment = orders.payment_started(
        session, order, intent_for(order, "requires_payment_method", id=payment_intent)
    )
    orders.payment_updated(session, payment, intent_for(order, "succeeded", id=payment_intent))
    session.flush()
    return order


def stripe_refund(order, amount, status="succeeded", refund_id="re_1", **changes):
    refund = StripeRefund(
        id=refund_id,
        amount=amount,
        currency=order.currency,
        status=status,
        payment_intent=order.payments[0].payment_intent_id,
        charge="ch_1",
        reason="requested_by_customer",
        metadata={},
    )
    return replace(refund, **changes)


def stripe_dispute(order, status, dispute_id="dp_1", **changes):
    dispute = StripeDispute(
        id=dispute_id,
        amount=order.total_amount,
        currency=order.currency,
        status=status,
        reason="fraudulent",
        payment_intent=order.payments[0].payment_intent_id,
        charge="ch_1",
    )
    return replace(dispute, **changes)


def rows(session):
    """The ledger as saved."""
    session.flush()
    session.expire_all()
    return [
        (r.stripe_refund_id, r.amount, r.status)
        for r in session.scalars(select(Refund).order_by(Refund.id))
    ]


# --- one ledger row per refund --------------------------------------------------------------


def test_a_dashboard_refund_reported_again_is_counted_once(session):
    order = paid_order(session)
    refund = stripe_refund(order, 1000, refund_id="re_dash", reason="duplicate")

    orders.refund_updated(session, refund)
    orders.refund_updated(session, refund)
    session.flush()

    assert rows(session) == [("re_dash", 1000, "succeeded")]
    row = session.scalars(select(Refund)).one()
    assert (row.currency, row.reason, row.payment_id) == ("sgd", "duplicate", order.payments[0].id)
    assert orders.balance(order).refunded == 1000
    assert count(session, Email, Email.kind == "order_refunded") == 1


def test_a_second_refund_naming_a_matched_row_gets_its_own_row(session):
    order = paid_order(session)
    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {}))
    session.flush()
    metadata = {"refund_id": str(row.id)}
    orders.refund_updated(session, stripe_refund(order, 2300, metadata=metadata))

    orders.refund_updated(session, stripe_refund(order, 500, refund_id="re_2", metadata=metadata))
    session.flush()

    assert rows(session) == [("re_1", 2300, "succeeded"), ("re_2", 500, "succeeded")]
    assert orders.balance(order).refunded == 2800


def test_a_refund_naming_another_orders_row_does_not_touch_it(session):
    first = paid_order(session)
    second = paid_order(session, reference="BK-TEST-0002", payment_intent="pi_unit2")
    theirs = orders.refund_requested(session, first, orders.RefundPlan(2300, {}))
    session.flush()

    foreign = stripe_refund(second, 700, refund_id="re_2", metadata={"refund_id": str(theirs.id)})
    orders.refund_updated(session, foreign)
    session.flush()

    session.expire_all()
    assert (theirs.stripe_refund_id, theirs.status) == (None, "pending")
    assert [(r.stripe_refund_id, r.amount) for r in second.refunds] == [("re_2", 700)]


@pytest.mark.parametrize("metadata", [{"refund_id": "abc"}, {"refund_id": "999999"}, {}])
def test_a_refund_naming_no_row_of_the_shop_gets_a_row_of_its_own(session, metadata):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, 800, metadata=metadata))
    assert rows(session) == [("re_1", 800, "succeeded")]


def test_a_refund_of_a_payment_the_shop_never_made_is_ignored(session):
    order = paid_order(session)
    assert orders.refund_updated(session, stripe_refund(order, 800, payment_intent=None)) is None
    assert rows(session) == []


@pytest.mark.parametrize(
    ("stripe_status", "ledger"),
    [
        ("pending", "pending"),
        ("requires_action", "pending"),
        ("succeeded", "succeeded"),
        ("failed", "failed"),
        ("canceled", "canceled"),
        ("something_new", "pending"),
    ],
)
def test_stripes_refund_statuses_in_the_ledgers_words(session, stripe_status, ledger):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, 800, status=stripe_status))
    assert rows(session) == [("re_1", 800, ledger)]


# --- what a refund request writes ---------------------------------------------------------------


def test_a_refund_request_is_a_pending_row_with_its_copies_and_a_key(session):
    order = paid_order(session)
    hamming = line_of(order, HAMMING)

    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {hamming.id: 1}))

    assert (row.amount, row.currency, row.status, row.reason) == (
        2300,
        "sgd",
        RefundStatus.PENDING,
        "requested_by_customer",
    )
    assert row.payment is order.payments[0]
    assert [(line.order_line_id, line.quantity) for line in row.lines] == [(hamming.id, 1)]
    assert row.idempotency_key.startswith("refund-BK-TEST-0001-")
    assert len(row.idempotency_key) == len("refund-BK-TEST-0001-") + 16
    keyed = orders.refund_requested(
        session, order, orders.RefundPlan(100, {}), idempotency_key="k-1", reason="duplicate"
    )
    assert (keyed.idempotency_key, keyed.reason) == ("k-1", "duplicate")


def test_an_order_without_a_paid_payment_has_nothing_to_refund(session):
    order = new_order(session, (HAMMING, 1))
    with pytest.raises(OrderError, match="This order has no payment to refund."):
        orders.refund_requested(session, order, orders.RefundPlan(2300, {}))


# --- alarms -----------------------------------------------------------------------------------


def errors_logged(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_refund_failing_after_it_succeeded_raises_the_alarm(session, caplog):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, 2300))
    caplog.clear()

    orders.refund_updated(session, stripe_refund(order, 2300, status="failed"))

    assert errors_logged(caplog) == [
        "order BK-TEST-0001: refund re_1 went from succeeded to failed; the money did not go back"
    ]


def test_a_pending_refund_failing_is_no_alarm(session, caplog):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, 2300, status="pending"))
    orders.refund_updated(session, stripe_refund(order, 2300, status="failed"))
    assert errors_logged(caplog) == []
    assert order.status == S.PAID


def test_money_taken_on_a_canceled_order_raises_the_alarm(session, caplog):
    order = new_order(session, (HAMMING, 1))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.order_canceled(session, order, "canceled by the customer")

    orders.payment_updated(session, payment, intent_for(order, "succeeded"))

    assert order.status == S.CANCELED
    assert errors_logged(caplog) == ["order BK-TEST-0001: payment pi_unit1 succeeded after cancel"]


def test_a_repeated_success_on_a_paid_order_is_no_alarm(session, caplog):
    order = paid_order(session)
    orders.payment_updated(session, order.payments[0], intent_for(order, "succeeded"))
    assert errors_logged(caplog) == []
    assert order.status == S.PAID


def test_a_refund_on_a_disputed_order_is_recorded_without_moving_it(session, caplog):
    order = paid_order(session)
    orders.dispute_updated(session, stripe_dispute(order, "needs_response"))
    hamming = line_of(order, HAMMING)
    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {hamming.id: 1}))
    session.flush()

    orders.refund_updated(session, stripe_refund(order, 2300, metadata={"refund_id": str(row.id)}))

    assert order.status == S.DISPUTED
    assert row.status == RefundStatus.SUCCEEDED
    assert stock(session, HAMMING) == 24
    assert f"refund {row.id} recorded only" in caplog.text


# --- disputes ---------------------------------------------------------------------------------


def test_a_dispute_is_recorded_with_what_stripe_says_and_kept_up_to_date(session):
    order = paid_order(session)
    orders.dispute_updated(session, stripe_dispute(order, "needs_response"))
    orders.dispute_updated(
        session, stripe_dispute(order, "under_review", amount=1000, reason="duplicate")
    )
    session.flush()

    row = session.scalars(select(Dispute)).one()
    assert (row.stripe_dispute_id, row.amount, row.currency, row.reason, row.status) == (
        "dp_1",
        1000,
        "sgd",
        "duplicate",
        "under_review",
    )
    assert row.payment is order.payments[0]
    assert order.status == S.DISPUTED
    assert order.events[-1].note == "dispute dp_1 opened (fraudulent)"


def test_an_inquiry_closed_without_a_dispute_leaves_the_order_paid(session):
    order = paid_order(session)
    orders.dispute_updated(session, stripe_dispute(order, "warning_closed"))
    assert order.status == S.PAID
    assert session.scalars(select(Dispute.status)).one() == "warning_closed"


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_on_a_refunded_order_is_recorded_only(session, outcome):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, order.total_amount))
    assert order.status == S.REFUNDED

    orders.dispute_updated(session, stripe_dispute(order, "needs_response"))
    orders.dispute_updated(session, stripe_dispute(order, outcome))

    assert order.status == S.REFUNDED
    assert session.scalars(select(Dispute.status)).one() == outcome


def test_a_dispute_outcome_is_noted_on_the_timeline(session):
    order = paid_order(session)
    orders.dispute_updated(session, stripe_dispute(order, "needs_response"))
    orders.dispute_updated(session, stripe_dispute(order, "won"))
    assert order.events[-1].note == "dispute dp_1 won"


@pytest.mark.parametrize("payment_intent", [None, "pi_elsewhere"])
def test_a_dispute_on_a_payment_the_shop_never_made_is_ignored(session, payment_intent):
    order = paid_order(session)
    dispute = stripe_dispute(order, "lost", payment_intent=payment_intent)
    assert orders.dispute_updated(session, dispute) is None
    assert session.scalars(select(Dispute)).all() == []


# --- the sync layer: the payment first, then the refund or dispute --------------------------------


def test_a_refund_arriving_before_the_payment_news_applies_the_payment_first(session):
    order = new_order(session, (HAMMING, 1))
    orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    session.flush()

    result = stripe_sync.apply_refund(
        session, stripe_refund(order, 2300), intent_for(order, "succeeded")
    )

    assert result is order
    assert [e.to_status for e in order.events] == ["pending_payment", "paid", "refunded"]


def test_a_dispute_arriving_before_the_payment_news_applies_the_payment_first(session):
    order = new_order(session, (HAMMING, 1))
    orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    session.flush()

    result = stripe_sync.apply_dispute(
        session, stripe_dispute(order, "lost"), intent_for(order, "succeeded")
    )

    assert result is order
    assert [e.to_status for e in order.events] == ["pending_payment", "paid", "disputed", "lost"]


def test_refunds_and_disputes_of_payments_the_shop_never_made_are_ignored(session):
    order = paid_order(session)
    refund = stripe_refund(order, 2300, payment_intent="pi_elsewhere")
    dispute = stripe_dispute(order, "lost", payment_intent="pi_elsewhere")
    intent = intent_for(order, "succeeded", id="pi_elsewhere")

    assert stripe_sync.apply_refund(session, refund, intent) is None
    assert stripe_sync.apply_dispute(session, dispute, intent) is None
    assert stripe_sync.apply_payment_intent(session, intent) is None
    assert (rows(session), order.status) == ([], S.PAID)


def test_the_shops_last_known_status_of_a_payment(session):
    order = new_order(session, (HAMMING, 1))
    orders.payment_started(session, order, intent_for(order, "processing"))
    session.flush()

    assert stripe_sync.recorded_status(session, "pi_unit1") == "processing"
    assert stripe_sync.recorded_status(session, "pi_other") is None
    assert stripe_sync.recorded_status(session, "") is None
    assert stripe_sync.recorded_status(session, None) is None
    assert stripe_sync.is_ours(session, "pi_unit1")
    assert not stripe_sync.is_ours(session, "pi_other")


def test_stripe_is_asked_for_a_payment_only_while_its_success_is_unrecorded(session, fake_stripe):
    order = new_order(session, (HAMMING, 1))
    intent = fake_stripe.create_payment_intent(
        amount=order.total_amount, currency="sgd", metadata={}, receipt_email=None
    )
    payment = orders.payment_started(session, order, intent)
    session.flush()

    assert stripe_sync.payment_if_unrecorded(session, intent.id).id == intent.id
    fake_stripe.set_status(intent.id, "succeeded")
    orders.payment_updated(session, payment, fake_stripe.intents[intent.id])
    fake_stripe.retrieved.clear()

    assert stripe_sync.payment_if_unrecorded(session, intent.id) is None
    assert fake_stripe.retrieved == []


# --- refund plans at their boundaries ----------------------------------------------------------


def test_everything_left_leaves_out_lines_already_refunded(session):
    order = paid_order(session)
    hamming, public = line_of(order, HAMMING), line_of(order, PUBLIC)
    row = orders.refund_requested(session, order, orders.RefundPlan(4600, {hamming.id: 2}))
    orders.refund_updated(session, stripe_refund(order, 4600, metadata={"refund_id": str(row.id)}))
    session.flush()

    plan = orders.plan_refund(order, None)

    assert (plan.amount, dict(plan.quantities)) == (2800, {public.id: 1})


def test_the_last_cent_left_can_still_be_refunded(session):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, order.total_amount - 1))
    session.flush()
    assert orders.plan_refund(order, None).amount == 1


@pytest.mark.parametrize(
    ("choice", "message", "field"),
    [
        ({}, "Please choose at least one copy to refund.", "quantity"),
        ({999_999: 1}, "That book is not part of this order.", "quantity"),
        (
            "hamming",
            "You can refund at most 2 of “The Art of Doing Science and Engineering”.",
            "quantity",
        ),
    ],
)
def test_a_refused_refund_plan_names_the_quantity(session, choice, message, field):
    order = paid_order(session)
    if choice == "hamming":
        choice = {line_of(order, HAMMING).id: 3}
    with pytest.raises(OrderError) as refused:
        orders.plan_refund(order, choice)
    assert (refused.value.message, refused.value.field) == (message, field)


def test_an_unpaid_order_cannot_be_refunded_and_no_field_is_blamed(session):
    order = new_order(session, (HAMMING, 1))
    with pytest.raises(OrderError) as refused:
        orders.plan_refund(order, None)
    assert (refused.value.message, refused.value.field) == ("This order cannot be refunded.", None)
