"""Unpaid orders let go, by the customer or by expiry: every PaymentIntent is canceled at Stripe
first, on Stripe's word rather than the shop's record, and an order whose money turned out to be
on its way (paid, held or processing) follows its payment instead of being canceled."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookshop import orders, payments
from bookshop.actions import canceling
from bookshop.extensions import db
from bookshop.models import Order, utcnow
from bookshop.orders import OrderError, OrderStatus
from shop_support import HAMMING, PUBLIC, FakeStripe, book, intent_for, new_order, stock

S = OrderStatus
NOT_FOUND = payments.PaymentNotFound("no such payment_intent")
TOO_LATE = payments.InvalidPaymentRequest("cannot cancel this PaymentIntent")
DOWN = payments.PaymentUnavailable("Stripe is unavailable")


@dataclass
class CancelAtStripe:
    """Stripe's cancel as the fake answers it, noting what it was asked with; a PaymentIntent in
    `refuse` gets that error instead."""

    fake: FakeStripe
    asked: list[tuple[str, str, str | None]] = field(default_factory=list)
    refuse: dict[str, payments.PaymentError] = field(default_factory=dict)

    def __call__(
        self, payment_intent_id: str, reason: str, idempotency_key: str | None = None
    ) -> payments.PaymentIntent:
        self.asked.append((payment_intent_id, reason, idempotency_key))
        if payment_intent_id in self.refuse:
            raise self.refuse[payment_intent_id]
        return self.fake.cancel_payment_intent(payment_intent_id, reason, idempotency_key)

    @property
    def canceled(self) -> list[str]:
        return [payment_intent_id for payment_intent_id, _, _ in self.asked]


@pytest.fixture
def stripe_cancel(fake_stripe, monkeypatch):
    cancel = CancelAtStripe(fake_stripe)
    monkeypatch.setattr(payments, "cancel_payment_intent", cancel)
    return cancel


def unpaid(session, fake_stripe, reference="BK-TEST-0001", overdue=timedelta(minutes=1), n=1):
    """An order for `n` of Hamming's book waiting for payment, `overdue` past its expiry (None:
    it never expires), with a PaymentIntent at Stripe."""
    expires_at = None if overdue is None else utcnow() - overdue
    order = new_order(session, (HAMMING, n), reference=reference, expires_at=expires_at)
    another_intent(session, fake_stripe, order)
    session.commit()
    return order


def another_intent(session, fake_stripe, order):
    intent = fake_stripe.create_payment_intent(
        amount=order.total_amount, currency="sgd", metadata={}, receipt_email=None
    )
    return orders.payment_started(session, order, intent)


def intent_of(order, n=0):
    return order.payments[n].payment_intent_id


def saved(session, order):
    """The order as committed: anything not committed is rolled back first."""
    session.rollback()
    return session.scalars(select(Order).where(Order.id == order.id)).one()


@pytest.fixture
def logged(caplog):
    """What canceling and expiry tell the operator, by level."""
    caplog.set_level(logging.INFO, logger="bookshop.actions.canceling")

    def at(level):
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "bookshop.actions.canceling" and r.levelno == level
        ]

    return at


# --- the customer cancels ----------------------------------------------------------------------


def test_canceling_cancels_the_payment_intent_and_puts_the_books_back(
    session, fake_stripe, stripe_cancel, logged
):
    order = unpaid(session, fake_stripe, n=2)

    assert canceling.cancel_order(session, order) is order

    order = saved(session, order)
    assert order.status == S.CANCELED
    assert order.events[-1].note == "canceled by the customer"
    assert stock(session, HAMMING) == 25
    pi = intent_of(order)
    assert stripe_cancel.asked == [(pi, "requested_by_customer", f"cancel-{pi}")]
    assert order.payments[0].status == "canceled"
    assert logged(logging.INFO) == ["order BK-TEST-0001 canceled by the customer"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (S.CANCELED, "This order is already canceled."),
        (S.PROCESSING, "Your bank is still confirming this payment, so it cannot be canceled."),
        (S.AUTHORIZED, "This order is paid, so it cannot be canceled. You can ask for a refund."),
        (S.PAID, "This order is paid, so it cannot be canceled. You can ask for a refund."),
    ],
)
def test_only_an_order_waiting_for_payment_can_be_canceled(
    session, fake_stripe, stripe_cancel, status, message
):
    order = unpaid(session, fake_stripe)
    order.status = status
    session.commit()

    with pytest.raises(OrderError) as refused:
        canceling.cancel_order(session, order)

    assert refused.value.message == message
    assert stripe_cancel.asked == []
    assert saved(session, order).status == status
    assert stock(session, HAMMING) == 24


@pytest.mark.parametrize(
    ("at_stripe", "after"),
    [("succeeded", S.PAID), ("requires_capture", S.AUTHORIZED), ("processing", S.PROCESSING)],
)
def test_an_order_whose_payment_went_ahead_meanwhile_is_not_canceled(
    session, fake_stripe, stripe_cancel, at_stripe, after
):
    order = unpaid(session, fake_stripe)
    fake_stripe.set_status(intent_of(order), at_stripe, amount_capturable=order.total_amount)
    stripe_cancel.refuse[intent_of(order)] = TOO_LATE

    with pytest.raises(OrderError) as refused:
        canceling.cancel_order(session, order)

    assert refused.value.message == "This order was paid meanwhile, so it was not canceled."
    order = saved(session, order)  # what Stripe said is kept
    assert (order.status, order.payments[0].status) == (after, at_stripe)
    assert stock(session, HAMMING) == 24


# --- every PaymentIntent, on Stripe's word -------------------------------------------------------


def test_a_payment_intent_stripe_does_not_know_can_never_take_money(
    session, fake_stripe, stripe_cancel, logged
):
    order = unpaid(session, fake_stripe)
    unknown = intent_of(order)
    later = another_intent(session, fake_stripe, order).payment_intent_id
    session.commit()
    stripe_cancel.refuse[unknown] = NOT_FOUND

    canceling.cancel_order(session, order)

    order = saved(session, order)
    assert order.status == S.CANCELED
    assert stripe_cancel.canceled == [unknown, later]  # the next one is canceled too
    assert [p.status for p in order.payments] == ["canceled", "canceled"]
    assert logged(logging.WARNING) == [f"payment {unknown} is unknown to Stripe"]


def test_a_payment_intent_canceled_on_stripes_word_is_not_asked_again(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    first = intent_of(order)
    fake_stripe.cancel_payment_intent(first)
    orders.payment_mirrored(order.payments[0], fake_stripe.intents[first])
    later = another_intent(session, fake_stripe, order).payment_intent_id
    session.commit()

    canceling.cancel_order(session, order)

    assert saved(session, order).status == S.CANCELED
    assert stripe_cancel.canceled == [later]


def test_a_payment_recorded_as_canceled_with_a_problem_is_asked_at_stripe(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    payment = order.payments[0]
    payment.status = "canceled"
    payment.problem = "Stripe reports 100 sgd succeeded for an order of 2300 sgd"
    session.commit()
    fake_stripe.set_status(payment.payment_intent_id, "succeeded")
    stripe_cancel.refuse[payment.payment_intent_id] = TOO_LATE

    with pytest.raises(OrderError, match="paid meanwhile"):
        canceling.cancel_order(session, order)

    assert stripe_cancel.canceled == [payment.payment_intent_id]
    assert saved(session, order).status == S.PENDING_PAYMENT  # not canceled: staff must look
    assert stock(session, HAMMING) == 24


def test_a_payment_intent_canceled_at_stripe_before_the_shop_knew_is_mirrored(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    fake_stripe.set_status(intent_of(order), "canceled")
    stripe_cancel.refuse[intent_of(order)] = TOO_LATE

    canceling.cancel_order(session, order)

    order = saved(session, order)
    assert (order.status, order.payments[0].status) == (S.CANCELED, "canceled")


def test_an_older_payment_intent_that_succeeded_keeps_the_order(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    paid = intent_of(order)
    later = another_intent(session, fake_stripe, order).payment_intent_id
    session.commit()
    fake_stripe.set_status(paid, "succeeded")
    stripe_cancel.refuse[paid] = TOO_LATE

    assert canceling.cancel_payment_intents(session, order, reason="abandoned") is False

    assert stripe_cancel.canceled == [paid]  # the order follows the money at once
    assert order.status == S.PAID
    assert fake_stripe.intents[later].status == "requires_payment_method"


# --- expiry ------------------------------------------------------------------------------------


def test_orders_past_their_expiry_are_canceled_oldest_first(
    session, fake_stripe, stripe_cancel, logged
):
    older = unpaid(session, fake_stripe, "BK-OLDER", overdue=timedelta(hours=2))
    on_time = unpaid(session, fake_stripe, "BK-ON-TIME")
    old = unpaid(session, fake_stripe, "BK-OLD", overdue=timedelta(hours=1))
    now = on_time.expires_at  # due exactly now

    expired = canceling.expire_unpaid_orders(session, now)

    assert [order.reference for order in expired] == ["BK-OLDER", "BK-OLD", "BK-ON-TIME"]
    assert [saved(session, o).status for o in (older, old, on_time)] == [S.CANCELED] * 3
    assert stripe_cancel.asked[0] == (intent_of(older), "abandoned", f"cancel-{intent_of(older)}")
    assert stock(session, HAMMING) == 25
    assert logged(logging.INFO) == ["expired 3 unpaid orders"]


def test_orders_not_yet_due_or_never_expiring_are_left(session, fake_stripe, stripe_cancel):
    now = utcnow()
    later = unpaid(session, fake_stripe, "BK-LATER", overdue=None)
    later.expires_at = now + timedelta(seconds=1)
    unpaid(session, fake_stripe, "BK-NEVER", overdue=None)
    processing = unpaid(session, fake_stripe, "BK-PROCESSING")
    processing.status = S.PROCESSING
    session.commit()

    assert canceling.expire_unpaid_orders(session, now) == []

    assert stripe_cancel.asked == []
    assert [o.status for o in session.scalars(select(Order).order_by(Order.id))] == [
        S.PENDING_PAYMENT,
        S.PENDING_PAYMENT,
        S.PROCESSING,
    ]


def test_expiry_takes_at_most_its_limit_oldest_first(session, fake_stripe, stripe_cancel):
    for n in range(3):
        unpaid(session, fake_stripe, f"BK-{n}", overdue=timedelta(hours=3 - n))

    expired = canceling.expire_unpaid_orders(session, utcnow(), limit=2)

    assert [order.reference for order in expired] == ["BK-0", "BK-1"]
    assert saved(session, expired[0]).status == S.CANCELED


def test_expiry_can_be_asked_for_some_orders_only(session, fake_stripe, stripe_cancel):
    unpaid(session, fake_stripe, "BK-OTHER", overdue=timedelta(hours=2))
    mine = unpaid(session, fake_stripe, "BK-MINE")

    expired = canceling.expire_unpaid_orders(session, utcnow(), order_ids=[mine.id])

    assert [order.reference for order in expired] == ["BK-MINE"]
    assert stripe_cancel.canceled == [intent_of(mine)]


def test_an_expiring_order_whose_payment_is_on_its_way_is_kept(session, fake_stripe, stripe_cancel):
    processing = unpaid(session, fake_stripe, "BK-PROCESSING", overdue=timedelta(hours=1))
    fake_stripe.set_status(intent_of(processing), "processing")
    stripe_cancel.refuse[intent_of(processing)] = TOO_LATE
    due = unpaid(session, fake_stripe, "BK-DUE")

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert [order.reference for order in expired] == ["BK-DUE"]
    assert saved(session, processing).status == S.PROCESSING
    assert saved(session, due).status == S.CANCELED


def test_expiry_stops_while_stripe_is_unavailable_and_resumes_later(
    session, fake_stripe, stripe_cancel, logged
):
    first = unpaid(session, fake_stripe, "BK-FIRST", overdue=timedelta(hours=1))
    second = unpaid(session, fake_stripe, "BK-SECOND")
    stripe_cancel.refuse[intent_of(first)] = DOWN

    assert canceling.expire_unpaid_orders(session, utcnow()) == []

    assert stripe_cancel.canceled == [intent_of(first)]  # the rest waits for the next run
    assert saved(session, second).status == S.PENDING_PAYMENT
    assert logged(logging.WARNING) == [
        "expiry stopped, Stripe is unavailable: Stripe is unavailable"
    ]
    del stripe_cancel.refuse[intent_of(first)]
    assert [o.reference for o in canceling.expire_unpaid_orders(session, utcnow())] == [
        "BK-FIRST",
        "BK-SECOND",
    ]


def test_an_order_stripe_refuses_to_let_go_is_skipped_and_the_rest_expire(
    session, fake_stripe, stripe_cancel, logged
):
    refused = unpaid(session, fake_stripe, "BK-REFUSED", overdue=timedelta(hours=1))
    due = unpaid(session, fake_stripe, "BK-DUE")
    stripe_cancel.refuse[intent_of(refused)] = payments.CardDeclined("declined", None, None)

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert [order.reference for order in expired] == ["BK-DUE"]
    assert saved(session, refused).status == S.PENDING_PAYMENT
    assert saved(session, due).status == S.CANCELED
    assert stock(session, HAMMING) == 24
    assert logged(logging.ERROR) == [f"order {refused.id} not expired: declined"]


def test_an_order_canceled_by_someone_else_meanwhile_is_skipped(
    session, fake_stripe, stripe_cancel, monkeypatch
):
    raced = unpaid(session, fake_stripe, "BK-RACED", overdue=timedelta(hours=1))
    due = unpaid(session, fake_stripe, "BK-DUE")

    def cancel_then_race(payment_intent_id, reason, idempotency_key=None):
        intent = stripe_cancel(payment_intent_id, reason, idempotency_key)
        if payment_intent_id == intent_of(raced):  # another process cancels it behind our back
            with session.bind.begin() as other:
                other.execute(
                    Order.__table__.update()
                    .where(Order.__table__.c.id == raced.id)
                    .values(status="canceled")
                )
        return intent

    monkeypatch.setattr(payments, "cancel_payment_intent", cancel_then_race)

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert [order.reference for order in expired] == ["BK-DUE"]
    assert saved(session, due).status == S.CANCELED


def test_an_order_let_go_by_someone_else_before_its_turn_is_skipped(
    session, fake_stripe, stripe_cancel, monkeypatch
):
    first, taken, last = (
        unpaid(session, fake_stripe, f"BK-{n}", overdue=timedelta(hours=3 - n)) for n in range(3)
    )
    intents = [intent_of(first), intent_of(taken), intent_of(last)]
    taken_id = taken.id
    session.expunge_all()  # the expiry job starts with nothing loaded

    def cancel_while_another_cancels(payment_intent_id, reason, idempotency_key=None):
        if payment_intent_id == intents[0]:  # meanwhile the customer cancels BK-1
            with session.bind.begin() as other:
                other.execute(
                    Order.__table__.update()
                    .where(Order.__table__.c.id == taken_id)
                    .values(status="canceled")
                )
        return stripe_cancel(payment_intent_id, reason, idempotency_key)

    monkeypatch.setattr(payments, "cancel_payment_intent", cancel_while_another_cancels)

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert [order.reference for order in expired] == ["BK-0", "BK-2"]
    assert stripe_cancel.canceled == [intents[0], intents[2]]


def test_overdue_orders_no_longer_waiting_for_payment_take_no_place_in_a_run(
    session, fake_stripe, stripe_cancel
):
    for n, status in enumerate([S.PROCESSING, S.CANCELED]):
        settled = unpaid(session, fake_stripe, f"BK-{status}", overdue=timedelta(hours=5 - n))
        settled.status = status
    due = unpaid(session, fake_stripe, "BK-DUE")
    session.commit()

    expired = canceling.expire_unpaid_orders(session, utcnow(), limit=1)

    assert [order.reference for order in expired] == ["BK-DUE"]
    assert stripe_cancel.canceled == [intent_of(due)]


def test_an_order_opened_on_stripes_page_has_its_session_expired_first(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    fake_stripe.sessions["cs_unit"] = payments.CheckoutSession(
        id="cs_unit",
        status="open",
        payment_status="unpaid",
        client_reference_id=order.reference,
        currency="sgd",
        amount_total=order.total_amount,
        expires_at=0,
    )
    order.checkout_session_id = "cs_unit"
    session.commit()

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert expired == [order]
    assert fake_stripe.sessions["cs_unit"].status == "expired"  # it can never be paid now
    assert saved(session, order).status == S.CANCELED


def test_expiry_takes_at_most_a_hundred_orders_unless_told(session, fake_stripe):
    book(session, HAMMING).stock = 200
    for n in range(101):
        new_order(session, reference=f"BK-{n:03d}", expires_at=utcnow() - timedelta(hours=200 - n))
    session.commit()

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert len(expired) == 100
    assert saved(session, expired[-1]).reference == "BK-099"
    assert stock(session, HAMMING) == 199


# --- expiry on the side of a page view ---------------------------------------------------------


def test_the_orders_asked_for_expire_and_a_few_of_anyones_overdue_ones_too(
    session, fake_stripe, stripe_cancel
):
    for n in range(canceling.SWEEP_LIMIT + 1):
        unpaid(session, fake_stripe, f"BK-{n:02d}", overdue=timedelta(hours=20 - n))
    mine = unpaid(session, fake_stripe, "BK-MINE")

    canceling.expire_due(session, utcnow(), [mine.id])

    statuses = {o.reference: o.status for o in session.scalars(select(Order))}
    assert statuses.pop("BK-MINE") == S.CANCELED
    assert statuses.pop(f"BK-{canceling.SWEEP_LIMIT:02d}") == S.PENDING_PAYMENT  # the newest
    assert set(statuses.values()) == {S.CANCELED}
    assert canceling.SWEEP_LIMIT == 10


def test_with_no_orders_asked_for_only_the_sweep_runs(session, fake_stripe, stripe_cancel):
    order = unpaid(session, fake_stripe)

    canceling.expire_due(session, utcnow())

    assert saved(session, order).status == S.CANCELED


def test_expiry_on_a_page_view_while_stripe_is_down_changes_nothing(
    session, fake_stripe, stripe_cancel
):
    order = unpaid(session, fake_stripe)
    stripe_cancel.refuse[intent_of(order)] = DOWN

    canceling.expire_due(session, utcnow(), [order.id])

    assert saved(session, order).status == S.PENDING_PAYMENT
    assert stock(session, HAMMING) == 24
    assert stock(session, PUBLIC) == 25


def test_expiry_rereads_an_order_paid_elsewhere_after_this_session_loaded_it(
    session, fake_stripe, stripe_cancel, monkeypatch
):
    order = unpaid(session, fake_stripe)
    assert order.status == S.PENDING_PAYMENT  # loaded here, and kept after commits

    def paid_in_another_request():
        with Session(db.engine) as elsewhere:
            paid = elsewhere.get(Order, order.id)
            intent = intent_for(paid, "succeeded", id=intent_of(paid))
            orders.payment_updated(elsewhere, paid.payments[0], intent)
            elsewhere.commit()

    # The customer pays between expiry's list of overdue orders and that order's turn.
    commit = session.commit

    def commit_then_pay():
        commit()
        monkeypatch.setattr(session, "commit", commit)
        paid_in_another_request()

    monkeypatch.setattr(session, "commit", commit_then_pay)

    expired = canceling.expire_unpaid_orders(session, utcnow())

    assert expired == []
    assert stripe_cancel.asked == []
    session.expire_all()
    assert session.get(Order, order.id).status == S.PAID
