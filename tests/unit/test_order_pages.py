"""The customer's order pages: private URLs, My orders, resume, cancel and refund."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bookshop.extensions import db
from bookshop.models import Email, Order, OrderEvent, Refund, utcnow
from bookshop.payments import PaymentUnavailable
from shop_support import (
    HAMMING,
    PUBLIC,
    book,
    checkout_cart,
    confirm_refund,
    count,
    form_post,
    line_of,
    page,
    pay_with_fake,
    resume_payment,
    review_refund,
    the_order,
)

# --- private URLs and My orders -------------------------------------------------------------


def test_the_order_page_shows_lines_totals_payments_and_timeline(client, session, fake_stripe):
    placed = checkout_cart(client)
    order = the_order(session)
    assert placed.order_url == f"/orders/{order.token}"
    assert len(order.token) >= 32 and order.token != str(order.id)

    html = page(client, placed.order_url)

    assert order.reference in html
    assert html.count('data-testid="order-line"') == 2
    assert 'data-testid="order-total">S$74.00' in html
    assert 'data-testid="payment-row" data-status="requires_payment_method"' in html
    assert 'data-testid="timeline-event" data-to="pending_payment"' in html
    assert 'data-testid="resume-payment"' in html and 'data-testid="cancel-order"' in html
    assert 'data-testid="request-refund"' not in html


@pytest.mark.parametrize(
    "path",
    [
        "/orders/1",
        "/orders/BK-TEST-0001",
        "/orders/" + "A" * 32,
        "/orders/%00",
        "/orders/" + "a" * 300,
        "/orders/{token}x",
        "/orders/{token_changed}",
        "/orders/{token_changed}/cancel",
        "/orders/{token_changed}/refund",
        "/orders/{token_changed}/pay",
    ],
)
def test_a_guessed_or_tampered_order_url_gets_the_404_page(client, session, fake_stripe, path):
    checkout_cart(client)
    token = the_order(session).token
    changed = ("B" if token[0] != "B" else "C") + token[1:]
    response = client.get(path.format(token=token, token_changed=changed))
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.get_data(as_text=True)


def test_actions_on_a_tampered_url_are_404_and_change_nothing(client, session, fake_stripe):
    checkout_cart(client)
    token = the_order(session).token
    changed = ("B" if token[0] != "B" else "C") + token[1:]
    response = form_post(client, f"/orders/{changed}/cancel")
    assert response.status_code == 404
    assert the_order(session).status == "pending_payment"


# Two browsers need their own app contexts (the `session` fixture would share one, and with it
# Flask-WTF's per-context CSRF token), so these tests look at the database through `app`.
def test_my_orders_lists_only_this_browsers_orders(app, client, fake_stripe):
    checkout_cart(client)
    other = app.test_client()
    checkout_cart(other, (PUBLIC, 1))

    mine, theirs = page(client, "/orders"), page(other, "/orders")

    assert (
        mine.count('data-testid="order-row"') == 1 and theirs.count('data-testid="order-row"') == 1
    )
    assert "S$74.00" in mine and "S$28.00" in theirs
    assert 'data-testid="no-orders"' in page(app.test_client(), "/orders")


def test_a_forged_browser_cookie_shows_no_orders(app, client, session, fake_stripe):
    checkout_cart(client)
    stranger = app.test_client()
    stranger.set_cookie("bookshop_browser", the_order(session).browser_id)
    assert 'data-testid="no-orders"' in page(stranger, "/orders")


# --- resume -------------------------------------------------------------------------------------


def test_resuming_reuses_the_payment_intent(client, session, fake_stripe):
    placed = checkout_cart(client)
    token = the_order(session).token

    response = resume_payment(client, token)

    assert response.status_code == 201
    assert response.json["clientSecret"] == placed.client_secret
    assert len(fake_stripe.created) == 1 and fake_stripe.canceled == []


def test_a_payment_intent_with_another_amount_is_replaced_and_canceled(
    client, session, fake_stripe
):
    checkout_cart(client)
    order = the_order(session)
    old = order.payments[0].payment_intent_id
    fake_stripe.set_status(old, "requires_payment_method", amount=100)

    response = resume_payment(client, order.token)

    assert response.status_code == 201
    assert response.json["clientSecret"] != f"{old}_secret_fake"
    assert fake_stripe.canceled == [old]
    order = the_order(session)
    assert [p.status for p in order.payments] == ["canceled", "requires_payment_method"]
    assert fake_stripe.created[1]["idempotency_key"] == f"order-{order.reference}-7400sgd-pi-2"
    assert order.status == "pending_payment"


def test_a_canceled_payment_intent_is_replaced_by_a_new_one(client, session, fake_stripe):
    checkout_cart(client)
    order = the_order(session)
    fake_stripe.set_status(order.payments[0].payment_intent_id, "requires_action", amount=7400)
    # requires_action is still payable: reused
    assert resume_payment(client, order.token).status_code == 201
    assert len(fake_stripe.created) == 1


def test_a_paid_order_cannot_be_paid_again(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    response = resume_payment(client, order.token)
    assert response.status_code == 409
    assert response.json["error"]["message"] == "This order is already paid."
    assert len(fake_stripe.created) == 1


# --- cancel -----------------------------------------------------------------------------------


def test_canceling_asks_first_then_cancels_the_payment_intent_and_frees_the_stock(
    client, session, fake_stripe
):
    checkout_cart(client)
    order = the_order(session)
    confirm = page(client, f"/orders/{order.token}/cancel")
    assert 'data-testid="confirm-cancel-button"' in confirm
    assert the_order(session).status == "pending_payment"

    response = form_post(client, f"/orders/{order.token}/cancel")

    assert response.status_code == 303
    order = the_order(session)
    assert order.status == "canceled"
    assert fake_stripe.canceled == [order.payments[0].payment_intent_id]
    assert (book(session, HAMMING).stock, book(session, PUBLIC).stock) == (25, 25)
    html = page(client, f"/orders/{order.token}")
    assert "Your order is canceled. No money was taken." in html
    assert "You canceled the order: no money was taken" in html  # the timeline, in their words


def test_canceling_twice_says_so_and_changes_nothing(client, session, fake_stripe):
    checkout_cart(client)
    token = the_order(session).token
    form_post(client, f"/orders/{token}/cancel")
    page(client, f"/orders/{token}")
    form_post(client, f"/orders/{token}/cancel")
    assert "This order is already canceled." in page(client, f"/orders/{token}")
    assert (book(session, HAMMING).stock, count(session, OrderEvent)) == (25, 2)


def test_a_paid_order_cannot_be_canceled(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    form_post(client, f"/orders/{order.token}/cancel")
    assert the_order(session).status == "paid"
    assert "cannot be canceled" in page(client, f"/orders/{order.token}")


def test_canceling_an_order_paid_in_another_tab_marks_it_paid(client, session, fake_stripe):
    checkout_cart(client)
    order = the_order(session)
    fake_stripe.set_status(order.payments[0].payment_intent_id, "succeeded")
    form_post(client, f"/orders/{order.token}/cancel")
    assert the_order(session).status == "paid"
    assert "paid meanwhile" in page(client, f"/orders/{order.token}")
    assert book(session, HAMMING).stock == 23


def test_an_expired_order_is_canceled_when_its_page_is_viewed(client, session, fake_stripe):
    checkout_cart(client)
    order = the_order(session)
    order.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()

    html = page(client, f"/orders/{order.token}")

    assert 'data-status="canceled"' in html and "Canceled: not paid in time" in html
    assert fake_stripe.canceled == [order.payments[0].payment_intent_id]
    assert book(session, HAMMING).stock == 25


# --- refunds ------------------------------------------------------------------------------------


def review_one_copy(client, order, slug):
    """Ask for a refund of one copy of a book the order holds."""
    return review_refund(
        client, order.token, scope="lines", **{f"quantity-{line_of(order, slug).id}": "1"}
    )


def test_a_partial_refund_is_reviewed_then_made(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)

    reviewed = review_one_copy(client, order, HAMMING)
    html = reviewed.get_data(as_text=True)
    assert reviewed.status_code == 200
    assert 'data-testid="refund-amount">S$23.00' in html
    assert count(session, Refund) == 0  # nothing happens before the confirmation

    done = confirm_refund(client, order.token, html)

    assert done.status_code == 303
    order = the_order(session)
    assert order.status == "partially_refunded"
    refund = session.scalars(select(Refund)).one()
    assert (refund.amount, refund.status, [rl.quantity for rl in refund.lines]) == (
        2300,
        "succeeded",
        [1],
    )
    assert refund.idempotency_key.startswith(f"refund-{order.reference}-")
    assert book(session, HAMMING).stock == 24
    html = page(client, f"/orders/{order.token}")
    assert 'data-testid="amount-refunded">S$23.00' in html
    assert 'data-testid="amount-refundable">S$51.00' in html


def test_refunding_everything_then_nothing_is_left(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    html = review_refund(client, order.token, scope="all").get_data(as_text=True)
    assert 'data-testid="refund-amount">S$74.00' in html
    confirm_refund(client, order.token, html)
    order = the_order(session)
    assert order.status == "refunded"
    assert 'data-testid="request-refund"' not in page(client, f"/orders/{order.token}")
    assert (book(session, HAMMING).stock, book(session, PUBLIC).stock) == (25, 25)


def test_a_double_submitted_refund_is_made_once(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    html = review_one_copy(client, order, HAMMING).get_data(as_text=True)
    confirm_refund(client, order.token, html)
    again = confirm_refund(client, order.token, html)
    assert again.status_code == 303
    assert "This refund was already requested." in page(client, f"/orders/{order.token}")
    assert count(session, Refund) == 1
    assert book(session, HAMMING).stock == 24


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"scope": "lines", "quantity-{h}": "3"}, "Please enter 0 to 2 copies."),
        ({"scope": "lines", "quantity-{h}": "-1"}, "Please enter 0 to 2 copies."),
        ({"scope": "lines", "quantity-{h}": "1.5"}, "Please enter the quantity as a whole number."),
        ({"scope": "lines", "quantity-{h}": "x"}, "Please enter the quantity as a whole number."),
        ({"scope": "lines", "quantity-{h}": "9" * 40}, "Please enter 0 to 2 copies."),
        ({"scope": "lines", "quantity-{h}": "0"}, "Please choose at least one copy"),
        ({"scope": "lines", "quantity-999999": "1"}, "That book is not part of this order."),
        ({"scope": "lines", "quantity-abc": "1"}, "That book is not part of this order."),
        ({"scope": "maybe"}, "Please choose what to refund."),
    ],
)
def test_bad_refund_requests_get_a_clear_message_and_change_nothing(
    client, session, fake_stripe, form, message
):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    hamming = line_of(order, HAMMING).id
    fields = {k.format(h=hamming): v for k, v in form.items()}
    response = review_refund(client, order.token, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, Refund) == 0 and the_order(session).status == "paid"


def test_another_orders_line_cannot_be_refunded_through_this_order(app, client, fake_stripe):
    checkout_cart(client, (HAMMING, 1))
    checkout_cart(app.test_client(), (PUBLIC, 1))
    with app.app_context():
        mine, theirs = db.session.scalars(select(Order).order_by(Order.id)).all()
        pay_with_fake(client, db.session, fake_stripe, mine)
        response = review_refund(
            client, mine.token, scope="lines", **{f"quantity-{theirs.lines[0].id}": "1"}
        )
        assert response.status_code == 400
        assert count(db.session, Refund) == 0


def test_a_refund_over_what_is_left_is_refused_before_stripe(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    html = review_refund(client, order.token, scope="all").get_data(as_text=True)
    confirm_refund(client, order.token, html)  # everything refunded
    stale = html.replace(re.search(r'name="request_id" value="([^"]+)"', html).group(1), "x" * 24)
    confirm_refund(client, order.token, stale)
    assert count(session, Refund) == 1
    assert len(fake_stripe.refunds_by_key) == 1


def test_a_changed_amount_between_review_and_confirmation_is_refused(client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    html = review_refund(client, order.token, scope="all").get_data(as_text=True)
    first_half = review_one_copy(client, order, PUBLIC).get_data(as_text=True)
    confirm_refund(client, order.token, first_half)
    confirm_refund(client, order.token, html)  # "everything" was S$74.00 when reviewed
    assert "changed meanwhile" in page(client, f"/orders/{order.token}")
    assert count(session, Refund) == 1


def test_refunds_are_offered_only_within_the_window(app, client, session, fake_stripe):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    paid = session.scalars(select(OrderEvent).where(OrderEvent.to_status == "paid")).one()
    paid.created_at = utcnow() - timedelta(days=31)
    session.commit()
    assert 'data-testid="request-refund"' not in page(client, f"/orders/{order.token}")
    response = review_refund(client, order.token, scope="all")
    assert response.status_code == 303
    assert count(session, Refund) == 0


def test_stripe_unavailable_leaves_the_refund_pending_and_it_is_finished_later(
    client, session, fake_stripe
):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    html = review_refund(client, order.token, scope="all").get_data(as_text=True)
    fake_stripe.fail_with = PaymentUnavailable("APIError (HTTP 500)")
    confirm_refund(client, order.token, html)
    refund = session.scalars(select(Refund)).one()
    assert (refund.status, the_order(session).status) == ("pending", "paid")

    fake_stripe.fail_with = None
    html = page(client, f"/orders/{order.token}")  # viewing the order retries with the same key

    assert the_order(session).status == "refunded"
    assert len(fake_stripe.refunds_by_key) == 1


# --- emails -----------------------------------------------------------------------------------


def test_paying_and_refunding_each_write_exactly_one_email_to_the_outbox(
    app, client, session, fake_stripe
):
    checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe)
    pi = order.payments[0].payment_intent_id
    client.get(fake_stripe.return_path(pi))
    html = review_refund(client, order.token, scope="all").get_data(as_text=True)
    confirm_refund(client, order.token, html)

    folder = Path(app.config["OUTBOX_DIR"])
    refund_id = session.scalars(select(Refund)).one().id
    assert sorted(p.name for p in folder.glob("*.eml")) == [
        f"order_paid-{order.id}.eml",
        f"refund-{refund_id}.eml",
    ]
    paid_mail = (folder / f"order_paid-{order.id}.eml").read_text()
    assert "To: reader@example.com" in paid_mail
    assert f"Subject: Your Bookshop order {order.reference} is confirmed" in paid_mail
    assert f"/orders/{order.token}" in paid_mail
    assert count(session, Email) == 2
    assert all(e.sent_at is not None for e in session.scalars(select(Email)))
