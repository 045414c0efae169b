"""Hosted Checkout (CHECKOUT_MODE=hosted) with Stripe faked at the payments boundary: the session
the shop opens, the customer's return, the checkout.session.* events, resume and cancel from the
order page, reconciliation, and bad input changing nothing."""

from datetime import timedelta

import pytest

from bookshop import payments, reconcile
from bookshop.config import ConfigError, build
from bookshop.models import Email, Order, utcnow
from bookshop.testing import csrf_token
from shop_support import (
    EMAIL,
    HAMMING,
    PUBLIC,
    count,
    deliver,
    form_post,
    hosted_form,
    page,
    start_hosted_checkout,
    stock,
    the_order,
)

SETTINGS = {
    "SECRET_KEY": "a-test-secret-key-of-enough-length-1234",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
}


@pytest.fixture
def app(make_app):
    return make_app(CHECKOUT_MODE="hosted")


@pytest.fixture
def client(app):
    """A browser on the shop's pages: its forms are sent from the shop's own origin."""
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


@pytest.fixture
def opened(client, fake_stripe):
    """The customer pressed "Continue to secure payment" for two Hammings and one Public: the id
    of the session the shop opened."""
    response = start_hosted_checkout(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    (cs_id,) = fake_stripe.sessions
    assert response.headers["Location"] == fake_stripe.sessions[cs_id].url
    return cs_id


def test_the_checkout_page_asks_for_the_email_and_sends_no_payment_form(client, fake_stripe):
    client.post(
        "/cart/add", data={"csrf_token": csrf_token(client), "book": HAMMING, "quantity": 1}
    )

    html = page(client, "/checkout")

    assert 'data-testid="continue-to-stripe"' in html
    assert "payment-element" not in html and "checkout.js" not in html
    assert hosted_form(html)[0] == "/checkout/hosted/cart"
    assert fake_stripe.sessions == {}


def test_the_session_is_priced_and_described_by_the_shop(session, fake_stripe, opened):
    order = the_order(session)
    params = fake_stripe.session_params[opened]

    assert [(line.name, line.unit_amount, line.quantity) for line in params["lines"]] == [
        ("The Art of Doing Science and Engineering", 2300, 2),
        ("Working in Public", 2800, 1),
    ]
    assert (params["currency"], params["customer_email"]) == ("sgd", EMAIL)
    assert params["reference"] == order.reference
    assert params["metadata"]["order_reference"] == order.reference
    assert "SG" in params["allowed_countries"] and "US" in params["allowed_countries"]
    # Priced for S$74 of books: standard delivery in Singapore is free from S$60.
    assert [(o.code, o.amount, o.min_days, o.max_days) for o in params["shipping_options"]] == [
        ("sg-standard", 0, 2, 4),
        ("sg-express", 1000, 1, 1),
        ("asia-pacific", 1500, 5, 10),
        ("world", 2500, 7, 21),
    ]
    assert params["capture_method"] == "automatic"
    assert params["success_url"].endswith(
        "/checkout/hosted/complete?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"].endswith("/checkout/hosted/canceled")
    assert params["expires_at"] == int(order.expires_at.timestamp())
    assert order.expires_at >= utcnow() + timedelta(minutes=30)
    assert params["idempotency_key"].startswith(f"checkout-{order.reference}-7400sgd-")
    assert (order.status, order.checkout_session_id, order.total_amount) == (
        "pending_payment",
        opened,
        7400,
    )
    assert stock(session, HAMMING) == 23 and stock(session, PUBLIC) == 24


def test_the_same_checkout_posted_twice_continues_one_order_and_one_session(
    client, session, fake_stripe
):
    client.post(
        "/cart/add", data={"csrf_token": csrf_token(client), "book": HAMMING, "quantity": 1}
    )
    action, fields = hosted_form(page(client, "/checkout"))

    first = client.post(action, data={**fields, "email": EMAIL})
    second = client.post(action, data={**fields, "email": EMAIL})

    assert first.headers["Location"] == second.headers["Location"]
    assert len(fake_stripe.sessions) == 1
    assert count(session, Order) == 1


def test_paying_on_stripes_page_shows_the_receipt_with_address_and_delivery(
    client, session, fake_stripe, opened
):
    fake_stripe.pay_session(opened, option=1)  # Singapore express

    html = page(client, f"/checkout/hosted/complete?session_id={opened}")

    order = the_order(session)
    assert (order.status, order.total_amount) == ("paid", 8400)
    assert (order.shipping_option, order.shipping_label, order.shipping_amount) == (
        "sg-express",
        "Singapore express",
        1000,
    )
    assert order.shipping_estimate == "1 business day"
    assert (order.ship_to_name, order.ship_to_line1, order.ship_to_postal_code) == (
        "Ada Reader",
        "1 Fusionopolis Way",
        "138632",
    )
    assert 'data-status="succeeded"' in html and order.reference in html
    assert "Singapore express" in html and "1 Fusionopolis Way" in html
    assert "Your cart is empty" in page(client, "/cart")
    assert count(session, Email, Email.kind == "order_paid") == 1


@pytest.mark.parametrize("session_id", ["cs_test_unknown", "pi_123", "cs_", "x" * 300, ""])
def test_a_return_naming_no_session_of_the_shop_is_404_without_asking_stripe(
    client, monkeypatch, opened, session_id
):
    asked = []
    monkeypatch.setattr(payments, "retrieve_checkout_session", asked.append)

    response = client.get(f"/checkout/hosted/complete?session_id={session_id}")

    assert response.status_code == 404 and asked == []


def test_a_return_before_paying_leads_to_the_order_page(client, session, fake_stripe, opened):
    response = client.get(f"/checkout/hosted/complete?session_id={opened}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{the_order(session).token}"
    assert the_order(session).status == "pending_payment"


def test_canceling_on_stripes_page_returns_to_the_full_cart(client, opened):
    response = client.get("/checkout/hosted/canceled", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert response.request.path == "/cart"
    assert "You have not paid yet" in html
    assert "The Art of Doing Science and Engineering" in html and "Working in Public" in html


def test_the_completed_event_reads_the_session_from_stripe_not_from_its_body(
    client, session, fake_stripe, opened
):
    lying = fake_stripe.session_event("evt_lie", "checkout.session.completed", opened)
    lying["data"]["object"].update(status="complete", payment_status="paid")

    assert deliver(client, lying).status_code == 200
    assert the_order(session).status == "pending_payment"

    fake_stripe.pay_session(opened, option=2, status="requires_capture")
    completed = fake_stripe.session_event("evt_cs", "checkout.session.completed", opened)
    assert deliver(client, completed).status_code == 200

    order = the_order(session)
    assert (order.status, order.shipping_option, order.total_amount) == (
        "authorized",
        "asia-pacific",
        8900,
    )


def test_an_expired_session_expires_its_order_and_releases_the_stock(
    client, session, fake_stripe, opened
):
    fake_stripe.expire_checkout_session(opened)

    deliver(client, fake_stripe.session_event("evt_x", "checkout.session.expired", opened))

    order = the_order(session)
    assert order.status == "canceled" and order.events[-1].note == "expired: not paid in time"
    assert stock(session, HAMMING) == 25 and stock(session, PUBLIC) == 25


def test_an_event_about_a_session_of_someone_else_is_acknowledged_without_asking_stripe(
    client, fake_stripe, opened
):
    foreign = fake_stripe.session_event("evt_f", "checkout.session.completed", opened)
    foreign["data"]["object"].update(id="cs_test_foreign", client_reference_id="BK-NOT-OURS")
    fake_stripe.fail_with = payments.PaymentUnavailable("must not be called")

    assert deliver(client, foreign).status_code == 200


def test_canceling_from_the_order_page_expires_the_session_first(
    client, session, fake_stripe, opened
):
    token = the_order(session).token

    form_post(client, f"/orders/{token}/cancel")

    assert fake_stripe.sessions[opened].status == "expired"
    assert the_order(session).status == "canceled"
    assert stock(session, HAMMING) == 25


def test_canceling_a_session_paid_meanwhile_keeps_the_order(client, session, fake_stripe, opened):
    fake_stripe.pay_session(opened)

    form_post(client, f"/orders/{the_order(session).token}/cancel")

    assert the_order(session).status == "paid"


def test_paying_later_from_the_order_page_reuses_the_open_session(
    client, session, fake_stripe, opened
):
    token = the_order(session).token
    action, fields = hosted_form(page(client, f"/orders/{token}/pay"))

    response = client.post(action, data=fields)

    assert action == f"/checkout/hosted/orders/{token}"
    assert response.headers["Location"] == fake_stripe.sessions[opened].url
    assert len(fake_stripe.sessions) == 1


def test_paying_later_after_a_failed_payment_opens_a_new_session_at_the_orders_prices(
    client, session, fake_stripe, opened
):
    pi = fake_stripe.pay_session(opened, status="processing")
    fake_stripe.set_status(pi, "requires_payment_method")  # the bank said no, later
    order = the_order(session)
    action, fields = hosted_form(page(client, f"/orders/{order.token}/pay"))

    response = client.post(action, data=fields)

    (_, new) = fake_stripe.sessions
    assert response.headers["Location"] == fake_stripe.sessions[new].url
    assert the_order(session).checkout_session_id == new
    lines = fake_stripe.session_params[new]["lines"]
    assert sum(line.unit_amount * line.quantity for line in lines) == 7400


def test_reconcile_repairs_a_paid_session_whose_events_were_missed(
    session, fake_stripe, opened, monkeypatch
):
    for listed in ("list_payment_intents", "list_refunds", "list_disputes"):
        monkeypatch.setattr(payments, listed, lambda *window: iter(()))
    fake_stripe.pay_session(opened)

    report = reconcile.reconcile(session, utcnow() - timedelta(hours=1), utcnow())

    assert report.count(reconcile.Kind.CHECKOUT_SESSION, reconcile.Verdict.REPAIRED) == 1
    assert the_order(session).status == "paid"
    again = reconcile.reconcile(session, utcnow() - timedelta(hours=1), utcnow())
    assert again.count(reconcile.Kind.CHECKOUT_SESSION, reconcile.Verdict.MATCHED) == 1


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 300 + "@example.com"])
def test_a_bad_email_is_refused_and_nothing_is_placed(client, session, fake_stripe, email):
    response = start_hosted_checkout(client, email=email)

    assert response.status_code == 303 and response.headers["Location"] == "/checkout"
    assert fake_stripe.sessions == {} and count(session, Order) == 0
    assert "Please enter a valid email address." in page(client, "/checkout")


def test_a_stale_cart_is_refused_and_nothing_is_placed(client, session, fake_stripe):
    client.post(
        "/cart/add", data={"csrf_token": csrf_token(client), "book": HAMMING, "quantity": 1}
    )
    action, fields = hosted_form(page(client, "/checkout"))
    client.post("/cart/add", data={"csrf_token": csrf_token(client), "book": PUBLIC, "quantity": 1})

    response = client.post(action, data={**fields, "email": EMAIL})

    assert response.headers["Location"] == "/checkout"
    assert fake_stripe.sessions == {} and count(session, Order) == 0


def test_stripe_unavailable_leaves_nothing_behind(client, session, fake_stripe):
    fake_stripe.fail_with = payments.PaymentUnavailable("connection refused")

    response = start_hosted_checkout(client)

    assert response.status_code == 503
    assert count(session, Order) == 0 and stock(session, HAMMING) == 25


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"CHECKOUT_MODE": "iframe"}, "CHECKOUT_MODE must be elements or hosted"),
        ({"CHECKOUT_MODE": "hosted", "ORDER_EXPIRY_MINUTES": "1441"}, "at most 1440"),
    ],
)
def test_bad_checkout_settings_are_refused(settings, problem):
    with pytest.raises(ConfigError, match=problem):
        build({**SETTINGS, **settings})


def test_elements_is_the_default_mode():
    assert build(SETTINGS)["CHECKOUT_MODE"] == "elements"
