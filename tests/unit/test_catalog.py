"""The catalog: the demo's books and more, loaded idempotently."""

from sqlalchemy import func, select

from bookshop import catalog
from bookshop.catalog import all_books, find_book, seed_catalog
from bookshop.models import Book


def test_the_demos_three_books_are_on_sale_at_their_prices(session):
    prices = {b.title: (b.author, b.price_amount, b.currency) for b in all_books(session)}
    assert prices["The Art of Doing Science and Engineering"] == ("Richard Hamming", 2300, "sgd")
    assert prices["The Making of Prince of Persia"] == ("Jordan Mechner", 2500, "sgd")
    assert prices["Working in Public"] == ("Nadia Eghbal", 2800, "sgd")
    assert len(prices) >= 6


def test_every_book_has_a_blurb_and_a_valid_cover(session):
    for book in all_books(session):
        assert len(book.blurb) > 80
        assert book.cover_style


def test_seeding_twice_changes_nothing(session):
    again = seed_catalog(session)
    session.commit()
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == session.scalar(select(func.count()).select_from(Book))


def test_seeding_updates_a_changed_price_in_place(session, monkeypatch):
    entries = catalog.catalog_entries()
    entries[0]["price"] = "24.50"
    monkeypatch.setattr(catalog, "catalog_entries", lambda: entries)
    result = seed_catalog(session)
    session.commit()
    assert result.updated == 1
    assert find_book(session, entries[0]["slug"]).price_amount == 2450


def test_books_are_listed_in_catalog_order(session):
    slugs = [book.slug for book in all_books(session)]
    assert slugs == [entry["slug"] for entry in catalog.catalog_entries()]


def test_malformed_slugs_are_not_looked_up(session):
    for slug in ["", "UPPER", "a b", "../etc", "a--b", "-a", "x" * 121]:
        assert find_book(session, slug) is None
