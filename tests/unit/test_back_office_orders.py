"""The back office's orders: the list (filters, search, keyset pages, CSV), the order page, and
each staff action with its audit entry; refused input changes nothing."""

import json

import pytest
from sqlalchemy import select

from back_office_support import ADMIN, post
from bookshop import orders
from bookshop.extensions import db
from bookshop.models import AuditEntry, Book, Email, Order, OrderNote, Refund
from bookshop.views.admin import listing
from shop_support import HAMMING, PUBLIC, placed_order


def paid_order(app, fake_stripe, slug=HAMMING, quantity=2):
    """An order paid through the fake Stripe; its id."""
    with app.app_context():
        placed = placed_order(db.session, slug, quantity)
        fake_stripe.set_status(placed.payment_intent, "succeeded")
        order = orders.find_order_by_reference(db.session, placed.reference)
        orders.payment_updated(
            db.session,
            order.payments[0],
            fake_stripe.retrieve_payment_intent(placed.payment_intent),
        )
        db.session.commit()
        return order.id


def audit_of(app, action):
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [
            (r.staff_email, json.loads(r.before or "null"), json.loads(r.after or "null"))
            for r in rows
        ]


def test_an_admin_refunds_one_line_and_the_audit_log_says_who_and_what(
    app, fake_stripe, admin_client
):
    order_id = paid_order(app, fake_stripe)
    with app.app_context():
        line_id = db.session.get(Order, order_id).lines[0].id
    form = {
        "mode": "lines",
        f"quantity-{line_id}": "1",
        "reason": "requested_by_customer",
        "note": "one copy arrived damaged",
        "request_id": "r" * 24,
    }
    review = post(admin_client, f"{ADMIN}/orders/{order_id}/refund/review", **form)
    assert review.status_code == 200
    assert "S$23.00" in review.get_data(as_text=True)
    done = post(admin_client, f"{ADMIN}/orders/{order_id}/refund", expected_amount="2300", **form)
    assert done.status_code == 303
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "partially_refunded"
        (refund,) = order.refunds
        assert refund.amount == 2300 and refund.status == "succeeded"
        assert [(rl.quantity) for rl in refund.lines] == [1]
        assert "damaged" in db.session.scalars(select(OrderNote.body)).one()
    ((who, before, after),) = audit_of(app, "order.refund")
    assert who == "owner@bookshop.test"
    assert before["status"] == "paid" and before["refunded"] == 0
    assert after["amount"] == 2300 and after["copies"] == {str(line_id): 1}
    # The same confirmation again (a double submit) refunds nothing more.
    again = post(admin_client, f"{ADMIN}/orders/{order_id}/refund", expected_amount="2300", **form)
    assert again.status_code == 303
    with app.app_context():
        assert db.session.query(Refund).count() == 1


def test_an_amount_only_refund_puts_no_stock_back(app, fake_stripe, admin_client):
    order_id = paid_order(app, fake_stripe)
    with app.app_context():
        stock_before = db.session.scalar(select(Book.stock).where(Book.slug == HAMMING))
    form = {"mode": "amount", "amount": "5.50", "reason": "requested_by_customer", "note": "late"}
    done = post(
        admin_client,
        f"{ADMIN}/orders/{order_id}/refund",
        expected_amount="550",
        request_id="a" * 24,
        **form,
    )
    assert done.status_code == 303
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert [r.amount for r in order.refunds] == [550]
        assert order.refunds[0].lines == []
        assert db.session.scalar(select(Book.stock).where(Book.slug == HAMMING)) == stock_before


@pytest.mark.parametrize(
    "form",
    [
        {"mode": "amount", "amount": "-1"},
        {"mode": "amount", "amount": "999.00"},
        {"mode": "amount", "amount": "1.234"},
        {"mode": "amount", "amount": "lots"},
        {"mode": "lines"},
        {"mode": "all", "reason": "because"},
        {"mode": "all", "note": ""},
        {"mode": "nothing"},
    ],
)
def test_bad_refund_requests_are_refused_and_change_nothing(app, fake_stripe, admin_client, form):
    order_id = paid_order(app, fake_stripe)
    data = {"reason": "requested_by_customer", "note": "x", "request_id": "b" * 24, **form}
    response = post(admin_client, f"{ADMIN}/orders/{order_id}/refund", expected_amount="0", **data)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Order, order_id).refunds == []
    assert audit_of(app, "order.refund") == []


def test_plan_amount_refund_checks_the_amount_against_what_is_left(app, fake_stripe):
    order_id = paid_order(app, fake_stripe, quantity=1)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert orders.plan_amount_refund(order, 2300).quantities == {}
        for bad in (0, -5, 2301, True):
            with pytest.raises(orders.OrderError):
                orders.plan_amount_refund(order, bad)


def test_notes_and_resent_emails_are_audited(app, fake_stripe, admin_client):
    order_id = paid_order(app, fake_stripe)
    assert (
        post(
            admin_client, f"{ADMIN}/orders/{order_id}/notes", note="called the customer"
        ).status_code
        == 303
    )
    assert post(admin_client, f"{ADMIN}/orders/{order_id}/notes", note="   ").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(OrderNote.body)).all() == ["called the customer"]
        email_id = db.session.scalars(select(Email.id).where(Email.order_id == order_id)).first()
    assert len(audit_of(app, "order.note")) == 1
    if email_id:
        post(admin_client, f"{ADMIN}/orders/{order_id}/emails/{email_id}/resend")
        assert len(audit_of(app, "order.resend_email")) == 1
    page = admin_client.get(f"{ADMIN}/orders/{order_id}").get_data(as_text=True)
    assert "called the customer" in page
    assert 'data-kind="payment"' in page and 'data-kind="note"' in page


def test_cancel_needs_an_admin_and_a_ticked_box(app, fake_stripe, admin_client):
    with app.app_context():
        placed = placed_order(db.session)
        order_id = orders.find_order_by_reference(db.session, placed.reference).id
    assert post(admin_client, f"{ADMIN}/orders/{order_id}/cancel").status_code == 303
    with app.app_context():
        assert db.session.get(Order, order_id).status == "pending_payment"
    post(admin_client, f"{ADMIN}/orders/{order_id}/cancel", confirm="yes")
    with app.app_context():
        assert db.session.get(Order, order_id).status == "canceled"
    ((_, before, after),) = audit_of(app, "order.cancel")
    assert before["status"] == "pending_payment" and after["status"] == "canceled"


def test_stock_adjustments_need_a_reason_and_never_go_below_zero(app, fake_stripe, admin_client):
    with app.app_context():
        book = db.session.scalar(select(Book).where(Book.slug == PUBLIC))
        book_id, stock = book.id, book.stock
    assert (
        post(admin_client, f"{ADMIN}/catalog/{book_id}/stock", change="5", reason="").status_code
        == 303
    )
    post(admin_client, f"{ADMIN}/catalog/{book_id}/stock", change=str(-stock - 1), reason="count")
    post(admin_client, f"{ADMIN}/catalog/{book_id}/stock", change="abc", reason="count")
    post(admin_client, f"{ADMIN}/catalog/{book_id}/stock", change="7", reason="delivery")
    with app.app_context():
        assert db.session.get(Book, book_id).stock == stock + 7
    ((_, before, after),) = audit_of(app, "book.stock")
    assert (
        before == {"stock": stock} and after["stock"] == stock + 7 and after["reason"] == "delivery"
    )


def test_a_price_change_is_audited_and_orders_keep_their_price(app, fake_stripe, admin_client):
    order_id = paid_order(app, fake_stripe, quantity=1)
    with app.app_context():
        book_id = db.session.scalar(select(Book.id).where(Book.slug == HAMMING))
    page = admin_client.get(f"{ADMIN}/catalog/{book_id}").get_data(as_text=True)
    assert 'value="23.00"' in page
    form = {
        "title": "The Art of Doing Science and Engineering",
        "author": "Richard Hamming",
        "price": "25.00",
        "currency": "sgd",
        "cover_background": "#1f3a5f",
        "cover_ink": "#f4efe6",
        "cover_accent": "#e0a33a",
        "cover_motif": "rings",
    }
    assert (
        post(admin_client, f"{ADMIN}/catalog/{book_id}", **{**form, "price": "free"}).status_code
        == 400
    )
    assert post(admin_client, f"{ADMIN}/catalog/{book_id}", **form).status_code == 303
    with app.app_context():
        assert db.session.get(Book, book_id).price_amount == 2500
        assert db.session.get(Order, order_id).lines[0].unit_amount == 2300
    ((_, before, after),) = audit_of(app, "book.edit")
    assert before["price_amount"] == 2300 and after["price_amount"] == 2500


def test_the_list_filters_searches_and_pages_by_keyset(app, fake_stripe, admin_client, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    ids = [paid_order(app, fake_stripe, quantity=1) for _ in range(5)]
    with app.app_context():
        refs = [db.session.get(Order, i).reference for i in ids]
    first = admin_client.get(f"{ADMIN}/orders").get_data(as_text=True)
    assert refs[-1] in first and refs[-2] in first and refs[-3] not in first
    seen = []
    url = f"{ADMIN}/orders"
    while url:
        html = admin_client.get(url).get_data(as_text=True)
        on_page = [r for r in refs if f'data-reference="{r}"' in html]
        seen += sorted(on_page, key=lambda r: html.index(f'data-reference="{r}"'))
        nxt = html.split('rel="next" data-testid="next-page"')[0].rsplit('href="', 1)
        url = (
            nxt[1].split('"')[0].replace("&amp;", "&")
            if 'data-testid="next-page"' in html
            else None
        )
    assert seen == list(reversed(refs))
    found = admin_client.get(f"{ADMIN}/orders?q={refs[2]}").get_data(as_text=True)
    assert refs[2] in found and refs[3] not in found
    by_email = admin_client.get(f"{ADMIN}/orders?email=READER@example.com").get_data(as_text=True)
    assert refs[-1] in by_email
    assert admin_client.get(f"{ADMIN}/orders?status=nonsense").status_code == 400
    assert admin_client.get(f"{ADMIN}/orders?from=yesterday").status_code == 400
    assert admin_client.get(f"{ADMIN}/orders?after=garbage").status_code == 200


def test_the_csv_export_has_every_matching_order_and_defuses_formulas(
    app, fake_stripe, admin_client
):
    ids = [paid_order(app, fake_stripe, quantity=1) for _ in range(3)]
    with app.app_context():
        db.session.get(Order, ids[0]).ship_to_name = "=HYPERLINK(1)"
        db.session.commit()
    response = admin_client.get(f"{ADMIN}/orders.csv?status=paid")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("reference,placed_at,email")
    assert len(lines) == 4
    assert "'=HYPERLINK(1)" in response.get_data(as_text=True)


def test_the_dashboard_shows_sales_and_an_svg_chart(app, fake_stripe, admin_client):
    paid_order(app, fake_stripe, quantity=1)
    page = admin_client.get(f"{ADMIN}/").get_data(as_text=True)
    assert 'data-testid="sales-chart"' in page and "<rect" in page
    assert "S$23.00" in page
    assert admin_client.get(f"{ADMIN}/?days=90").status_code == 200
