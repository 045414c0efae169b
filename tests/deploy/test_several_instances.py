"""Two instances of the production server on one PostgreSQL and one Redis, requests alternated
between them: checkouts started on one and paid on the other, the same webhook events five times
to both at once, and twenty buyers for the last five copies."""

from __future__ import annotations

import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bookshop.catalog.version import catalog_changed
from bookshop.database import make_engine
from bookshop.models import Book, Email, Order
from bookshop.testing import temporary_database
from shop_support import pay_at_emulator, signed

from .server_support import WEBHOOK_SECRET, checkout, production_env, seed_database

BOOK = "working-in-public"
REDIS = ("127.0.0.1", 6379)
HOST = {"Host": "shop.example"}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    import os

    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: several instances need PostgreSQL")
    parts = urlsplit(base.replace("+psycopg", ""))
    if not reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        pytest.skip(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}")
    if not reachable(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    with temporary_database("postgresql", tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(scope="module")
def instances(postgres_url, emulator, tmp_path_factory):
    from .server_support import Server

    env = production_env(
        postgres_url,
        emulator,
        REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
        JOB_QUEUE=f"bookshop-test-{secrets.token_hex(4)}",  # keys of its own
        CAPTURE_METHOD="automatic",
        RATE_LIMITS_ENABLED="false",
        MAX_UNPAID_ORDERS="0",
        MAX_UNPAID_ORDERS_PER_ADDRESS="0",
        WEB_THREADS="8",
    )
    workdir = tmp_path_factory.mktemp("instances")
    seed_database(env, workdir)
    servers = [Server(env, workdir), Server(env, workdir)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def db(postgres_url):
    engine = make_engine(postgres_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def pay(emulator, started: dict) -> str:
    client_secret = started["clientSecret"]
    intent = client_secret.split("_secret_")[0]

    class Placed:
        payment_intent = intent

    Placed.client_secret = client_secret  # type: ignore[attr-defined]
    assert pay_at_emulator(emulator, Placed).ok  # type: ignore[arg-type]
    return intent


def events_for(emulator, intents: set[str]) -> list[dict]:
    answer = requests.get(
        f"{emulator.url}/v1/events",
        params={"limit": 100},
        auth=(emulator.secret_key, ""),
        timeout=10,
    )
    answer.raise_for_status()
    return [e for e in answer.json()["data"] if e["data"]["object"].get("id") in intents]


def test_checkouts_paid_across_instances_with_duplicated_webhooks_pay_once(instances, emulator, db):
    started = [
        checkout(instances[i % 2].url, BOOK, f"reader{i}@example.com").json() for i in range(4)
    ]
    intents = {pay(emulator, one) for one in started}
    for i, one in enumerate(started):  # each customer comes back to the other instance
        intent = one["clientSecret"].split("_secret_")[0]
        back = requests.get(
            f"{instances[(i + 1) % 2].url}/checkout/complete",
            params={"payment_intent": intent, "payment_intent_client_secret": one["clientSecret"]},
            headers=HOST,
            timeout=30,
        )
        assert back.status_code == 200

    events = events_for(emulator, intents)
    assert events
    deliveries = [(instances[n % 2].url, e) for e in events for n in range(5)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(
                lambda d: requests.post(
                    f"{d[0]}/webhooks/stripe",
                    data=signed(d[1], WEBHOOK_SECRET)[0],
                    headers={**HOST, **signed(d[1], WEBHOOK_SECRET)[1]},
                    timeout=30,
                ),
                deliveries,
            )
        )
    assert all(a.status_code < 300 for a in answers), [a.text for a in answers if a.ok is False]

    references = [one["order"] for one in started]
    orders = db.scalars(select(Order).where(Order.reference.in_(references))).all()
    assert sorted(o.status for o in orders) == ["paid"] * 4
    for order in orders:
        assert len([p for p in order.payments if p.status == "succeeded"]) == 1
        paid_emails = db.scalar(
            select(func.count())
            .select_from(Email)
            .where(Email.order_id == order.id, Email.kind == "order_paid")
        )
        assert paid_emails == 1


def test_twenty_buyers_for_the_last_five_copies_get_five_orders(instances, db):
    db.execute(update(Book).where(Book.slug == BOOK).values(stock=5))
    catalog_changed(db)
    db.commit()
    before = db.scalar(select(func.count()).select_from(Order))

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda i: checkout(instances[i % 2].url, BOOK, f"buyer{i}@example.com"),
                range(20),
            )
        )

    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * 15
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Order)) - before == 5
    assert db.scalar(select(Book.stock).where(Book.slug == BOOK)) == 0
    for server in instances:
        home = requests.get(f"{server.url}/books/{BOOK}", headers=HOST, timeout=30).text
        assert 'data-testid="sold-out"' in home
