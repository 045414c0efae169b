"""Orders: the list with filters, search, sort and keyset pages, its CSV export, and the order
page with everything known about one order (the actions are in order_actions.py)."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import ColumnElement, and_, or_, select

from ... import orders
from ...extensions import db
from ...models import Book, Email, Order, OrderNote, StripeEvent, utcnow
from ...money import from_minor_units
from ...orders import REFUNDABLE, SHIPPABLE, FulfilmentStatus, OrderStatus
from ...staff_auth import requires
from . import bp, listing
from .common import order_or_404

CSV_COLUMNS = (
    "reference",
    "placed_at",
    "email",
    "name",
    "status",
    "fulfilment_status",
    "currency",
    "total",
    "shipping",
    "country",
)
CSV_BATCH = 1000
# Cells a spreadsheet would run as a formula are written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/orders")
@requires("staff")
def order_list() -> tuple[str, int] | str:
    filters = listing.parse_filters(request.args)
    books = list(db.session.scalars(select(Book).order_by(Book.position, Book.title)))
    page = None
    if not filters.errors:
        page = listing.page_of(
            db.session, filters, request.args.get("after"), request.args.get("before")
        )
    html = render_template(
        "admin/orders.html",
        filters=filters,
        page=page,
        books=books,
        statuses=list(OrderStatus),
        fulfilments=list(FulfilmentStatus),
        sorts=listing.SORT_LABELS,
    )
    return (html, 400) if filters.errors else html


@bp.get("/orders.csv")
@requires("staff")
def order_export() -> Response:
    filters = listing.parse_filters(request.args)
    if filters.errors:
        return Response(" ".join(filters.errors) + "\n", 400, mimetype="text/plain")
    column, descending = listing.SORTS[filters.sort]
    query = listing.filtered(filters).order_by(
        column.desc() if descending else column.asc(),
        Order.id.desc() if descending else Order.id.asc(),
    )

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for order in db.session.scalars(query.execution_options(yield_per=CSV_BATCH)):
            writer.writerow(_csv_row(order))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = f"orders-{utcnow():%Y%m%d-%H%M}"
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{stamp}.csv"'},
    )


@bp.get("/orders/<int:order_id>")
@requires("staff")
def order_detail(order_id: int) -> str:
    order = order_or_404(order_id)
    money = orders.balance(order)
    refundable = orders.refundable_quantities(order)
    notes = list(
        db.session.scalars(
            select(OrderNote).where(OrderNote.order_id == order.id).order_by(OrderNote.id)
        )
    )
    emails = list(
        db.session.scalars(select(Email).where(Email.order_id == order.id).order_by(Email.id))
    )
    events = _stripe_events(order)
    return render_template(
        "admin/order.html",
        order=order,
        money=money,
        refundable=refundable,
        notes=notes,
        emails=emails,
        events=events,
        timeline=_timeline(order, notes, emails, events),
        can_ship=order.status in SHIPPABLE
        and order.fulfilment_status
        in (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIALLY_SHIPPED),
        can_deliver=order.fulfilment_status == FulfilmentStatus.SHIPPED,
        can_cancel=order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.AUTHORIZED)
        and order.fulfilment_status == FulfilmentStatus.UNFULFILLED,
        can_refund=order.status in REFUNDABLE and money.refundable > 0,
        request_id=secrets.token_urlsafe(18),
    )


def _stripe_events(order: Order) -> list[StripeEvent]:
    """The webhook events about this order's PaymentIntents, refunds, disputes and charges."""
    ids = {p.payment_intent_id for p in order.payments}
    ids |= {r.stripe_refund_id for r in order.refunds if r.stripe_refund_id}
    ids |= {d.stripe_dispute_id for d in order.disputes}
    if not ids:
        return []
    conditions: list[ColumnElement[bool]] = [StripeEvent.object_id.in_(ids)]
    # Charge events name the charge (which the shop does not keep); its payload names the
    # PaymentIntent.
    conditions += [
        and_(
            StripeEvent.type.startswith("charge."),
            StripeEvent.payload.contains(p.payment_intent_id),
        )
        for p in order.payments
    ]
    return list(
        db.session.scalars(
            select(StripeEvent).where(or_(*conditions)).order_by(StripeEvent.received_at)
        )
    )


def _timeline(
    order: Order, notes: list[OrderNote], emails: list[Email], events: list[StripeEvent]
) -> list[dict[str, object]]:
    """Everything that happened to the order, oldest first: status moves on both tracks,
    notes, emails, shipments and webhook events."""
    items: list[dict[str, object]] = [
        {"at": order.created_at, "kind": "placed", "text": f"Placed by {order.email}"}
    ]
    for event in order.events:
        moved = f"{event.from_status or '—'} → {event.to_status}"
        items.append(
            {"at": event.created_at, "kind": event.track, "text": moved, "note": event.note}
        )
    for note in notes:
        items.append(
            {"at": note.created_at, "kind": "note", "text": note.body, "note": note.author_email}
        )
    for email in emails:
        sent = f"sent {email.sent_at:%d %b %H:%M}" if email.sent_at else "not sent yet"
        items.append({"at": email.created_at, "kind": "email", "text": email.subject, "note": sent})
    for shipment in order.shipments:
        items.append(
            {
                "at": shipment.created_at,
                "kind": "shipment",
                "text": f"{shipment.carrier} {shipment.tracking_number}",
            }
        )
    for stripe_event in events:
        outcome = (
            "processed"
            if stripe_event.processed_at
            else "failed"
            if stripe_event.attempts
            else "waiting"
        )
        items.append(
            {
                "at": stripe_event.received_at,
                "kind": "webhook",
                "text": f"{stripe_event.type} ({outcome})",
                "note": stripe_event.id,
            }
        )
    return sorted(items, key=lambda item: item["at"])  # type: ignore[return-value,arg-type]


def _csv_row(order: Order) -> list[str]:
    cells = [
        order.reference,
        order.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        order.email,
        order.ship_to_name or "",
        order.status,
        order.fulfilment_status,
        order.currency.upper(),
        str(from_minor_units(order.total_amount, order.currency)),
        str(from_minor_units(order.shipping_amount, order.currency)),
        order.ship_to_country or "",
    ]
    return ["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in cells]


def pretty_payload(payload: str | None) -> str:
    """An event's JSON, indented, client secrets masked."""
    from ...logs import mask

    if not payload:
        return ""
    try:
        text = json.dumps(json.loads(payload), indent=2, sort_keys=True)
    except ValueError:
        text = payload
    return mask(text)
