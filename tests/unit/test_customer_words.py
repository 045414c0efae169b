"""What customers read: dates in the shop's time zone, the timeline and payments in their words,
failed attempts on the timeline, and Stripe's ids only as a labelled support reference."""

import re
from datetime import UTC, datetime

from bookshop.models import OrderEvent
from bookshop.testing import csrf_token
from bookshop.wording import customer_note, local_time
from shop_support import HAMMING, checkout_cart, order_of, page, pay_with_fake


def visible_text(html):
    """The page's words, without tags, attributes or the support references."""
    html = re.sub(r'<small class="support-ref">.*?</small>', "", html, flags=re.S)
    html = re.sub(r'<p class="support-ref">.*?</p>', "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_dates_are_shown_in_the_shop_time_zone(app):
    moment = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    with app.app_context():
        assert local_time(moment) == "4 Dec 2026, 07:30 Singapore time"
        assert local_time(moment, "date") == "4 Dec 2026"


def test_another_time_zone_is_followed(make_app):
    app = make_app(SHOP_TIME_ZONE="America/New_York")
    with app.app_context():
        assert local_time(datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == (
            "3 Dec 2026, 18:30 New York time"
        )


def test_the_domain_notes_become_sentences_without_stripe_words():
    cases = {
        "placed": "Order placed",
        "payment pi_123 succeeded": "Payment received",
        "payment pi_123 failed": "The payment did not go through",
        "refund re_9 succeeded": "Refund sent to your card",
        "expired: not paid in time": "Canceled: not paid in time, no money was taken",
        "shipped with DHL, 123": "Shipped with DHL, tracking number 123",
    }
    for note, words in cases.items():
        assert customer_note(OrderEvent(note=note, to_status="paid")) == words


def test_a_declined_attempt_shows_on_the_timeline_with_the_reason(client, session, fake_stripe):
    placed = checkout_cart(client)
    fake_stripe.set_status(
        placed.payment_intent,
        "requires_payment_method",
        last_error_message="Your card was declined.",
    )
    headers = {"X-CSRFToken": csrf_token(client, f"/checkout/{HAMMING}")}
    checked = client.post(f"{placed.order_url}/payment-check", json={}, headers=headers)
    assert checked.status_code == 200
    again = client.post(f"{placed.order_url}/payment-check", json={}, headers=headers)
    assert again.status_code == 200  # the same failure, reported twice, shows once

    html = page(client, placed.order_url)

    assert html.count('data-to="attempt-failed"') == 1
    assert "A payment attempt did not go through" in html
    assert 'data-testid="attempt-reason">Your card was declined.' in html


def test_the_order_page_speaks_the_customers_words(client, session, fake_stripe):
    placed = checkout_cart(client)
    pay_with_fake(client, session, fake_stripe, order_of(session, placed))

    html = page(client, placed.order_url)
    text = visible_text(html)

    assert "pi_" not in text and "succeeded" not in text and "requires" not in text
    assert "Support reference" in html and placed.payment_intent in html
    assert "Payment received" in text and "Card payment" in text
    assert 'data-testid="order-email">reader@example.com' in html
    assert "Singapore time" in html and "UTC" not in text
