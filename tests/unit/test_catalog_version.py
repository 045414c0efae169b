"""The catalog's version moves when a stock change shows on the pages, and only then, so that a
cached page is always the page a fresh rendering would give."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from bookshop.catalog.version import catalog_changed, current_version
from bookshop.orders.stock import release_stock, reserve_stock
from shop_support import HAMMING, book

CART_MAX = 10  # the test app's CART_MAX_QUANTITY: the quantity field offers up to this many


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(CART_MAX_QUANTITY=CART_MAX)


def set_stock(session: Session, copies: int) -> None:
    book(session).stock = copies
    catalog_changed(session)
    session.commit()


@pytest.mark.parametrize(
    ("before", "sold", "moves"),
    [
        (100, 1, False),  # "In stock" either way, the field offers 10 either way
        (12, 1, False),  # 11 left: still above the field's 10
        (12, 2, True),  # 10 left: the field now offers what is left
        (11, 1, True),
        (6, 1, True),  # "Only 5 left"
        (1, 1, True),  # sold out
        (3, 3, True),
    ],
)
def test_a_sale_moves_the_version_only_when_the_pages_show_it(
    session: Session, before: int, sold: int, moves: bool
) -> None:
    set_stock(session, before)
    version = current_version(session)

    assert reserve_stock(session, book(session), sold)
    session.commit()

    assert book(session).stock == before - sold
    assert (current_version(session) != version) is moves


@pytest.mark.parametrize(
    ("before", "returned", "moves"),
    [(50, 1, False), (10, 1, True), (0, 1, True), (4, 2, True), (11, 5, False)],
)
def test_copies_returned_move_the_version_only_when_the_pages_show_it(
    session: Session, before: int, returned: int, moves: bool
) -> None:
    set_stock(session, before)
    version = current_version(session)

    release_stock(session, book(session).id, returned)
    session.commit()

    assert book(session).stock == before + returned
    assert (current_version(session) != version) is moves


def test_a_refused_sale_changes_neither_stock_nor_version(session: Session) -> None:
    set_stock(session, 2)
    version = current_version(session)

    assert not reserve_stock(session, book(session), 3)
    session.commit()

    assert book(session).stock == 2
    assert current_version(session) == version


def fresh_page(client: FlaskClient, session: Session, path: str) -> str:
    """The page as a rendering now gives it (the version moved, so nothing cached is used)."""
    catalog_changed(session)
    session.commit()
    return client.get(path).text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.integers(min_value=0, max_value=30),
    changes=st.lists(st.integers(min_value=-4, max_value=4).filter(bool), max_size=6),
)
def test_the_cached_pages_always_read_as_a_fresh_rendering(
    client: FlaskClient, session: Session, start: int, changes: list[int]
) -> None:
    set_stock(session, start)
    paths = [f"/books/{HAMMING}", "/"]
    for path in paths:
        client.get(path)  # rendered and kept

    for change in changes:
        if change < 0:
            reserve_stock(session, book(session), -change)  # refused when too few: no change
        else:
            release_stock(session, book(session).id, change)
        session.commit()

        cached = [client.get(path).text for path in paths]
        assert cached == [fresh_page(client, session, path) for path in paths]
