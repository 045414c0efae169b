"""What the shop's tests share: books and orders, Stripe faked in memory or driven at the emulator,
signed webhook events, the customer's steps on the order pages, and the card form in Chromium."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from bookshop import create_app, orders, payments
from bookshop.catalog import seed_catalog
from bookshop.extensions import db
from bookshop.models import Base, Book, Email, Order, OrderLine, ShippingOption
from bookshop.serving import ensure_webhook_endpoint
from bookshop.testing import SAME_ORIGIN, LiveServer, csrf_token, start_cart_checkout
from stripe_emulator import RunningEmulator
from stripe_emulator.delivery import sign

HAMMING = "the-art-of-doing-science-and-engineering"  # S$23.00
PUBLIC = "working-in-public"  # S$28.00
EMAIL = "reader@example.com"
PAID_CARD = "4242424242424242"
CARD_EXPIRY = f"12 / {(datetime.now().year + 5) % 100:02d}"
SINGAPORE_DETAILS = payments.ShippingDetails(
    name="Ada Reader",
    phone="",
    line1="1 Fusionopolis Way",
    line2="",
    city="",
    state="",
    postal_code="138632",
    country="SG",
)
# Nothing listens here: a call to Stripe that escaped the fake fails loudly.
UNREACHABLE_STRIPE = "http://127.0.0.1:9"
WEBHOOK_SECRET = "whsec_unit_test_secret"


# --- the shop's app ---------------------------------------------------------------------------


def shop_app(database_url: str, instance_path: Path, **settings: Any) -> Flask:
    """The shop in test mode on a test database, with the settings given."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance_path),
            # Most tests follow a payment to "paid"; capture-on-shipping tests ask for manual.
            "CAPTURE_METHOD": "automatic",
            **settings,
        }
    )


def seed(app: Flask) -> None:
    """Put the catalog in the app's database."""
    with app.app_context():
        seed_catalog(db.session)
        db.session.commit()


def fake_stripe_settings() -> dict[str, Any]:
    """Settings for a shop whose Stripe calls are faked in this process."""
    return {
        "STRIPE_SECRET_KEY": "sk_test_unit",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_unit",
        "STRIPE_API_BASE": UNREACHABLE_STRIPE,
        "STRIPE_JS_URL": f"{UNREACHABLE_STRIPE}/v3/",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def emulator_settings(emulator: RunningEmulator) -> dict[str, Any]:
    """Settings for a shop that talks to the emulator, as the run command configures it."""
    return {
        "STRIPE_SECRET_KEY": emulator.secret_key,
        "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_JS_URL": f"{emulator.url}/v3/",
    }


def command_environment(
    database_url: str, instance_path: Path, emulator: RunningEmulator
) -> dict[str, str]:
    """The environment an operator runs the shop's commands in, against the emulator."""
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "STRIPE_SECRET_KEY": emulator.secret_key,
        "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
        "STRIPE_API_BASE": emulator.url,
    }


# --- looking at the database ------------------------------------------------------------------


def book(session: Session, slug: str = HAMMING) -> Book:
    """A book of the catalog by its slug."""
    return session.scalars(select(Book).where(Book.slug == slug)).one()


def stock(session: Session, slug: str = HAMMING) -> int:
    """The copies of a book left, as saved."""
    session.expire_all()
    return book(session, slug).stock


def count(session: Session, model: type[Base], *where: ColumnElement[bool]) -> int:
    """How many rows of a model are saved, of those matching `where`."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def the_order(session: Session) -> Order:
    """The only order, as saved."""
    session.expire_all()
    return session.scalars(select(Order)).one()


def order_of(session: Session, placed: Placed) -> Order:
    """A placed order, as saved."""
    session.expire_all()
    return session.scalars(select(Order).where(Order.reference == placed.reference)).one()


def moves(order: Order) -> list[str]:
    """The statuses an order has moved to, first to last."""
    return [e.to_status for e in order.events]


def emails_about(session: Session, placed: Placed, kind: str = "order_paid") -> int:
    """How many emails of a kind a placed order has queued."""
    order = order_of(session, placed)
    return count(session, Email, Email.order_id == order.id, Email.kind == kind)


def line_of(order: Order, slug: str) -> OrderLine:
    """An order's line for a book."""
    return next(line for line in order.lines if line.book.slug == slug)


# --- orders -----------------------------------------------------------------------------------


def new_order(
    session: Session,
    *lines: tuple[str, int],
    reference: str = "BK-TEST-0001",
    expires_at: datetime | None = None,
) -> Order:
    """An order for (slug, quantity) lines, one copy of Hamming's book unless told; no payment."""
    order = orders.place_order(
        session,
        [
            orders.LineRequest(book(session, slug), quantity)
            for slug, quantity in lines or [(HAMMING, 1)]
        ],
        EMAIL,
        reference,
        expires_at=expires_at,
    )
    session.flush()
    return order


def intent_for(order: Order, status: str, **changes: Any) -> payments.PaymentIntent:
    """A PaymentIntent for the whole of an order, in the status given."""
    intent = payments.PaymentIntent(
        id="pi_unit1",
        status=status,
        amount=order.total_amount,
        amount_received=order.total_amount if status == "succeeded" else 0,
        currency=order.currency,
        metadata={"order_reference": order.reference},
        receipt_email=order.email,
        client_secret="pi_unit1_secret_abc",
    )
    return replace(intent, **changes)


def paid_order(session: Session, *lines: tuple[str, int]) -> Order:
    """An order for (slug, quantity) lines whose payment succeeded, as the domain records it."""
    order = new_order(session, *lines)
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    session.flush()
    return order


def shipping_option(code: str = "sg-test", **fields: Any) -> ShippingOption:
    """A shipping option, not saved: to Singapore, S$5.00, in 1 to 3 business days unless told."""
    values: dict[str, Any] = {
        "code": code,
        "name": code.title(),
        "countries": "SG",
        "amount": 500,
        "currency": "sgd",
        "min_days": 1,
        "max_days": 3,
    }
    return ShippingOption(**(values | fields))


def shipping_line(order: Order) -> tuple[str | None, str | None, str | None, int, int]:
    """What the order says of its delivery: option, label, estimate, shipping and total."""
    return (
        order.shipping_option,
        order.shipping_label,
        order.shipping_estimate,
        order.shipping_amount,
        order.total_amount,
    )


def return_path(payment_intent: str, client_secret: str) -> str:
    """Where Stripe sends the customer back after paying."""
    return (
        f"/checkout/complete?payment_intent={payment_intent}"
        f"&payment_intent_client_secret={client_secret}"
    )


@dataclass(frozen=True)
class Placed:
    """An order waiting for payment, with its PaymentIntent: what the checkout hands the browser."""

    reference: str
    payment_intent: str
    client_secret: str
    order_url: str = ""

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> Placed:
        """Read the checkout's JSON answer."""
        secret = answer["clientSecret"]
        return cls(answer["order"], secret.split("_secret_")[0], secret, answer.get("orderUrl", ""))

    @property
    def return_path(self) -> str:
        return return_path(self.payment_intent, self.client_secret)


def checkout_cart(client: FlaskClient, *lines: tuple[str, int]) -> Placed:
    """Fill the cart (two Hammings and one Public unless told) and start paying, as the pages and
    the checkout script do."""
    return Placed.from_answer(start_cart_checkout(client, *(lines or [(HAMMING, 2), (PUBLIC, 1)])))


def hosted_form(html: str) -> tuple[str, dict[str, str]]:
    """Where a hosted-mode checkout page posts to, and its hidden fields."""
    action = re.search(r'<form class="checkout-form" method="post" action="([^"]+)"', html)
    assert action, "not the hosted checkout page"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return action.group(1), fields


def start_hosted_checkout(
    client: FlaskClient, *lines: tuple[str, int], email: str = EMAIL
) -> TestResponse:
    """Fill the cart (two Hammings and one Public unless told) and press "Continue to secure
    payment" on the hosted-mode checkout page: the answer redirects to Stripe's page."""
    for slug, quantity in lines or [(HAMMING, 2), (PUBLIC, 1)]:
        client.post(
            "/cart/add",
            data={"csrf_token": csrf_token(client), "book": slug, "quantity": quantity},
        )
    action, fields = hosted_form(client.get("/checkout").get_data(as_text=True))
    return client.post(action, data={**fields, "email": email})


def placed_order(session: Session, slug: str = HAMMING, quantity: int = 1) -> Placed:
    """What the checkout does: a PaymentIntent at Stripe, then the order and its payment."""
    ordered = book(session, slug)
    reference = orders.new_reference()
    intent = payments.create_payment_intent(
        amount=ordered.price_amount * quantity,
        currency=ordered.currency,
        metadata={"order_reference": reference},
        receipt_email=EMAIL,
        idempotency_key=f"test-{reference}",
    )
    order = orders.place_order(session, [orders.LineRequest(ordered, quantity)], EMAIL, reference)
    orders.payment_started(session, order, intent)
    session.commit()
    assert intent.client_secret
    return Placed(reference, intent.id, intent.client_secret)


# --- the customer's steps on the pages ----------------------------------------------------------


def page(client: FlaskClient, path: str) -> str:
    """A page's HTML."""
    return client.get(path).get_data(as_text=True)


def form_post(client: FlaskClient, path: str, **form: Any) -> TestResponse:
    """Submit a form, with the CSRF token a page carries."""
    return client.post(path, data={"csrf_token": csrf_token(client), **form}, headers=SAME_ORIGIN)


def resume_payment(client: FlaskClient, token: str) -> TestResponse:
    """Come back to an unpaid order and pay, as the order page's script does."""
    return client.post(
        f"/orders/{token}/payment-intent",
        json={},
        headers={"X-CSRFToken": csrf_token(client), "Accept": "application/json"},
    )


def review_refund(client: FlaskClient, token: str, **form: Any) -> TestResponse:
    """Ask for a refund on the order page: the review page, nothing done yet."""
    return form_post(client, f"/orders/{token}/refund/review", **form)


def refund_form(review_html: str) -> dict[str, str]:
    """The hidden fields a refund's review page confirms with."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review_html))


def confirm_refund(client: FlaskClient, token: str, review_html: str) -> TestResponse:
    """Confirm the refund a review page shows."""
    return client.post(f"/orders/{token}/refund", data=refund_form(review_html))


# --- Stripe faked in memory -------------------------------------------------------------------


@dataclass
class FakeStripe:
    """PaymentIntents and refunds kept in memory, standing in for the payments functions."""

    intents: dict[str, payments.PaymentIntent] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    fail_with: payments.PaymentError | None = None
    canceled: list[str] = field(default_factory=list)
    refunds_by_key: dict[str, payments.Refund] = field(default_factory=dict)
    refund_status: str = "succeeded"
    updated: list[dict[str, Any]] = field(default_factory=list)
    captures: dict[str, payments.PaymentIntent] = field(default_factory=dict)  # by key
    shipping: dict[str, Any] = field(default_factory=dict)  # PaymentIntent id -> shipping
    sessions: dict[str, payments.CheckoutSession] = field(default_factory=dict)
    session_params: dict[str, dict[str, Any]] = field(default_factory=dict)  # by session id
    sessions_by_key: dict[str, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def create_payment_intent(self, **params: Any) -> payments.PaymentIntent:
        if self.fail_with is not None:
            raise self.fail_with
        self.created.append(params)
        pi_id = f"pi_fake{next(self._ids):06d}"
        intent = payments.PaymentIntent(
            id=pi_id,
            status="requires_payment_method",
            amount=params["amount"],
            amount_received=0,
            currency=params["currency"],
            metadata=dict(params["metadata"]),
            receipt_email=params["receipt_email"],
            client_secret=self.client_secret(pi_id),
            capture_method=params.get("capture_method", "automatic"),
        )
        self.intents[pi_id] = intent
        return intent

    def update_payment_intent(
        self, payment_intent_id: str, amount: int, shipping: Any = None
    ) -> payments.PaymentIntent:
        if self.fail_with is not None:
            raise self.fail_with
        intent = self.intents[payment_intent_id]
        if intent.status not in payments.PAYABLE_INTENT_STATUSES:
            raise payments.InvalidPaymentRequest(f"cannot update a {intent.status} PaymentIntent")
        self.updated.append({"id": payment_intent_id, "amount": amount, "shipping": shipping})
        if shipping is not None:
            self.shipping[payment_intent_id] = shipping
        self.intents[payment_intent_id] = replace(intent, amount=amount)
        return self.intents[payment_intent_id]

    def update_receipt_email(self, payment_intent_id: str, email: str) -> payments.PaymentIntent:
        """Stripe's update of where an unpaid PaymentIntent's receipt goes."""
        if self.fail_with is not None:
            raise self.fail_with
        intent = self.intents[payment_intent_id]
        if intent.status not in payments.PAYABLE_INTENT_STATUSES:
            raise payments.InvalidPaymentRequest(f"cannot update a {intent.status} PaymentIntent")
        self.intents[payment_intent_id] = replace(intent, receipt_email=email)
        return self.intents[payment_intent_id]

    def capture_payment_intent(
        self, payment_intent_id: str, amount_to_capture: int, idempotency_key: str
    ) -> payments.PaymentIntent:
        """Stripe's capture: once, for at most what is held; the same key replays the answer."""
        if self.fail_with is not None:
            raise self.fail_with
        if idempotency_key in self.captures:
            return self.captures[idempotency_key]
        intent = self.intents[payment_intent_id]
        if intent.status != "requires_capture" or amount_to_capture > intent.amount_capturable:
            raise payments.InvalidPaymentRequest(f"cannot capture a {intent.status} PaymentIntent")
        captured = replace(
            intent, status="succeeded", amount_received=amount_to_capture, amount_capturable=0
        )
        self.intents[payment_intent_id] = self.captures[idempotency_key] = captured
        return captured

    def authorize(self, payment_intent_id: str) -> None:
        """The customer paid a manual-capture PaymentIntent: the card is held for its amount."""
        intent = self.intents[payment_intent_id]
        self.intents[payment_intent_id] = replace(
            intent, status="requires_capture", amount_capturable=intent.amount
        )

    def retrieve_payment_intent(self, payment_intent_id: str) -> payments.PaymentIntent:
        self.retrieved.append(payment_intent_id)
        if self.fail_with is not None:
            raise self.fail_with
        if payment_intent_id not in self.intents:
            raise payments.PaymentNotFound(f"no such payment_intent {payment_intent_id}")
        return self.intents[payment_intent_id]

    def cancel_payment_intent(
        self, payment_intent_id: str, reason: str = "abandoned", idempotency_key: str | None = None
    ) -> payments.PaymentIntent:
        self.canceled.append(payment_intent_id)
        if self.fail_with is not None:
            raise self.fail_with
        intent = self.intents[payment_intent_id]
        if intent.status in ("succeeded", "canceled", "processing"):
            raise payments.InvalidPaymentRequest(f"cannot cancel a {intent.status} PaymentIntent")
        self.intents[payment_intent_id] = replace(intent, status="canceled")
        return self.intents[payment_intent_id]

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int,
        idempotency_key: str,
        metadata: Any,
        reason: str | None = None,
    ) -> payments.Refund:
        if self.fail_with is not None:
            raise self.fail_with
        if idempotency_key in self.refunds_by_key:
            return self.refunds_by_key[idempotency_key]
        intent = self.intents[payment_intent_id]
        refund = payments.Refund(
            id=f"re_fake{next(self._ids):06d}",
            amount=amount,
            currency=intent.currency,
            status=self.refund_status,
            payment_intent=payment_intent_id,
            charge=None,
            reason=reason,
            metadata=dict(metadata),
        )
        self.refunds_by_key[idempotency_key] = refund
        return refund

    def create_checkout_session(self, **params: Any) -> payments.CheckoutSession:
        """Stripe's Checkout Session create; the same idempotency key answers the same session."""
        if self.fail_with is not None:
            raise self.fail_with
        key = params["idempotency_key"]
        if key in self.sessions_by_key:
            return self.sessions[self.sessions_by_key[key]]
        cs_id = f"cs_test_fake{next(self._ids):06d}"
        self.session_params[cs_id] = params
        self.sessions_by_key[key] = cs_id
        self.sessions[cs_id] = payments.CheckoutSession(
            id=cs_id,
            status="open",
            payment_status="unpaid",
            client_reference_id=params["reference"],
            currency=params["currency"],
            amount_total=sum(line.unit_amount * line.quantity for line in params["lines"]),
            expires_at=params["expires_at"],
            url=f"https://checkout.stripe.test/c/pay/{cs_id}",
        )
        return self.sessions[cs_id]

    def retrieve_checkout_session(self, checkout_session_id: str) -> payments.CheckoutSession:
        if self.fail_with is not None:
            raise self.fail_with
        if checkout_session_id not in self.sessions:
            raise payments.PaymentNotFound(f"no such checkout.session {checkout_session_id}")
        found = self.sessions[checkout_session_id]
        intent = self.intents.get(found.payment_intent_id or "")
        return replace(found, intent=intent)

    def expire_checkout_session(self, checkout_session_id: str) -> payments.CheckoutSession:
        """Stripe's expire: only an open session; its PaymentIntent, if any, is canceled."""
        found = self.retrieve_checkout_session(checkout_session_id)
        if found.status != "open":
            raise payments.InvalidPaymentRequest(f"cannot expire a {found.status} session")
        if found.payment_intent_id:
            self.set_status(found.payment_intent_id, "canceled")
        self.sessions[checkout_session_id] = replace(found, status="expired", url=None)
        return self.retrieve_checkout_session(checkout_session_id)

    def list_checkout_sessions(
        self, created_gte: int, created_lt: int
    ) -> Iterator[payments.CheckoutSession]:
        for checkout_session_id in list(self.sessions):
            yield self.retrieve_checkout_session(checkout_session_id)

    def pay_session(
        self,
        checkout_session_id: str,
        option: int = 0,
        address: payments.ShippingDetails | None = None,
        status: str = "succeeded",
    ) -> str:
        """The customer pays on Stripe's page with the option at that index, to an address:
        the session completes with its PaymentIntent (status given); its id."""
        found = self.sessions[checkout_session_id]
        rate = self.session_params[checkout_session_id]["shipping_options"][option]
        pi_id = f"pi_fake{next(self._ids):06d}"
        amount = found.amount_total + rate.amount
        held = status == "requires_capture"
        self.intents[pi_id] = payments.PaymentIntent(
            id=pi_id,
            status=status,
            amount=amount,
            amount_received=amount if status == "succeeded" else 0,
            currency=found.currency,
            metadata=dict(self.session_params[checkout_session_id]["metadata"]),
            receipt_email=self.session_params[checkout_session_id]["customer_email"],
            amount_capturable=amount if held else 0,
            capture_method="manual" if held else "automatic",
        )
        self.sessions[checkout_session_id] = replace(
            found,
            status="complete",
            payment_status="paid" if status in ("succeeded", "requires_capture") else "unpaid",
            url=None,
            amount_total=amount,
            payment_intent_id=pi_id,
            shipping=address or SINGAPORE_DETAILS,
            chosen_shipping=payments.ChosenShipping(
                f"shr_fake{option}", rate.amount, rate.name, rate.code
            ),
        )
        return pi_id

    def session_event(self, event_id: str, event_type: str, checkout_session_id: str) -> Any:
        """A checkout.session.* event carrying the session as Stripe had it (ids only)."""
        found = self.sessions[checkout_session_id]
        obj = {
            "id": found.id,
            "object": "checkout.session",
            "status": found.status,
            "client_reference_id": found.client_reference_id,
            "payment_intent": found.payment_intent_id,
            "payment_status": found.payment_status,
        }
        return event(event_id, event_type, obj)

    @staticmethod
    def client_secret(payment_intent_id: str) -> str:
        """The client secret the fake hands out for a PaymentIntent."""
        return f"{payment_intent_id}_secret_fake"

    def return_path(self, payment_intent_id: str) -> str:
        """Where Stripe sends the customer back after paying this PaymentIntent."""
        return return_path(payment_intent_id, self.client_secret(payment_intent_id))

    def set_status(self, payment_intent_id: str, status: str, **changes: Any) -> None:
        """Move a PaymentIntent as Stripe would after the customer acts."""
        intent = self.intents[payment_intent_id]
        if status == "succeeded":
            changes.setdefault("amount_received", intent.amount)
        self.intents[payment_intent_id] = replace(intent, status=status, **changes)

    def intent_event(
        self, event_id: str, event_type: str, payment_intent_id: str, created: int | None = None
    ) -> dict[str, Any]:
        """An event carrying the PaymentIntent as Stripe has it at this moment."""
        obj = intent_object(self.intents[payment_intent_id])
        return event(event_id, event_type, obj, created=created)

    def succeeded(self, payment_intent_id: str, event_id: str = "evt_paid") -> dict[str, Any]:
        """The customer pays: the PaymentIntent succeeds, and the event that says so."""
        self.set_status(payment_intent_id, "succeeded")
        return self.intent_event(event_id, "payment_intent.succeeded", payment_intent_id)


def pay_with_fake(
    client: FlaskClient, session: Session, fake_stripe: FakeStripe, order: Order | None = None
) -> Order:
    """The customer pays an order (the only one unless told): Stripe says succeeded, the return
    page records it."""
    order = order or the_order(session)
    payment_intent = order.payments[-1].payment_intent_id
    fake_stripe.set_status(payment_intent, "succeeded")
    client.get(fake_stripe.return_path(payment_intent))
    session.expire_all()
    return order


# --- webhook events ---------------------------------------------------------------------------


def event(
    event_id: str, event_type: str, obj: dict[str, Any], created: int | None = None
) -> dict[str, Any]:
    """A Stripe event carrying an object."""
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
    }


def intent_object(intent: payments.PaymentIntent) -> dict[str, Any]:
    """A PaymentIntent as an event carries it."""
    return {
        "id": intent.id,
        "object": "payment_intent",
        "status": intent.status,
        "amount": intent.amount,
        "amount_received": intent.amount_received,
        "currency": intent.currency,
        "metadata": dict(intent.metadata),
        "receipt_email": intent.receipt_email,
    }


def signed(
    payload: dict[str, Any], secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """An event's body and headers, signed with a secret as Stripe signs a delivery."""
    body = json.dumps(payload)
    headers = {
        "Stripe-Signature": sign(body, secret, timestamp),
        "Content-Type": "application/json",
    }
    return body.encode(), headers


def deliver(
    client: FlaskClient,
    payload: dict[str, Any],
    secret: str | None = None,
    timestamp: int | None = None,
) -> TestResponse:
    """Post an event to the shop's webhook, signed with its secret unless told otherwise."""
    secret = secret or client.application.config["STRIPE_WEBHOOK_SECRET"] or "whsec_unset"
    body, headers = signed(payload, secret, timestamp)
    return client.post("/webhooks/stripe", data=body, headers=headers)


# --- the emulator -----------------------------------------------------------------------------


def pay_at_emulator(
    emulator: RunningEmulator,
    placed: Placed,
    number: str = PAID_CARD,
    cvc: str = "123",
    return_url: str = "http://localhost/checkout/complete",
) -> requests.Response:
    """What Stripe.js does when the customer presses Pay: confirm with the card."""
    return requests.post(
        f"{emulator.url}/v1/payment_intents/{placed.payment_intent}/confirm",
        data={
            "key": emulator.publishable_key,
            "client_secret": placed.client_secret,
            "return_url": return_url,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2034",
            "payment_method_data[card][cvc]": cvc,
            "payment_method_data[billing_details][address][postal_code]": "018956",
        },
        timeout=10,
    )


def flush_webhooks(emulator: RunningEmulator, timeout: int = 20) -> None:
    """Wait until the emulator has delivered every webhook due."""
    response = requests.post(
        f"{emulator.url}/_emulator/webhooks/flush?timeout={timeout}", timeout=timeout + 10
    )
    assert response.status_code == 200, response.text


@dataclass
class Shop:
    """The shop served over HTTP, registered as the emulator's webhook endpoint."""

    app: Flask
    server: LiveServer
    emulator: RunningEmulator

    @property
    def secret(self) -> str:
        return self.app.config["STRIPE_WEBHOOK_SECRET"]

    def place(self, slug: str = HAMMING, quantity: int = 1) -> Placed:
        """What the checkout does: a PaymentIntent at Stripe, then the order and its payment."""
        with self.app.app_context():
            return placed_order(db.session, slug, quantity)

    def pay(self, placed: Placed, number: str = PAID_CARD) -> requests.Response:
        """What Stripe.js does when the customer presses Pay."""
        return pay_at_emulator(
            self.emulator, placed, number, return_url=f"{self.server.url}/checkout/complete"
        )

    def api(self, method: str, path: str, **data: Any) -> dict[str, Any]:
        """A server-side Stripe call, as someone in the dashboard would make it."""
        response = requests.request(
            method,
            f"{self.emulator.url}{path}",
            data=data or None,
            auth=(self.emulator.secret_key, ""),
            timeout=10,
        )
        assert response.ok, response.text
        return response.json()

    def control(self, path: str, **body: Any) -> dict[str, Any]:
        """Steer the emulator: pause or resume webhooks, close disputes."""
        response = requests.post(f"{self.emulator.url}/_emulator/{path}", json=body, timeout=30)
        assert response.ok, response.text
        return response.json()

    def flush(self) -> None:
        flush_webhooks(self.emulator)

    def events(self, payment_intent: str, event_type: str) -> list[dict[str, Any]]:
        """The events of a type about a PaymentIntent, or its charge's refunds and disputes."""
        listed = self.api("GET", f"/v1/events?type={event_type}&limit=100")
        return [
            e
            for e in listed["data"]
            if payment_intent
            in (e["data"]["object"].get("id"), e["data"]["object"].get("payment_intent"))
        ]

    def deliveries(self, event_id: str) -> list[dict[str, Any]]:
        """The emulator's log of an event's deliveries."""
        response = requests.get(
            f"{self.emulator.url}/_emulator/deliveries", params={"event": event_id}, timeout=10
        )
        return response.json()["data"]

    def post_event(self, payload: dict[str, Any]) -> requests.Response:
        """Deliver an event as Stripe does, signed with the endpoint's secret."""
        body, headers = signed(payload, self.secret)
        return requests.post(
            f"{self.server.url}/webhooks/stripe", data=body, headers=headers, timeout=30
        )


@contextmanager
def shop_receiving_webhooks(
    app: Flask, emulator: RunningEmulator, state_dir: Path
) -> Iterator[Shop]:
    """Serve the app over HTTP and register it with the emulator for webhooks; afterwards let
    nothing still be arriving, unregister it and stop."""
    server = LiveServer(app).start()
    url = f"{server.url}/webhooks/stripe"
    with app.app_context():
        app.config["STRIPE_WEBHOOK_SECRET"] = ensure_webhook_endpoint(url, state_dir / "wh.json")
    shop = Shop(app, server, emulator)
    try:
        yield shop
    finally:
        shop.control("webhooks/resume")
        shop.flush()
        with app.app_context():
            for endpoint in payments.list_webhook_endpoints():
                if endpoint.url == url:
                    payments.delete_webhook_endpoint(endpoint.id)
        server.stop()


# --- Chromium ---------------------------------------------------------------------------------


def fill_address(page: Page) -> None:
    """Type a delivery address in Singapore into the Address Element."""
    page.get_by_test_id("address-name").fill("Ada Reader")
    page.get_by_test_id("address-line1").fill("1 Fusionopolis Way")
    page.get_by_test_id("address-postal-code").fill("138632")
    page.get_by_test_id("address-phone").fill("+65 6123 4567")


def fill_card(page: Page, number: str = PAID_CARD) -> None:
    """Type a delivery address (when the checkout asks for one) and a card."""
    if page.get_by_test_id("address-name").count():
        fill_address(page)
    page.get_by_test_id("card-number").fill(number)
    page.get_by_test_id("card-expiry").fill(CARD_EXPIRY)
    page.get_by_test_id("card-cvc").fill("123")
    page.get_by_test_id("postal-code").fill("018956")
