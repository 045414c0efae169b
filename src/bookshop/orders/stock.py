"""Stock: copies reserved and released with conditional UPDATEs, so nothing is ever oversold."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..catalog.version import stock_changed
from ..models import Book
from .errors import OutOfStock


def reserve_stock(session: Session, book: Book, quantity: int) -> bool:
    """Take `quantity` copies off the shelf, or nothing when fewer are left (one UPDATE)."""
    left = session.scalar(
        update(Book)
        .where(Book.id == book.id, Book.stock >= quantity)
        .values(stock=Book.stock - quantity)
        .returning(Book.stock)
        .execution_options(synchronize_session=False)
    )
    session.expire(book, ["stock"])
    if left is None:
        return False
    stock_changed(session, left + quantity, left)
    return True


def release_stock(session: Session, book_id: int, quantity: int) -> None:
    """Put `quantity` copies back on the shelf."""
    left = session.scalar(
        update(Book)
        .where(Book.id == book_id)
        .values(stock=Book.stock + quantity)
        .returning(Book.stock)
        .execution_options(synchronize_session=False)
    )
    if left is not None:
        stock_changed(session, left - quantity, left)
    book = session.get(Book, book_id, populate_existing=False)
    if book is not None:
        session.expire(book, ["stock"])


def stock_left(session: Session, book_id: int) -> int:
    """Copies on the shelf now, read from the database (not from a cached object)."""
    return int(session.scalar(select(Book.stock).where(Book.id == book_id)) or 0)


def out_of_stock_message(title: str, left: int) -> str:
    """What the customer is told when fewer copies of a book are left than they asked for."""
    if left <= 0:
        return f"Sorry, “{title}” is sold out."
    copies = "copy is" if left == 1 else "copies are"
    return f"Only {left} {copies} left of “{title}”."


def out_of_stock(session: Session, book: Book) -> OutOfStock:
    """The error for a line that cannot be reserved, naming the copies left now."""
    return OutOfStock(out_of_stock_message(book.title, stock_left(session, book.id)), "quantity")
