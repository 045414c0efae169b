"""The back office at 100,000 orders: the orders list (first page, a filtered page, a deep page)
and the dashboard, p50 and p95 over repeated requests, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/back_office.py [--orders 100000] [--runs 40]
                                          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Orders are written straight into a fresh, migrated database (a year of them, from 20,000
customers, one to three books each, most paid and delivered, some waiting to ship), then pages
are requested in-process through Flask's test client by a signed-in staff member, so the figures
are the app's own time: routing, the session check, the queries and the template.

The baseline is a back-office page that runs no order queries (the confirm-your-password page):
same session check, same layout; the ratio says what the orders' queries and rendering cost,
whatever the machine. The target is a p50 of at most 100 ms for each page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

TARGET_MS = 100.0
CHUNK = 5000
STATUSES = [
    ("paid", "delivered", 60),
    ("paid", "shipped", 8),
    ("paid", "unfulfilled", 4),
    ("authorized", "unfulfilled", 3),
    ("partially_refunded", "delivered", 5),
    ("refunded", "delivered", 3),
    ("canceled", "unfulfilled", 12),
    ("pending_payment", "unfulfilled", 3),
    ("disputed", "delivered", 1),
    ("won", "delivered", 1),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    failed = False
    for kind in kinds:
        with database(kind, args.postgres) as url:
            failed |= not measure(kind, url, args.orders, args.runs)
    if failed:
        raise SystemExit(1)


@contextmanager
def database(kind: str, postgres: str | None) -> Iterator[str]:
    from bookshop.testing import temporary_database

    if postgres:
        os.environ["TEST_DATABASE_URL"] = postgres
    with tempfile.TemporaryDirectory() as workdir, temporary_database(kind, Path(workdir)) as url:
        yield url


def measure(kind: str, url: str, count: int, runs: int) -> bool:
    from sqlalchemy import select

    from back_office_support import PASSWORD, make_account, sign_in
    from bookshop import create_app
    from bookshop.catalog import seed_catalog
    from bookshop.extensions import db
    from bookshop.models import Book, Order
    from bookshop.views.admin import listing

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "INSTANCE_PATH": instance,
                "STRIPE_SECRET_KEY": "sk_test_bench",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
                "STRIPE_API_BASE": "http://127.0.0.1:9",
                "LOG_LEVEL": "WARNING",
            }
        )
        started = time.perf_counter()
        with app.app_context():
            seed_catalog(db.session)
            db.session.commit()
            seed_orders(db.session, count)
            account = make_account(db.session, "bench@bookshop.test", "staff")
            account.password = PASSWORD
            deep = db.session.scalars(
                listing.filtered(listing.OrderFilters())
                .order_by(Order.created_at.desc(), Order.id.desc())
                .offset(int(count * 0.9))
                .limit(1)
            ).one()
            cursor = listing.encode_cursor(deep, "newest")
            book = db.session.scalar(select(Book.id).order_by(Book.id).limit(1))
        print(f"\n== {kind}: {count:,} orders seeded in {time.perf_counter() - started:.0f} s")
        client = app.test_client()
        assert sign_in(client, account).status_code == 303
        month_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
        pages = {
            "baseline (no order queries)": "/admin/confirm",
            "orders, first page": "/admin/orders",
            "orders, filtered": f"/admin/orders?status=paid&fulfilment=unfulfilled&book={book}",
            "orders, filtered by date": f"/admin/orders?from={month_ago}&status=paid",
            "orders, by email": "/admin/orders?email=customer123%40example.com",
            "orders, deep page (90%)": f"/admin/orders?after={cursor}",
            "dashboard (30 days)": "/admin/",
            "dashboard (90 days)": "/admin/?days=90",
        }
        results = {name: timed(lambda p=path: get(client, p), runs) for name, path in pages.items()}
        from bookshop.database import Database

        Database.dispose(app)
    base = results["baseline (no order queries)"][0]
    ok = True
    print(f"{'page':32}{'p50 ms':>9}{'p95 ms':>9}{'× baseline':>12}")
    for name, (p50, p95) in results.items():
        flag = "" if p50 <= TARGET_MS else "  over target"
        ok &= p50 <= TARGET_MS
        print(f"{name:32}{p50:9.1f}{p95:9.1f}{p50 / base:12.1f}{flag}", flush=True)
    return ok


def get(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)


def timed(call: Callable[[], None], runs: int) -> tuple[float, float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def seed_orders(session: Any, count: int) -> None:
    """A year of orders, written in bulk (the shop's own code paths would take an hour)."""
    from sqlalchemy import insert, select, text

    from bookshop.models import Book, Order, OrderLine, Payment

    rng = random.Random(11)
    books = session.execute(select(Book.id, Book.title, Book.price_amount)).all()
    weights = [w for _, _, w in STATUSES]
    now = datetime.now(UTC)
    order_rows, line_rows, payment_rows = [], [], []
    for i in range(1, count + 1):
        status, fulfilment, _ = rng.choices(STATUSES, weights)[0]
        placed = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        if status == "authorized" and now - placed > timedelta(days=6):
            # Card holds last a week: older authorizations were captured long ago.
            status, fulfilment = "paid", "delivered"
        chosen = rng.sample(books, rng.choice((1, 1, 1, 2, 2, 3)))
        quantities = [rng.choice((1, 1, 1, 2)) for _ in chosen]
        total = sum(b.price_amount * q for b, q in zip(chosen, quantities, strict=True)) + 450
        order_rows.append(
            {
                "id": i,
                "reference": f"BK-{i:08d}",
                "email": f"customer{rng.randint(1, 20_000)}@example.com",
                "currency": "sgd",
                "total_amount": total,
                "status": status,
                "fulfilment_status": fulfilment,
                "capture_method": "manual",
                "token": f"bench-token-{i:08d}",
                "shipping_amount": 450,
                "ship_to_name": f"Reader {i}",
                "ship_to_line1": "1 Example Road",
                "ship_to_city": "Singapore",
                "ship_to_postal_code": "018956",
                "ship_to_country": "SG",
                "created_at": placed,
                "updated_at": placed,
            }
        )
        for book, quantity in zip(chosen, quantities, strict=True):
            line_rows.append(
                {
                    "order_id": i,
                    "book_id": book.id,
                    "title": book.title,
                    "unit_amount": book.price_amount,
                    "quantity": quantity,
                    "shipped_quantity": quantity if fulfilment in ("shipped", "delivered") else 0,
                }
            )
        if status not in ("pending_payment", "canceled"):
            payment_rows.append(
                {
                    "order_id": i,
                    "payment_intent_id": f"pi_bench_{i:08d}",
                    "amount": total,
                    "amount_received": 0 if status == "authorized" else total,
                    "currency": "sgd",
                    "status": "requires_capture" if status == "authorized" else "succeeded",
                    "amount_capturable": total if status == "authorized" else 0,
                    "capture_before": placed + timedelta(days=7)
                    if status == "authorized"
                    else None,
                    "created_at": placed,
                    "updated_at": placed,
                }
            )
    for table, rows in ((Order, order_rows), (OrderLine, line_rows), (Payment, payment_rows)):
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(table), rows[start : start + CHUNK])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval('orders_id_seq', :n)"), {"n": count})
    session.commit()
    # As autovacuum leaves a table in production: statistics and the visibility map (without
    # it PostgreSQL's index-only scans still read the table).
    with session.get_bind().connect() as connection:
        vacuum = "VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(vacuum))


if __name__ == "__main__":
    main()
