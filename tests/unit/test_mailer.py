"""The email outbox: one email per event, SMTP when configured, .eml files otherwise; sent right
after the request, or by the worker's send_emails job when there is a job queue."""

import smtplib
from pathlib import Path

import pytest
from sqlalchemy import select

from bookshop import config, mailer
from bookshop.extensions import db
from bookshop.jobs import tasks
from bookshop.models import Email
from shop_support import checkout_cart, order_of, pay_with_fake


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what would have been sent."""

    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port
        self.calls = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user))

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("connection lost")
        FakeSMTP.sent.append((self.host, self.port, self.calls, message))


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def queue(session, key="order_paid:1"):
    email = mailer.queue_email(session, None, "order_paid", key, "Your order", "Thank you.")
    session.commit()
    return email


def test_the_same_event_queues_one_email(session):
    assert queue(session) is not None
    assert queue(session) is None
    assert len(session.scalars(select(Email)).all()) == 1


def test_local_mode_writes_an_eml_file_once(app, session):
    queue(session)
    assert mailer.deliver_pending(session) == 1
    assert mailer.deliver_pending(session) == 0
    files = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert [f.name for f in files] == ["order_paid-1.eml"]
    assert "Subject: Your order" in files[0].read_text()


def test_with_an_smtp_host_the_email_goes_to_the_server(app, session, smtp):
    app.config.update(SMTP_HOST="mail.example", SMTP_USERNAME="shop", SMTP_PASSWORD="pw")
    queue(session)
    assert mailer.deliver_pending(session) == 1
    host, port, calls, message = smtp.sent[0]
    assert (host, port, calls) == ("mail.example", 587, ["starttls", ("login", "shop")])
    assert message["From"] == "Bookshop <orders@bookshop.invalid>"
    assert not list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))


def test_a_failed_send_stays_in_the_outbox_for_the_next_run(app, session, smtp):
    app.config.update(SMTP_HOST="mail.example")
    queue(session)
    smtp.fail = True
    assert mailer.deliver_pending(session) == 0
    email = session.scalars(select(Email)).one()
    session.refresh(email)
    assert (email.sent_at, email.attempts, email.last_error) == (None, 1, "connection lost")
    smtp.fail = False
    assert mailer.deliver_pending(session) == 1
    assert len(smtp.sent) == 1


def paid_order_email(app, fake_stripe):
    """Pay an order through the shop's pages; its confirmation email, as the request left it."""
    client = app.test_client()
    with app.app_context():
        placed = checkout_cart(client)
        pay_with_fake(client, db.session, fake_stripe, order_of(db.session, placed))
        return db.session.scalars(select(Email).where(Email.kind == "order_paid")).one()


def test_without_a_job_queue_the_email_is_sent_right_after_the_request(app, fake_stripe):
    email = paid_order_email(app, fake_stripe)
    assert email.sent_at is not None
    assert list(Path(app.config["OUTBOX_DIR"]).glob("order_paid-*.eml"))


def test_with_a_job_queue_the_email_waits_in_the_outbox_for_the_worker(make_app, fake_stripe):
    # No Redis answers there: the request needs none, the row committed with the order is all.
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")
    email = paid_order_email(app, fake_stripe)
    outbox = Path(app.config["OUTBOX_DIR"])
    assert (email.sent_at, email.attempts) == (None, 0)
    assert not list(outbox.glob("*.eml"))

    assert tasks.run("send_emails", app) == 1  # the worker's scheduled job
    assert [f.name for f in outbox.glob("*.eml")] == [f"{email.dedupe_key.replace(':', '-')}.eml"]
    assert tasks.run("send_emails", app) == 0


BASE = {"SECRET_KEY": "x", "STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1"}


def test_order_settings_have_defaults():
    cfg = config.build(BASE)
    assert (cfg["ORDER_EXPIRY_MINUTES"], cfg["REFUND_WINDOW_DAYS"], cfg["CART_MAX_QUANTITY"]) == (
        30,
        30,
        10,
    )
    assert cfg["SMTP_HOST"] is None and cfg["OUTBOX_DIR"].endswith("outbox")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDER_EXPIRY_MINUTES", "0"),
        ("ORDER_EXPIRY_MINUTES", "soon"),
        ("REFUND_WINDOW_DAYS", "-1"),
        ("CART_MAX_QUANTITY", "1.5"),
        ("SMTP_PORT", "0"),
        ("SHOP_URL", "shop.example"),
    ],
)
def test_bad_order_settings_are_refused(name, value):
    with pytest.raises(config.ConfigError, match=name):
        config.build({**BASE, name: value})
