"""Capture on dispatch: the card is authorized at checkout and charged when the books ship, for
what ships; books let go before that are never charged; a hold that runs out voids the order."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from bookshop import orders, payments
from bookshop.actions import fulfilment
from bookshop.models import Email, Shipment
from bookshop.orders import FulfilmentStatus, OrderError, OrderStatus
from shop_support import HAMMING, PUBLIC, checkout_cart, count, line_of, moves, stock, the_order

SINGAPORE = {
    "name": "Ada Reader",
    "phone": "+65 6123 4567",
    "address": {"line1": "1 Fusionopolis Way", "postal_code": "138632", "country": "SG"},
}


@pytest.fixture
def stripe_settings(stripe_settings):
    return {**stripe_settings, "CAPTURE_METHOD": "manual"}


@pytest.fixture
def authorized(client, session, fake_stripe, csrf_headers):
    """Two Hammings and one Public (S$74.00) to Singapore by express (S$10.00), authorized."""
    placed = checkout_cart(client, (HAMMING, 2), (PUBLIC, 1))
    token = the_order(session).token
    answer = client.post(
        f"/orders/{token}/delivery",
        json={"option": "sg-express", "address": SINGAPORE},
        headers=csrf_headers,
    )
    assert answer.status_code == 200, answer.json
    fake_stripe.authorize(placed.payment_intent)
    assert client.get(fake_stripe.return_path(placed.payment_intent)).status_code == 200
    session.expire_all()
    return placed


def ship(session, quantities=None, **tracking):
    tracking = {"carrier": "SingPost", "tracking_number": "RR123456789SG", **tracking}
    return fulfilment.ship_order(session, the_order(session), quantities, **tracking)


def test_the_payment_intent_is_created_for_manual_capture(client, session, fake_stripe):
    checkout_cart(client, (HAMMING, 1))
    assert fake_stripe.created[0]["capture_method"] == "manual"


def test_an_authorized_order_is_confirmed_and_says_when_the_card_is_charged(
    client, session, authorized
):
    order = the_order(session)
    assert order.status == OrderStatus.AUTHORIZED
    assert order.fulfilment_status == FulfilmentStatus.UNFULFILLED
    assert moves(order) == ["pending_payment", "authorized"]
    email = session.scalars(select(Email).where(Email.kind == "order_paid")).one()
    assert "held on your card: S$84.00" in email.body
    assert "We charge your card when your books ship." in email.body
    assert "Delivery to Ada Reader, 1 Fusionopolis Way, 138632, SG (1 business day)" in email.body
    html = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "We charge it when your books ship." in html
    assert 'data-testid="cancel-books"' in html


def test_shipping_everything_captures_the_whole_hold_once(session, fake_stripe, authorized):
    shipment = ship(session, tracking_url="https://track.example/RR123456789SG")

    order = the_order(session)
    assert fake_stripe.captures == {
        f"capture-{order.reference}": fake_stripe.intents[authorized.payment_intent]
    }
    assert fake_stripe.intents[authorized.payment_intent].amount_received == 8400
    assert order.status == OrderStatus.PAID
    assert order.fulfilment_status == FulfilmentStatus.SHIPPED
    assert orders.balance(order).paid == 8400
    assert [(sl.order_line.title, sl.quantity) for sl in shipment.lines] == [
        ("The Art of Doing Science and Engineering", 2),
        ("Working in Public", 1),
    ]
    shipped = session.scalars(select(Email).where(Email.kind == "order_shipped")).one()
    assert "Follow it: https://track.example/RR123456789SG" in shipped.body
    assert "We have now charged your card S$84.00." in shipped.body
    assert count(session, Email, Email.kind == "order_paid") == 1  # no second confirmation


def test_shipping_part_captures_only_what_ships_and_lets_the_rest_go(
    session, fake_stripe, authorized
):
    hamming = line_of(the_order(session), HAMMING)
    before = stock(session, PUBLIC)

    ship(session, {hamming.id: 1})

    order = the_order(session)
    # One Hamming (S$23.00) and express delivery (S$10.00); the rest of the hold is released.
    assert fake_stripe.intents[authorized.payment_intent].amount_received == 3300
    assert order.total_amount == 3300
    assert order.status == OrderStatus.PAID
    assert order.fulfilment_status == FulfilmentStatus.SHIPPED
    assert (
        line_of(order, HAMMING).canceled_quantity,
        line_of(order, PUBLIC).canceled_quantity,
    ) == (
        1,
        1,
    )
    assert stock(session, PUBLIC) == before + 1
    assert orders.refundable_quantities(order) == {
        line.id: 1 if line.book.slug == HAMMING else 0 for line in order.lines
    }


def test_a_failed_capture_marks_nothing_shipped(session, fake_stripe, authorized):
    fake_stripe.fail_with = payments.CardDeclined("declined", "Your card was declined.", None)

    with pytest.raises(OrderError, match="could not be captured, so nothing was marked shipped"):
        ship(session)

    order = the_order(session)
    assert (order.status, order.fulfilment_status) == ("authorized", "unfulfilled")
    assert count(session, Shipment) == 0


def test_a_second_ship_action_ships_nothing_twice(session, fake_stripe, authorized):
    ship(session)

    with pytest.raises(OrderError, match="has already shipped"):
        ship(session, tracking_number="RR999999999SG")

    assert count(session, Shipment) == 1
    assert len(fake_stripe.captures) == 1


@pytest.mark.parametrize(
    ("tracking", "field"),
    [
        ({"carrier": ""}, "carrier"),
        ({"carrier": "x" * 61}, "carrier"),
        ({"tracking_number": " "}, "tracking"),
        ({"tracking_number": "RR1\n"}, None),
        ({"tracking_url": "javascript:alert(1)"}, "tracking_url"),
        ({"tracking_url": "https://track.example/a b"}, "tracking_url"),
    ],
)
def test_bad_tracking_details_are_refused_before_any_capture(
    session, fake_stripe, authorized, tracking, field
):
    if field is None:  # a line break is trimmed away, not refused
        ship(session, **tracking)
        return
    with pytest.raises(OrderError) as refused:
        ship(session, **tracking)
    assert refused.value.field == field
    assert fake_stripe.captures == {}


@pytest.mark.parametrize("status", ["pending_payment", "canceled"])
def test_an_order_that_is_not_authorized_or_paid_cannot_ship(
    client, session, fake_stripe, csrf_headers, status
):
    checkout_cart(client, (HAMMING, 1))
    order = the_order(session)
    if status == "canceled":
        orders.order_canceled(session, order, "test")
        session.commit()
    with pytest.raises(OrderError, match="so it cannot ship"):
        ship(session)
    assert fake_stripe.captures == {}


def test_books_let_go_before_shipping_are_never_charged(client, session, fake_stripe, authorized):
    order = the_order(session)
    public = line_of(order, PUBLIC)
    before = stock(session, PUBLIC)

    fulfilment.let_go_books(session, order, {public.id: 1})

    order = the_order(session)
    assert order.status == OrderStatus.AUTHORIZED
    assert order.total_amount == 5600  # two Hammings and express delivery
    assert stock(session, PUBLIC) == before + 1
    ship(session)
    assert fake_stripe.intents[authorized.payment_intent].amount_received == 5600


def test_letting_every_book_go_releases_the_hold_and_cancels_the_order(
    session, fake_stripe, authorized
):
    before = stock(session, HAMMING)

    fulfilment.let_go_books(session, the_order(session), None)

    order = the_order(session)
    assert order.status == OrderStatus.CANCELED
    assert fake_stripe.canceled == [authorized.payment_intent]
    assert stock(session, HAMMING) == before + 2


def test_a_hold_that_runs_out_voids_the_order_and_tells_the_customer(
    session, fake_stripe, authorized
):
    intent = fake_stripe.intents[authorized.payment_intent]
    expired = replace(intent, status="canceled", cancellation_reason="automatic")
    before = stock(session, HAMMING)

    orders.payment_updated(session, the_order(session).payments[0], expired)
    session.commit()

    order = the_order(session)
    assert order.status == OrderStatus.CANCELED
    assert "hold ran out" in order.events[-1].note
    assert stock(session, HAMMING) == before + 2
    email = session.scalars(select(Email).where(Email.kind == "hold_expired")).one()
    assert "nothing was charged" in email.body


def test_delivery_is_marked_after_shipping_only(session, fake_stripe, authorized):
    with pytest.raises(OrderError, match="has not shipped"):
        fulfilment.mark_delivered(session, the_order(session))
    ship(session)

    fulfilment.mark_delivered(session, the_order(session))

    order = the_order(session)
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert [e.to_status for e in order.events if e.track == "fulfilment"] == [
        "shipped",
        "delivered",
    ]
