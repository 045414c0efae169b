"""Limits against card testing and stock hoarding: 429 with Retry-After (or 409 for stock), a
clear message, and nothing placed or charged when refused."""

import pytest

from bookshop import limits
from bookshop.models import Order
from bookshop.testing import csrf_token
from shop_support import HAMMING, deliver, event, intent_object

INTENT_URL = f"/checkout/{HAMMING}/payment-intent"


def limited_client(make_app, **settings):
    app = make_app(RATE_LIMITS_ENABLED=True, **settings)
    client = app.test_client()
    headers = {
        "X-CSRFToken": csrf_token(client, f"/checkout/{HAMMING}"),
        "Accept": "application/json",
    }
    return app, client, headers


def start(client, headers, email="reader@example.com", quantity=1, address="203.0.113.7"):
    return client.post(
        INTENT_URL,
        json={"email": email, "quantity": quantity},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def orders_in(session):
    session.expire_all()
    return session.query(Order).count()


def test_payment_starts_over_the_limit_get_429_with_retry_after_and_place_nothing(
    make_app, fake_stripe, session
):
    _, client, headers = limited_client(make_app, PAYMENT_LIMITS="3/minute")
    answers = [start(client, headers, email=f"r{i}@example.com").status_code for i in range(5)]
    assert answers == [201, 201, 201, 429, 429]
    refused = start(client, headers, email="new@example.com")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many payment attempts" in refused.json["error"]["message"]
    assert len(fake_stripe.created) == 3
    assert orders_in(session) == 3


def test_payment_starts_are_counted_per_email_across_addresses(make_app, fake_stripe):
    _, client, headers = limited_client(make_app, PAYMENT_LIMITS="2/minute")
    # A fresh browser and address each time: only the email is the same.
    answers = []
    for i in range(3):
        client.delete_cookie("bookshop_browser")
        answers.append(start(client, headers, address=f"198.51.100.{i}").status_code)
    assert answers == [201, 201, 429]


def test_several_declines_pause_the_browser_and_email(make_app, fake_stripe, session):
    _, client, headers = limited_client(make_app, DECLINE_LIMIT="2/30minutes")
    first = start(client, headers)
    assert first.status_code == 201
    pi_id = first.json["clientSecret"].split("_secret_")[0]
    for n in range(2):
        failed = intent_object(fake_stripe.intents[pi_id]) | {"status": "requires_payment_method"}
        assert (
            deliver(
                client, event(f"evt_fail{n}", "payment_intent.payment_failed", failed)
            ).status_code
            == 200
        )
    paused = start(client, headers, address="192.0.2.50")
    assert paused.status_code == 429
    assert "declined" in paused.json["error"]["message"]
    assert int(paused.headers["Retry-After"]) > 60
    # Another browser with the same email is paused too.
    client.delete_cookie("bookshop_browser")
    assert start(client, headers, address="192.0.2.51").status_code == 429
    assert len(fake_stripe.created) == 1


def test_one_browser_cannot_hold_more_than_max_unpaid_orders(make_app, fake_stripe, session):
    _, client, headers = limited_client(make_app, MAX_UNPAID_ORDERS=2)
    answers = [start(client, headers, email=f"r{i}@example.com") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert "2 unpaid orders" in answers[2].json["error"]["message"]
    assert orders_in(session) == 2


def test_one_email_cannot_hold_more_than_max_unpaid_orders_from_fresh_browsers(
    make_app, fake_stripe
):
    _, client, headers = limited_client(make_app, MAX_UNPAID_ORDERS=1)
    assert start(client, headers).status_code == 201
    client.delete_cookie("bookshop_browser")
    assert start(client, headers, address="198.51.100.9").status_code == 409


def test_an_unpaid_order_holds_at_most_the_set_copies_of_one_book(make_app, fake_stripe, session):
    _, client, headers = limited_client(make_app, MAX_COPIES_PER_UNPAID_ORDER=3)
    refused = start(client, headers, quantity=4)
    assert refused.status_code == 409
    assert "at most 3 copies" in refused.json["error"]["message"]
    assert orders_in(session) == 0
    assert start(client, headers, quantity=3).status_code == 201


def test_new_orders_per_address_are_limited_within_the_expiry_window(make_app, fake_stripe):
    _, client, headers = limited_client(make_app, MAX_UNPAID_ORDERS_PER_ADDRESS=2)
    answers = []
    for i in range(3):
        client.delete_cookie("bookshop_browser")
        answers.append(start(client, headers, email=f"r{i}@example.com").status_code)
    assert answers == [201, 201, 429]


def test_the_429_page_for_people_says_what_happened(make_app, fake_stripe):
    _, client, headers = limited_client(make_app, PAYMENT_LIMITS="1/minute")
    start(client, headers)
    page = client.post(
        INTENT_URL,
        json={"email": "reader@example.com"},
        headers={"X-CSRFToken": headers["X-CSRFToken"], "Accept": "text/html"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert page.status_code == 429
    assert "Retry-After" in page.headers


def test_limits_are_off_in_tests_unless_asked(make_app):
    app = make_app()
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["MAX_UNPAID_ORDERS"] == 0


def test_the_login_limit_can_be_put_on_a_view(make_app):
    app = make_app(RATE_LIMITS_ENABLED=True, LOGIN_LIMITS="2/minute")

    @limits.login_limit
    def sign_in():
        return "ok"

    app.add_url_rule("/test-sign-in", "test_sign_in", sign_in, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    codes = [
        client.post("/test-sign-in", data={"email": "staff@example.com"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("value", ["ten per minute", "10/fortnight"])
def test_unreadable_limits_are_refused(make_app, value):
    from bookshop.config import ConfigError

    with pytest.raises(ConfigError, match="PAYMENT_LIMITS"):
        make_app(PAYMENT_LIMITS=value)
