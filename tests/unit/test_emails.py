"""The customer's emails: text and HTML from templates, accurate refund wording, the order's state
at the end, dates in the shop's time zone; one outbox row and one MIME message per email."""

from sqlalchemy import select

from bookshop import mailer
from bookshop.models import Email
from shop_support import (
    HAMMING,
    checkout_cart,
    confirm_refund,
    line_of,
    order_of,
    pay_with_fake,
    review_refund,
)


def emails_of(session, kind):
    session.expire_all()
    return list(session.scalars(select(Email).where(Email.kind == kind).order_by(Email.id)))


def refund(client, order, **form):
    html = review_refund(client, order.token, **form).get_data(as_text=True)
    confirm_refund(client, order.token, html)


def test_the_confirmation_comes_in_text_and_html(app, client, session, fake_stripe):
    placed = checkout_cart(client)
    pay_with_fake(client, session, fake_stripe, order_of(session, placed))

    (email,) = emails_of(session, "order_paid")
    message = mailer.build_message(email, app.config)

    assert message.is_multipart()
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "Thank you for your order." in email.body and "Singapore time" in email.body
    assert "2 × The Art of Doing Science and Engineering" in email.body
    assert "<h1" in email.html and "Thank you for your order" in email.html
    assert "Total paid: S$74.00" in email.body


def test_refund_emails_say_what_was_refunded_and_where_the_order_stands(
    client, session, fake_stripe
):
    placed = checkout_cart(client)
    order = pay_with_fake(client, session, fake_stripe, order_of(session, placed))

    refund(client, order, scope="lines", **{f"quantity-{line_of(order, HAMMING).id}": "1"})
    refund(client, order_of(session, placed), scope="all")

    first, last = emails_of(session, "order_refunded")
    assert "Returned" not in first.body  # nothing was sent back: the money was refunded
    assert "Refunded:\n  1 × The Art of Doing Science and Engineering  S$23.00" in first.body
    assert "Refunded so far: S$23.00 of the S$74.00 you paid." in first.body
    assert "Your order is now fully refunded: S$74.00 in all." in last.body
    assert "fully refunded" in last.html and "<script" not in last.html


def test_titles_are_escaped_in_html_but_not_in_text(session, client, fake_stripe):
    placed = checkout_cart(client)
    order = order_of(session, placed)
    order.lines[0].title = "Tom & Jerry <b>"
    session.commit()
    pay_with_fake(client, session, fake_stripe, order)

    (email,) = emails_of(session, "order_paid")
    assert "Tom & Jerry <b>" in email.body
    assert "Tom &amp; Jerry &lt;b&gt;" in email.html
