"""Many buyers at once for the last copies: exactly the stock is sold, on SQLite and PostgreSQL."""

import logging
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bookshop import orders
from bookshop.database import make_engine
from bookshop.extensions import db
from bookshop.models import Book, Order
from bookshop.testing import LiveServer, csrf_token_in, database_kind
from shop_support import HAMMING, PUBLIC, count, stock

log = logging.getLogger(__name__)

BUYERS = 20
STOCK = 5


def set_stock(session: Session, slug: str, stock: int) -> None:
    session.execute(update(Book).where(Book.slug == slug).values(stock=stock))
    session.commit()


def sold(session: Session) -> tuple[int, int]:
    return count(session, Order), stock(session, HAMMING)


@pytest.mark.timeout(120)
def test_twenty_buyers_for_five_copies_place_exactly_five_orders(app, session, database_url):
    set_stock(session, HAMMING, STOCK)
    engine = make_engine(database_url, pool_size=BUYERS, max_overflow=0)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    start = threading.Barrier(BUYERS)

    def buy(n: int) -> str:
        with sessions() as own:
            book = own.scalars(select(Book).where(Book.slug == HAMMING)).one()
            own.rollback()
            start.wait()  # everyone reaches for the shelf at the same moment
            try:
                orders.place_order(
                    own, [orders.LineRequest(book, 1)], f"r{n}@example.com", f"BK-CONC-{n:04d}"
                )
                own.commit()
                return "placed"
            except orders.OutOfStock:
                own.rollback()
                return "sold out"

    began = time.perf_counter()
    with ThreadPoolExecutor(BUYERS) as pool:
        outcomes = Counter(pool.map(buy, range(BUYERS)))
    elapsed = time.perf_counter() - began
    engine.dispose()

    log.warning(
        "stock race on %s: %d buyers, %d copies -> %s in %.2fs",
        database_kind(),
        BUYERS,
        STOCK,
        dict(outcomes),
        elapsed,
    )
    assert outcomes == {"placed": STOCK, "sold out": BUYERS - STOCK}
    assert sold(session) == (STOCK, 0)


@pytest.mark.timeout(120)
def test_orders_for_several_books_never_oversell_either_book(app, session, database_url):
    set_stock(session, HAMMING, 6)
    set_stock(session, PUBLIC, 4)
    engine = make_engine(database_url, pool_size=BUYERS, max_overflow=0)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    start = threading.Barrier(BUYERS)

    def buy(n: int) -> str:
        with sessions() as own:
            books = {b.slug: b for b in own.scalars(select(Book))}
            own.rollback()
            # Half the buyers list the books in the other order: no deadlock either way.
            wanted = [(HAMMING, 2), (PUBLIC, 1)] if n % 2 else [(PUBLIC, 1), (HAMMING, 2)]
            start.wait()
            try:
                lines = [orders.LineRequest(books[slug], q) for slug, q in wanted]
                orders.place_order(own, lines, "r@example.com", f"BK-MULT-{n:04d}")
                own.commit()
                return "placed"
            except orders.OutOfStock:
                own.rollback()
                return "sold out"

    with ThreadPoolExecutor(BUYERS) as pool:
        outcomes = Counter(pool.map(buy, range(BUYERS)))
    engine.dispose()

    assert outcomes == {"placed": 3, "sold out": BUYERS - 3}  # 6 copies / 2 per order
    session.expire_all()
    stocks = {slug: left for slug, left in session.execute(select(Book.slug, Book.stock))}
    assert (stocks[HAMMING], stocks[PUBLIC]) == (0, 1)


@pytest.mark.timeout(120)
def test_twenty_browsers_checking_out_the_last_copies_over_http(make_app, emulator, stripe_api):
    app = make_app()
    with app.app_context():
        set_stock(db.session, HAMMING, STOCK)
    server = LiveServer(app).start()
    start = threading.Barrier(BUYERS)

    references: set[str] = set()

    def checkout(n: int) -> int:
        with requests.Session() as browser:
            page = browser.get(f"{server.url}/checkout/{HAMMING}", timeout=30).text
            token = csrf_token_in(page)
            checkout_id = re.search(r'data-checkout-id="([^"]+)"', page).group(1)
            references.add(orders.reference_for(checkout_id, app.secret_key))
            start.wait()
            response = browser.post(
                f"{server.url}/checkout/{HAMMING}/payment-intent",
                json={"email": f"r{n}@example.com", "quantity": 1, "checkout_id": checkout_id},
                headers={"X-CSRFToken": token, "Accept": "application/json"},
                timeout=60,
            )
            return response.status_code

    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(BUYERS) as pool:
            statuses = Counter(pool.map(checkout, range(BUYERS)))
        elapsed = time.perf_counter() - began
    finally:
        server.stop()

    log.warning(
        "HTTP stock race on %s: %d browsers, %d copies -> %s in %.2fs",
        database_kind(),
        BUYERS,
        STOCK,
        dict(statuses),
        elapsed,
    )
    assert statuses == {201: STOCK, 409: BUYERS - STOCK}
    with app.app_context():
        assert sold(db.session) == (STOCK, 0)
        kept = {p.payment_intent_id for o in db.session.scalars(select(Order)) for p in o.payments}
    # Every PaymentIntent created for a buyer who lost the race was canceled at Stripe.
    intents = stripe_api.get(f"{emulator.url}/v1/payment_intents", params={"limit": 100}).json()
    ours = [pi for pi in intents["data"] if pi["metadata"].get("order_reference") in references]
    assert {pi["id"] for pi in ours if pi["status"] != "canceled"} == kept
    assert len(kept) == STOCK
