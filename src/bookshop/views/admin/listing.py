"""The staff's list of orders: filters read from the query string, search, sorting, and keyset
pagination (a page is an index range scan however deep, never an OFFSET)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from ...models import Order, OrderLine
from ...orders import FulfilmentStatus, OrderStatus

PAGE_SIZE = 50
# sort name -> (column, descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "newest": (Order.created_at, True),
    "oldest": (Order.created_at, False),
    "total_high": (Order.total_amount, True),
    "total_low": (Order.total_amount, False),
}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "total_high": "Largest total",
    "total_low": "Smallest total",
}


@dataclass
class OrderFilters:
    """What the staff asked for, checked; `errors` says what could not be understood."""

    status: str = ""
    fulfilment: str = ""
    date_from: str = ""
    date_to: str = ""
    email: str = ""
    reference: str = ""
    book: int | None = None
    q: str = ""
    sort: str = "newest"
    errors: list[str] = field(default_factory=list)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links to other pages and the export)."""
        values = {
            "status": self.status,
            "fulfilment": self.fulfilment,
            "from": self.date_from,
            "to": self.date_to,
            "email": self.email,
            "reference": self.reference,
            "book": str(self.book) if self.book else "",
            "q": self.q,
            "sort": self.sort if self.sort != "newest" else "",
        }
        return {k: v for k, v in values.items() if v}


def parse_filters(args: Mapping[str, str]) -> OrderFilters:
    """Filters from the query string; anything not understood is named in `errors`."""
    found = OrderFilters()
    status = args.get("status", "").strip()
    if status and status not in {s.value for s in OrderStatus}:
        found.errors.append(f"Unknown payment status {status!r}.")
    else:
        found.status = status
    fulfilment = args.get("fulfilment", "").strip()
    if fulfilment and fulfilment not in {s.value for s in FulfilmentStatus}:
        found.errors.append(f"Unknown fulfilment status {fulfilment!r}.")
    else:
        found.fulfilment = fulfilment
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        raw = args.get(name, "").strip()
        if raw:
            try:
                datetime.strptime(raw, "%Y-%m-%d")
                setattr(found, attr, raw)
            except ValueError:
                found.errors.append(f"Dates look like 2026-12-31, not {raw[:20]!r}.")
    found.email = args.get("email", "").strip()[:254]
    found.reference = args.get("reference", "").strip().upper()[:32]
    book = args.get("book", "").strip()
    if book:
        if book.isdigit() and len(book) < 10:
            found.book = int(book)
        else:
            found.errors.append("Unknown book.")
    found.q = args.get("q", "").strip()[:100]
    sort = args.get("sort", "").strip() or "newest"
    if sort not in SORTS:
        found.errors.append(f"Unknown sort {sort!r}.")
    else:
        found.sort = sort
    return found


def filtered(filters: OrderFilters) -> Select[Order]:
    """The orders matching the filters, unsorted."""
    query = select(Order)
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Order.status == filters.status)
    if filters.fulfilment:
        conditions.append(Order.fulfilment_status == filters.fulfilment)
    if filters.date_from:
        conditions.append(Order.created_at >= _day(filters.date_from))
    if filters.date_to:
        conditions.append(Order.created_at < _day(filters.date_to) + timedelta(days=1))
    if filters.email:
        # Exact (as typed, or in lower case): an index lookup, not a scan.
        conditions.append(Order.email.in_({filters.email, filters.email.lower()}))
    if filters.reference:
        conditions.append(Order.reference == filters.reference)
    if filters.book:
        conditions.append(
            exists().where(OrderLine.order_id == Order.id, OrderLine.book_id == filters.book)
        )
    if filters.q:
        text = filters.q
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Order.reference == text.upper(),
                Order.email.in_({text, text.lower()}),
                Order.email.ilike(like, escape="\\"),
                Order.ship_to_name.ilike(like, escape="\\"),
            )
        )
    return query.where(and_(*conditions)) if conditions else query


@dataclass(frozen=True)
class Page:
    """One page of orders and the cursors of the pages either side (None: there is none)."""

    orders: list[Order]
    next_cursor: str | None
    previous_cursor: str | None


def page_of(session: Session, filters: OrderFilters, after: str | None, before: str | None) -> Page:
    """A page of the filtered orders after (or before) a cursor, in the chosen order."""
    column, descending = SORTS[filters.sort]
    query = filtered(filters)
    key = tuple_(column, Order.id)
    backwards = before is not None and after is None
    cursor = decode_cursor(before if backwards else after, filters.sort)
    if cursor is not None:
        # Rows past the cursor in reading order (before it when paging back).
        ahead = descending != backwards
        # Typed binds: the timestamp goes through UTCDateTime as the stored values did.
        bound = tuple_(literal(cursor[0], column.type), literal(cursor[1], Order.id.type))
        query = query.where(key < bound if ahead else key > bound)
    reverse = descending != backwards
    order_by = (column.desc(), Order.id.desc()) if reverse else (column.asc(), Order.id.asc())
    rows = list(session.scalars(query.order_by(*order_by).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = (cursor is not None) if not backwards else more
    return Page(
        orders=rows,
        next_cursor=encode_cursor(rows[-1], filters.sort) if rows and has_next else None,
        previous_cursor=encode_cursor(rows[0], filters.sort) if rows and has_previous else None,
    )


def encode_cursor(order: Order, sort: str) -> str:
    """Where a page ends: the sort key and the id of its last order."""
    column, _ = SORTS[sort]
    value = order.created_at.isoformat() if column is Order.created_at else str(order.total_amount)
    return base64.urlsafe_b64encode(f"{value}|{order.id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, sort: str) -> tuple[Any, int] | None:
    """The sort key and id in a cursor; None for none or one that is not ours."""
    if not raw or len(raw) > 120:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        value, _, ident = text.rpartition("|")
        column, _ = SORTS[sort]
        key: Any = (
            datetime.fromisoformat(value).astimezone(UTC)
            if column is Order.created_at
            else int(value)
        )
        return key, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
