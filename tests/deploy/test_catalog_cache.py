"""Catalog pages through the production server: kept in memory per catalog version, yet a change
made by another process shows on the next request; ETag and 304; no cookie for an anonymous
visitor; static files under hashed names, cached for a year."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import update
from sqlalchemy.orm import Session

from bookshop.catalog.version import catalog_changed
from bookshop.database import make_engine
from bookshop.models import Book

from .server_support import Server, production_env, seed_database

BOOK = "working-in-public"
HOST = {"Host": "shop.example"}


@pytest.fixture(scope="module")
def shop(database_url, emulator, tmp_path_factory):
    """One server for the module (each test reads the page as it stands first)."""
    env = production_env(database_url, emulator)
    workdir = tmp_path_factory.mktemp("catalog-cache")
    seed_database(env, workdir)
    server = Server(env, workdir)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        change_book(database_url, price_amount=2800, stock=25)  # the database is the package's


def change_book(database_url: str, **values: object) -> None:
    """Change a book from this process (another process than the server), as any writer does."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            session.execute(update(Book).where(Book.slug == BOOK).values(**values))
            catalog_changed(session)
            session.commit()
    finally:
        engine.dispose()


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers={**HOST, **headers}, timeout=30)


def test_a_price_or_stock_change_shows_on_the_next_request(shop, database_url):
    change_book(database_url, price_amount=2800, stock=25)
    for path in ("/", f"/books/{BOOK}"):
        assert "S$28.00" in get(shop.url + path).text
        assert "S$28.00" in get(shop.url + path).text  # now from memory
    change_book(database_url, price_amount=3100)
    assert "S$31.00" in get(shop.url + "/").text
    assert "S$31.00" in get(f"{shop.url}/books/{BOOK}").text

    change_book(database_url, stock=2)
    assert "Only 2 left" in get(f"{shop.url}/books/{BOOK}").text
    change_book(database_url, stock=0)
    home = get(shop.url + "/").text
    card = re.search(rf'data-book="{BOOK}".*?</li>', home, re.S)
    assert card is not None and 'data-testid="sold-out"' in card.group(0)


def test_an_unchanged_page_is_answered_304_to_if_none_match(shop, database_url):
    first = get(shop.url + "/")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = get(shop.url + "/", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag

    change_book(database_url, price_amount=2900)
    changed = get(shop.url + "/", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_an_anonymous_visit_sets_no_cookie_and_carries_no_csrf_token(shop):
    for path in ("/", "/", f"/books/{BOOK}", f"/books/{BOOK}"):
        response = get(shop.url + path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "csrf" not in response.text.lower()
        assert response.headers["Content-Security-Policy"]
        assert response.headers["X-Request-ID"]


def test_static_files_have_hashed_names_cached_for_a_year(shop):
    html = get(shop.url + "/").text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert any(re.fullmatch(r"/static/css/shop\.[0-9a-f]{12}\.css", link) for link in links)
    for link in links:
        assert re.search(r"\.[0-9a-f]{12}\.", link), link
        response = get(shop.url + link)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
