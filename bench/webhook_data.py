"""The webhook bench's data: real payments and their events on the emulator, the orders behind
them in the shop's database before the run, and what the run left there after it."""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

BOOK = "the-art-of-doing-science-and-engineering"


@dataclass(frozen=True)
class Delivery:
    """One POST: an event's raw JSON and the event id."""

    event_id: str
    body: bytes


# --- payments and their events -------------------------------------------------------------------


def make_payments(emulator: Any, count: int, amount: int, currency: str) -> dict[str, str]:
    """Real, succeeded payments on the emulator; PaymentIntent id -> order reference."""
    from bookshop.orders import new_reference

    def pay(_: int) -> tuple[str, str]:
        reference = new_reference()
        response = requests.post(
            f"{emulator.url}/v1/payment_intents",
            auth=(emulator.secret_key, ""),
            data={
                "amount": amount,
                "currency": currency,
                "metadata[order_reference]": reference,
                "payment_method": "pm_card_visa",
                "confirm": "true",
                "return_url": "http://127.0.0.1/checkout/complete",
            },
            timeout=30,
        )
        response.raise_for_status()
        intent = response.json()
        assert intent["status"] == "succeeded", intent["status"]
        return intent["id"], reference

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(pay, range(count)))


def fetch_events(emulator: Any, intents: set[str]) -> list[dict[str, Any]]:
    """Every event the emulator recorded about these PaymentIntents, oldest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = requests.get(
            f"{emulator.url}/v1/events", params=params, auth=(emulator.secret_key, ""), timeout=30
        ).json()
        for event in page["data"]:
            obj = event["data"]["object"]
            if obj.get("id") in intents or obj.get("payment_intent") in intents:
                found.append(event)
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    found.reverse()
    return found


def intent_of(event: dict[str, Any]) -> str:
    """The PaymentIntent an event is about (its object, or the charge's PaymentIntent)."""
    obj = event["data"]["object"]
    return str(obj.get("payment_intent") or obj["id"])


def deliveries_for(events: list[dict[str, Any]], duplicates: int) -> list[Delivery]:
    """Each event `duplicates` times in a row, events in a random order."""
    shuffled = list(events)
    random.Random(42).shuffle(shuffled)
    return [
        Delivery(event["id"], json.dumps(event, indent=2).encode())
        for event in shuffled
        for _ in range(duplicates)
    ]


# --- the shop's database -------------------------------------------------------------------------


def prepare_orders(config: dict[str, Any], payments_made: dict[str, str]) -> None:
    """The orders behind the payments, as the checkout leaves them: placed, payment started."""
    from sqlalchemy import select, update

    from bookshop import create_app, orders, payments
    from bookshop.catalog import seed_catalog
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Book

    app = create_app(config)
    with app.app_context():
        seed_catalog(db.session)
        db.session.commit()
        # Enough copies that stock never stops a payment from being applied.
        db.session.execute(update(Book).values(stock=10 * len(payments_made) + 100))
        db.session.commit()
        book = db.session.scalars(select(Book).where(Book.slug == BOOK)).one()
        for payment_intent_id, reference in payments_made.items():
            order = orders.place_order(
                db.session, [orders.LineRequest(book, 1)], "reader@example.com", reference
            )
            orders.payment_started(
                db.session,
                order,
                payments.PaymentIntent(
                    id=payment_intent_id,
                    status="requires_payment_method",
                    amount=book.price_amount,
                    amount_received=0,
                    currency=book.currency,
                    metadata={"order_reference": reference},
                    receipt_email="reader@example.com",
                ),
            )
        db.session.commit()
    Database.dispose(app)


def check_outcome(config: dict[str, Any], orders_expected: int, events_expected: int) -> str:
    """Every order paid once, one email each, one processed record per event; or what is wrong."""
    from sqlalchemy import func, select

    from bookshop import create_app
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Email, Order, OrderEvent, StripeEvent

    app = create_app(config)
    with app.app_context():
        session = db.session

        def count(query: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

        found = {
            "paid orders": count(select(Order.id).where(Order.status == "paid")),
            "moves to paid": count(select(OrderEvent.id).where(OrderEvent.to_status == "paid")),
            "paid emails": count(select(Email.id).where(Email.kind == "order_paid")),
            "sent emails": count(select(Email.id).where(Email.sent_at.is_not(None))),
            "stored events": count(select(StripeEvent.id)),
            "processed events": count(
                select(StripeEvent.id).where(StripeEvent.processed_at.is_not(None))
            ),
        }
    Database.dispose(app)
    wanted = {
        "paid orders": orders_expected,
        "moves to paid": orders_expected,
        "paid emails": orders_expected,
        "sent emails": orders_expected,
        "stored events": events_expected,
        "processed events": events_expected,
    }
    wrong = [
        f"{name} {found[name]} (want {wanted[name]})"
        for name in wanted
        if found[name] != wanted[name]
    ]
    return "; ".join(wrong) or "ok"


def wait_for_outbox(config: dict[str, Any], seconds: float = 60) -> None:
    """Until every email is sent (the worker's runs come every few seconds)."""
    from sqlalchemy import func, select

    from bookshop import create_app
    from bookshop.database import Database
    from bookshop.extensions import db
    from bookshop.models import Email

    app = create_app(config)
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            unsent = select(func.count()).select_from(Email).where(Email.sent_at.is_(None))
            if not db.session.scalar(unsent):
                break
            db.session.rollback()
            time.sleep(0.5)
    Database.dispose(app)
