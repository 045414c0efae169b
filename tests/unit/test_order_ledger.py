"""Status rules beyond payment, stock, the refund ledger's arithmetic, disputes and expiry."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import shop_support
from bookshop import orders
from bookshop.actions import canceling
from bookshop.models import Email, Order, OrderEvent, Refund, utcnow
from bookshop.orders import (
    Balance,
    IllegalTransition,
    OrderChanged,
    OrderError,
    OrderStatus,
    RefundStatus,
)
from bookshop.payments import Dispute
from bookshop.payments import Refund as StripeRefund
from shop_support import (
    HAMMING,
    PUBLIC,
    book,
    count,
    intent_for,
    line_of,
    new_order,
    stock,
)

S = OrderStatus


def paid_order(session, *lines):
    """Two of Hamming's book and one of Public's, paid, unless told."""
    return shop_support.paid_order(session, *(lines or [(HAMMING, 2), (PUBLIC, 1)]))


def stripe_refund(order, amount, status="succeeded", refund_id="re_1", metadata=None):
    return StripeRefund(
        id=refund_id,
        amount=amount,
        currency=order.currency,
        status=status,
        payment_intent=order.payments[0].payment_intent_id,
        charge="ch_1",
        reason="requested_by_customer",
        metadata=metadata or {},
    )


# --- status rules ---------------------------------------------------------------------------


def test_a_move_someone_else_made_first_is_refused_and_changes_nothing(session):
    order = new_order(session, (HAMMING, 1))
    session.commit()
    # Another process cancels the order behind this session's back.
    session.execute(Order.__table__.update().values(status="canceled"))
    with pytest.raises(OrderChanged):
        orders.transition(session, order, S.PAID, "late")
    assert order.status == S.CANCELED
    assert session.scalar(select(func.count()).select_from(OrderEvent)) == 1


# --- stock ------------------------------------------------------------------------------------


def test_placing_an_order_reserves_its_stock(session):
    new_order(session, (HAMMING, 2), (PUBLIC, 3))
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (23, 22)


def test_an_order_for_more_than_the_stock_is_refused(session):
    book(session, PUBLIC).stock = 2
    session.commit()
    with pytest.raises(orders.OutOfStock) as refused:
        new_order(session, (HAMMING, 1), (PUBLIC, 3))
    assert refused.value.message == "Only 2 copies are left of “Working in Public”."
    session.rollback()
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (25, 2)


def test_a_sold_out_book_says_so(session):
    book(session, PUBLIC).stock = 0
    session.commit()
    with pytest.raises(orders.OutOfStock, match="sold out"):
        new_order(session, (PUBLIC, 1))


def test_the_same_book_twice_is_one_line(session):
    order = new_order(session, (HAMMING, 1), (HAMMING, 2))
    assert [(line.title, line.quantity) for line in order.lines] == [
        ("The Art of Doing Science and Engineering", 3)
    ]
    assert stock(session, HAMMING) == 22


def test_canceling_gives_the_stock_back_once(session):
    order = new_order(session, (HAMMING, 2))
    orders.order_canceled(session, order, "canceled by the customer")
    orders.order_canceled(session, order, "canceled by the customer")
    assert order.status == S.CANCELED
    assert stock(session, HAMMING) == 25
    assert order.events[-1].note == "canceled by the customer"


def test_a_paid_order_cannot_be_canceled(session):
    order = paid_order(session)
    with pytest.raises(IllegalTransition):
        orders.order_canceled(session, order, "too late")
    assert stock(session, HAMMING) == 23


def test_payment_keeps_the_stock_and_queues_one_email(session):
    order = paid_order(session, (HAMMING, 2))
    orders.payment_updated(session, order.payments[0], intent_for(order, "succeeded"))
    session.flush()
    assert order.status == S.PAID
    assert stock(session, HAMMING) == 23
    assert count(session, Email, Email.kind == "order_paid") == 1


def test_a_replaced_payment_being_canceled_does_not_cancel_the_order(session):
    order = new_order(session, (HAMMING, 1))
    old = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_started(session, order, intent_for(order, "requires_payment_method", id="pi_2"))
    orders.payment_updated(session, old, intent_for(order, "canceled"))
    assert order.status == S.PENDING_PAYMENT
    assert stock(session, HAMMING) == 24


# --- expiry -----------------------------------------------------------------------------------


def test_expiry_cancels_the_payment_intent_and_releases_the_stock(session, fake_stripe):
    order = new_order(session, (HAMMING, 3), expires_at=utcnow() - timedelta(minutes=1))
    intent = fake_stripe.create_payment_intent(
        amount=order.total_amount, currency="sgd", metadata={}, receipt_email=None
    )
    orders.payment_started(session, order, intent)
    fresh = new_order(
        session, (PUBLIC, 1), reference="BK-TEST-0002", expires_at=utcnow() + timedelta(1)
    )
    session.commit()

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert [o.reference for o in expired] == ["BK-TEST-0001"]
    assert order.status == S.CANCELED and fresh.status == S.PENDING_PAYMENT
    assert fake_stripe.canceled == [intent.id]
    assert stock(session, HAMMING) == 25
    assert order.events[-1].note.startswith("expired")


def test_an_expiring_order_whose_payment_succeeded_is_paid_not_canceled(session, fake_stripe):
    order = new_order(session, (HAMMING, 1), expires_at=utcnow() - timedelta(minutes=1))
    intent = fake_stripe.create_payment_intent(
        amount=order.total_amount, currency="sgd", metadata={}, receipt_email=None
    )
    orders.payment_started(session, order, intent)
    session.commit()
    fake_stripe.set_status(intent.id, "succeeded")

    assert canceling.expire_unpaid_orders(session, utcnow()) == []
    assert order.status == S.PAID
    assert stock(session, HAMMING) == 24


# --- the ledger's arithmetic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "refunded", "pending", "refundable", "net"),
    [
        (7400, 0, 0, 7400, 7400),
        (7400, 2300, 0, 5100, 5100),
        (7400, 2300, 5100, 0, 5100),
        (7400, 7400, 0, 0, 0),
        (0, 0, 0, 0, 0),
        (100, 0, 200, 0, 100),
    ],
)
def test_refundable_is_paid_minus_refunded_and_pending(paid, refunded, pending, refundable, net):
    money = Balance(paid=paid, refunded=refunded, pending_refunds=pending)
    assert (money.refundable, money.net) == (refundable, net)


def test_balance_counts_only_succeeded_payments_and_refunds(session):
    order = paid_order(session)  # 2 × 23.00 + 28.00 = 74.00
    for amount, status in [(2300, "succeeded"), (1000, "pending"), (500, "failed")]:
        session.add(
            Refund(
                order=order, payment=order.payments[0], amount=amount, currency="sgd", status=status
            )
        )
    session.flush()
    session.expire(order, ["refunds"])
    assert orders.balance(order) == Balance(paid=7400, refunded=2300, pending_refunds=1000)
    assert orders.balance(order).refundable == 4100


def test_a_refund_of_everything_left_takes_every_remaining_copy(session):
    order = paid_order(session)
    plan = orders.plan_refund(order, None)
    assert plan.amount == 7400
    assert sorted(plan.quantities.values()) == [1, 2]


def test_a_refund_of_chosen_copies_is_priced_at_the_order_prices(session):
    order = paid_order(session)
    book(session, HAMMING).price_amount = 9900  # a later price change does not matter
    plan = orders.plan_refund(order, {line_of(order, HAMMING).id: 1})
    assert plan.amount == 2300


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({}, "Please choose at least one copy to refund."),
        ({"hamming": 0}, "Please choose at least one copy to refund."),
        ({"hamming": 3}, "You can refund at most 2 of “The Art of Doing Science and Engineering”."),
        (
            {"hamming": -1},
            "You can refund at most 2 of “The Art of Doing Science and Engineering”.",
        ),
        ({999_999: 1}, "That book is not part of this order."),
    ],
)
def test_impossible_refunds_are_refused(session, choice, message):
    order = paid_order(session)
    quantities = {line_of(order, HAMMING).id if k == "hamming" else k: q for k, q in choice.items()}
    with pytest.raises(OrderError) as refused:
        orders.plan_refund(order, quantities)
    assert refused.value.message == message


def test_an_unpaid_order_cannot_be_refunded(session):
    order = new_order(session, (HAMMING, 1))
    with pytest.raises(OrderError, match="cannot be refunded"):
        orders.plan_refund(order, None)


# --- refunds reported by Stripe ---------------------------------------------------------------


def test_a_partial_refund_moves_the_order_puts_stock_back_and_emails_once(session):
    order = paid_order(session)
    hamming = line_of(order, HAMMING)
    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {hamming.id: 1}))
    session.flush()

    refund = stripe_refund(order, 2300, metadata={"refund_id": str(row.id)})
    orders.refund_updated(session, refund)
    orders.refund_updated(session, refund)  # the webhook repeats what the shop already knows
    session.flush()

    assert order.status == S.PARTIALLY_REFUNDED
    assert row.stripe_refund_id == "re_1" and row.status == RefundStatus.SUCCEEDED
    assert stock(session, HAMMING) == 24
    assert orders.balance(order) == Balance(paid=7400, refunded=2300, pending_refunds=0)
    assert count(session, Email, Email.kind == "order_refunded") == 1


def test_refunding_everything_left_makes_the_order_refunded(session):
    order = paid_order(session)
    first = orders.refund_requested(session, order, orders.plan_refund(order, None))
    session.flush()
    orders.refund_updated(
        session, stripe_refund(order, 7400, metadata={"refund_id": str(first.id)})
    )
    assert order.status == S.REFUNDED
    assert (stock(session, HAMMING), stock(session, PUBLIC)) == (25, 25)


def test_a_refund_made_outside_the_shop_is_recorded_without_stock(session):
    order = paid_order(session)
    orders.refund_updated(session, stripe_refund(order, 1000, refund_id="re_dashboard"))
    session.flush()
    row = session.scalars(select(Refund)).one()
    assert (row.amount, row.status, row.idempotency_key, row.lines) == (1000, "succeeded", None, [])
    assert order.status == S.PARTIALLY_REFUNDED
    assert stock(session, HAMMING) == 23
    assert orders.balance(order).refundable == 6400


def test_a_refund_for_a_payment_the_shop_does_not_know_is_ignored(session):
    order = paid_order(session)
    foreign = replace(stripe_refund(order, 100), payment_intent="pi_elsewhere")
    assert orders.refund_updated(session, foreign) is None
    assert session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_failed_refund_frees_the_amount_again(session):
    order = paid_order(session)
    row = orders.refund_requested(session, order, orders.RefundPlan(2300, {}))
    session.flush()
    orders.refund_updated(
        session, stripe_refund(order, 2300, "failed", metadata={"refund_id": str(row.id)})
    )
    session.expire(order, ["refunds"])
    assert order.status == S.PAID
    assert orders.balance(order).refundable == 7400


# --- disputes -------------------------------------------------------------------------------


def dispute(order, status, dispute_id="dp_1"):
    return Dispute(
        id=dispute_id,
        amount=order.total_amount,
        currency=order.currency,
        status=status,
        reason="fraudulent",
        payment_intent=order.payments[0].payment_intent_id,
        charge="ch_1",
    )


@pytest.mark.parametrize(("outcome", "status"), [("won", S.WON), ("lost", S.LOST)])
def test_a_dispute_moves_the_order_to_disputed_then_its_outcome(session, outcome, status):
    order = paid_order(session)
    orders.dispute_updated(session, dispute(order, "needs_response"))
    orders.dispute_updated(session, dispute(order, "under_review"))
    assert order.status == S.DISPUTED
    orders.dispute_updated(session, dispute(order, outcome))
    orders.dispute_updated(session, dispute(order, outcome))
    session.flush()
    assert order.status == status
    assert [e.to_status for e in order.events][-2:] == ["disputed", status]
    assert len(order.disputes) == 1 and order.disputes[0].status == outcome


def test_a_closed_dispute_arriving_first_still_reaches_its_outcome(session):
    order = paid_order(session)
    orders.dispute_updated(session, dispute(order, "lost"))
    assert order.status == S.LOST


def test_a_dispute_on_a_payment_the_shop_does_not_know_is_ignored(session):
    order = paid_order(session)
    assert (
        orders.dispute_updated(session, replace(dispute(order, "lost"), payment_intent=None))
        is None
    )
    assert order.status == S.PAID
