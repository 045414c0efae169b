"""The catalog: books (add, edit, price), stock adjustments with a reason, the low-stock list,
and the shipping options."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ...actions import staff_catalog
from ...covers import MOTIFS
from ...extensions import db
from ...models import Book, ShippingOption
from ...money import from_minor_units
from ...orders import OrderError
from ...staff_auth import requires
from . import bp
from .common import actor, form_text

LOW_STOCK = 5
NEW_BOOK = {
    "currency": "sgd",
    "cover_background": "#1f3a5f",
    "cover_ink": "#f4efe6",
    "cover_accent": "#e0a33a",
    "cover_motif": "rings",
    "on_sale": "yes",
}


@bp.get("/catalog")
@requires("staff")
def catalog() -> str:
    books = list(db.session.scalars(select(Book).order_by(Book.position, Book.title)))
    options = list(db.session.scalars(select(ShippingOption).order_by(ShippingOption.position)))
    return render_template(
        "admin/catalog.html",
        books=books,
        low=[b for b in books if b.on_sale and b.stock <= LOW_STOCK],
        low_stock=LOW_STOCK,
        options=options,
    )


@bp.route("/catalog/new", methods=["GET", "POST"])
@requires("admin")
def book_new() -> ResponseReturnValue:
    values: dict[str, str] = dict(NEW_BOOK)
    if request.method == "POST":
        values = dict(request.form)
        try:
            stock_text = form_text("stock", 10) or "0"
            if not stock_text.isdigit():
                raise OrderError("The stock must be a whole number, zero or more.", field="stock")
            book = staff_catalog.add_book(
                db.session,
                actor(),
                form_text("slug", 120),
                staff_catalog.parse_book(request.form),
                int(stock_text),
            )
        except OrderError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(
                f"“{book.title}” is {'on sale' if book.on_sale else 'added, off sale'}.", "success"
            )
            return redirect(url_for("admin.book_edit", book_id=book.id), 303)
    return render_template("admin/book.html", book=None, values=values, motifs=sorted(MOTIFS))


@bp.get("/catalog/<int:book_id>")
@requires("staff")
def book_edit(book_id: int) -> str:
    book = _book_or_404(book_id)
    return render_template(
        "admin/book.html", book=book, values=_values_of(book), motifs=sorted(MOTIFS)
    )


@bp.post("/catalog/<int:book_id>")
@requires("admin")
def book_save(book_id: int) -> ResponseReturnValue:
    book = _book_or_404(book_id)
    try:
        values = staff_catalog.parse_book(request.form)
        staff_catalog.edit_book(db.session, actor(), book, values)
    except OrderError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        shown = dict(request.form)
        return render_template(
            "admin/book.html", book=book, values=shown, motifs=sorted(MOTIFS)
        ), 400
    flash(
        "Saved. A new price applies to orders placed from now on."
        if book.on_sale
        else "Saved. The book is off sale: hidden from the shop, and carts holding it cannot check"
        " out.",
        "success",
    )
    return redirect(url_for("admin.book_edit", book_id=book.id), 303)


@bp.post("/catalog/<int:book_id>/stock")
@requires("admin")
def book_stock(book_id: int) -> ResponseReturnValue:
    book = _book_or_404(book_id)
    raw = form_text("change", 10)
    try:
        if not raw.lstrip("-+").isdigit():
            raise OrderError("The change must be a whole number such as 10 or -2.", field="change")
        left = staff_catalog.adjust_stock(
            db.session, actor(), book, int(raw), form_text("reason", 500)
        )
    except OrderError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"Stock of “{book.title}” is now {left}.", "success")
    return redirect(url_for("admin.book_edit", book_id=book_id), 303)


@bp.route("/shipping/<int:option_id>", methods=["GET", "POST"])
@requires("admin")
def shipping_edit(option_id: int) -> ResponseReturnValue:
    option = db.session.get(ShippingOption, option_id)
    if option is None:
        abort(404)
    if request.method == "POST":
        try:
            staff_catalog.edit_shipping_option(db.session, actor(), option, request.form)
        except OrderError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"“{option.name}” is saved.", "success")
            return redirect(url_for("admin.catalog") + "#shipping", 303)
    return render_template("admin/shipping.html", option=option)


def _values_of(book: Book) -> dict[str, str]:
    cover = json.loads(book.cover_style)
    return {
        "slug": book.slug,
        "title": book.title,
        "subtitle": book.subtitle or "",
        "author": book.author,
        "blurb": book.blurb,
        "price": str(from_minor_units(book.price_amount, book.currency)),
        "currency": book.currency,
        "cover_background": cover.get("background", ""),
        "cover_ink": cover.get("ink", ""),
        "cover_accent": cover.get("accent", ""),
        "cover_motif": cover.get("motif", ""),
        "on_sale": "yes" if book.on_sale else "no",
    }


def _book_or_404(book_id: int) -> Book:
    book = db.session.get(Book, book_id)
    if book is None:
        abort(404)
    return book
