"""Stock at its boundaries (exactly the copies left, one more, none), and unpaid orders whose
payment is still under way: processing at the bank, or replaced by a newer one."""

import pytest

from bookshop import orders, payments, stripe_sync
from bookshop.orders import OrderStatus
from shop_support import HAMMING, PUBLIC, book, intent_for, new_order, stock

S = OrderStatus


@pytest.mark.parametrize(
    ("left", "wanted", "reserved"),
    [(2, 2, True), (2, 1, True), (2, 3, False), (0, 1, False)],
)
def test_stock_is_reserved_up_to_exactly_the_copies_left(session, left, wanted, reserved):
    hamming = book(session, HAMMING)
    hamming.stock = left
    session.flush()

    assert orders.reserve_stock(session, hamming, wanted) is reserved

    assert stock(session, HAMMING) == (left - wanted if reserved else left)


def test_an_order_for_exactly_the_copies_left_is_placed(session):
    book(session, PUBLIC).stock = 3
    session.flush()
    order = new_order(session, (PUBLIC, 3))
    assert order.status == S.PENDING_PAYMENT
    assert stock(session, PUBLIC) == 0


def test_released_copies_go_back_on_the_shelf_and_unknown_books_are_no_error(session):
    orders.release_stock(session, book(session, HAMMING).id, 3)
    orders.release_stock(session, 999_999, 3)
    assert stock(session, HAMMING) == 28
    assert orders.stock_left(session, book(session, HAMMING).id) == 28
    assert orders.stock_left(session, 999_999) == 0


@pytest.mark.parametrize(
    ("left", "message"),
    [
        (0, "Sorry, “Dune” is sold out."),
        (-1, "Sorry, “Dune” is sold out."),
        (1, "Only 1 copy is left of “Dune”."),
        (2, "Only 2 copies are left of “Dune”."),
    ],
)
def test_the_customer_is_told_how_many_copies_are_left(left, message):
    assert orders.out_of_stock_message("Dune", left) == message


def test_the_out_of_stock_error_names_the_copies_left_now(session):
    hamming = book(session, HAMMING)
    hamming.stock = 1
    session.flush()
    error = orders.out_of_stock(session, hamming)
    assert (error.message, error.field) == (
        "Only 1 copy is left of “The Art of Doing Science and Engineering”.",
        "quantity",
    )


# --- unpaid orders whose payment is under way -------------------------------------------------


def checkout(reference, status, intent=None):
    """A hosted Checkout Session as Stripe reports it, naming an order by its reference."""
    return payments.CheckoutSession(
        id="cs_unit",
        status=status,
        payment_status="paid" if intent else "unpaid",
        client_reference_id=reference,
        currency="sgd",
        amount_total=intent.amount if intent else 0,
        expires_at=0,
        payment_intent_id=intent.id if intent else None,
        intent=intent,
    )


def expired_checkout(session, order):
    order.checkout_session_id = "cs_unit"  # the order's latest session
    return stripe_sync.apply_checkout_session(session, checkout(order.reference, "expired"))


@pytest.mark.parametrize("recorded", ["processing", "requires_action", "requires_payment_method"])
def test_an_expired_checkout_leaves_an_order_whose_payment_is_under_way(session, recorded):
    order = new_order(session, (HAMMING, 2))
    orders.payment_started(session, order, intent_for(order, recorded))
    session.flush()

    assert expired_checkout(session, order) is order

    assert order.status == S.PENDING_PAYMENT
    assert stock(session, HAMMING) == 23


def test_an_expired_checkout_leaves_an_order_processing_at_the_bank(session):
    order = new_order(session, (HAMMING, 2))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "processing"))
    assert order.status == S.PROCESSING

    expired_checkout(session, order)

    assert order.status == S.PROCESSING
    assert stock(session, HAMMING) == 23


@pytest.mark.parametrize("payments", [0, 2])
def test_an_expired_checkout_cancels_an_order_nothing_is_paying(session, payments):
    order = new_order(session, (HAMMING, 2))
    for n in range(payments):
        orders.payment_started(session, order, intent_for(order, "canceled", id=f"pi_old{n}"))
    session.flush()

    expired_checkout(session, order)

    assert order.status == S.CANCELED
    assert stock(session, HAMMING) == 25
    assert order.events[-1].note == "expired: not paid in time"


def test_a_checkout_session_without_an_order_or_news_changes_nothing(session):
    order = new_order(session, (HAMMING, 1))
    assert stripe_sync.apply_checkout_session(session, checkout(None, "expired")) is None
    assert stripe_sync.apply_checkout_session(session, checkout("BK-NONE", "expired")) is None
    assert stripe_sync.apply_checkout_session(session, checkout(order.reference, "open")) is order
    assert order.status == S.PENDING_PAYMENT


def test_a_completed_checkout_brings_its_new_payment_intent_to_the_order(session):
    order = new_order(session, (HAMMING, 1))
    session.flush()
    intent = intent_for(order, "succeeded", id="pi_hosted")

    paid = checkout(order.reference, "complete", intent)
    assert stripe_sync.apply_checkout_session(session, paid) is order

    assert [p.payment_intent_id for p in order.payments] == ["pi_hosted"]
    assert order.status == S.PAID


@pytest.mark.parametrize(
    ("start", "news", "after"),
    [
        ("pending_payment", "processing", S.PROCESSING),
        ("processing", "processing", S.PROCESSING),
        ("processing", "requires_payment_method", S.PENDING_PAYMENT),
        ("pending_payment", "requires_payment_method", S.PENDING_PAYMENT),
        ("processing", "canceled", S.CANCELED),
        ("processing", "succeeded", S.PAID),
    ],
)
def test_a_payment_at_the_bank_moves_its_order(session, start, news, after):
    order = new_order(session, (HAMMING, 1))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    if start == "processing":
        orders.payment_updated(session, payment, intent_for(order, "processing"))

    orders.payment_updated(session, payment, intent_for(order, news))

    assert order.status == after
    assert stock(session, HAMMING) == (25 if after == S.CANCELED else 24)


def test_a_canceled_payment_leaves_an_order_another_payment_is_processing(session):
    order = new_order(session, (HAMMING, 1))
    old = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_started(session, order, intent_for(order, "processing", id="pi_new"))

    orders.payment_updated(session, old, intent_for(order, "canceled"))

    assert order.status == S.PENDING_PAYMENT
    assert stock(session, HAMMING) == 24
