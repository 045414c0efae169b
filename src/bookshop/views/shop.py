"""The storefront: the catalog, a page per book and the generated covers."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from ..catalog import books_on_sale, find_book
from ..catalog.pages import catalog_response
from ..covers import CoverStyle, render_cover
from ..extensions import db
from ..models import Book

bp = Blueprint("shop", __name__)


def book_or_404(slug: str) -> Book:
    """The book on sale for a URL (its page, buying it now), or the 404 page."""
    book = find_book(db.session, slug)
    if book is None or not book.on_sale:
        abort(404)
    return book


@bp.get("/")
def index() -> Response:
    return catalog_response(
        lambda: render_template("shop/index.html", books=books_on_sale(db.session))
    )


@bp.get("/books/<slug>")
def book(slug: str) -> Response:
    return catalog_response(lambda: render_template("shop/book.html", book=book_or_404(slug)))


@bp.get("/covers/<slug>.svg")
def cover(slug: str) -> Response:
    # Carts and orders still show the covers of books taken off sale.
    book = find_book(db.session, slug)
    if book is None:
        abort(404)
    svg = render_cover(book.title, book.author, CoverStyle.from_json(book.cover_style), book.slug)
    response = Response(svg, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    response.make_conditional(request)
    return response
