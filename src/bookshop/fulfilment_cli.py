"""The fulfilment commands: `python -m bookshop ship` and `deliver`, for one order or a batch."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from . import orders
from .models import Order
from .orders import OrderError


@click.command()
@click.argument("reference", required=False)
@click.option("--carrier", help="Who carries it, e.g. SingPost.")
@click.option("--tracking", help="The carrier's tracking number.")
@click.option("--url", "tracking_url", default=None, help="Where the customer can follow it.")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="BOOK=COPIES",
    help="Ship only these copies (book slug=copies); an authorized order lets the rest go.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A batch: rows of reference,carrier,tracking[,url].",
)
def ship(
    reference: str | None,
    carrier: str | None,
    tracking: str | None,
    tracking_url: str | None,
    only: tuple[str, ...],
    csv_file: Path | None,
) -> None:
    """Ship an order (or a batch): an authorized payment is captured, the customer is emailed."""
    if (reference is None) == (csv_file is None):
        raise click.UsageError("Give an order reference, or --csv with a batch.")
    if csv_file is not None and only:
        raise click.UsageError("--only ships part of one order; it does not apply to a batch.")
    rows = _batch(csv_file) if csv_file else [(reference or "", carrier, tracking, tracking_url)]
    failed = 0
    with _app() as session:
        for ref, row_carrier, row_tracking, row_url in rows:
            try:
                order = _order(session, ref)
                quantities = _only(order, only) if only else None
                _ship(session, order, quantities, row_carrier, row_tracking, row_url)
            except OrderError as exc:
                session.rollback()
                failed += 1
                click.echo(f"{ref}  not shipped: {exc.message}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("references", nargs=-1, required=True)
def deliver(references: tuple[str, ...]) -> None:
    """Mark shipped orders delivered."""
    from .actions import fulfilment

    failed = 0
    with _app() as session:
        for reference in references:
            try:
                fulfilment.mark_delivered(session, _order(session, reference))
                click.echo(f"{reference}  delivered")
            except OrderError as exc:
                session.rollback()
                failed += 1
                click.echo(f"{reference}  not changed: {exc.message}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


def _ship(
    session: Session,
    order: Order,
    quantities: dict[int, int] | None,
    carrier: str | None,
    tracking: str | None,
    tracking_url: str | None,
) -> None:
    from . import payments
    from .actions import fulfilment

    try:
        shipment = fulfilment.ship_order(
            session, order, quantities, carrier, tracking, tracking_url
        )
    except payments.PaymentUnavailable as exc:
        raise OrderError(f"Stripe did not answer, nothing was marked shipped: {exc}") from None
    copies = sum(line.quantity for line in shipment.lines)
    click.echo(
        f"{order.reference}  shipped {copies} copies with {shipment.carrier} "
        f"{shipment.tracking_number}; order is {order.status}, {order.fulfilment_status}"
    )


def _order(session: Session, reference: str) -> Order:
    order = orders.find_order_by_reference(session, reference.strip().upper())
    if order is None:
        raise OrderError(f"There is no order {reference}.")
    return order


def _only(order: Order, only: tuple[str, ...]) -> dict[int, int]:
    by_slug = {line.book.slug: line for line in order.lines}
    chosen: dict[int, int] = {}
    for item in only:
        slug, _, raw = item.partition("=")
        line = by_slug.get(slug.strip())
        if line is None:
            raise OrderError(f"“{slug}” is not part of order {order.reference}.")
        chosen[line.id] = orders.parse_quantity(raw, limit=line.quantity)
    return chosen


Row = tuple[str, str | None, str | None, str | None]  # reference, carrier, tracking, url


def _batch(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].strip().lower() in ("", "reference"):
                continue  # blank lines and a header
            if len(row) not in (3, 4):
                raise click.UsageError(
                    f"{path}:{number}: expected reference,carrier,tracking[,url]"
                )
            rows.append((row[0], row[1], row[2], row[3] if len(row) == 4 else None))
    return rows


@contextmanager
def _app() -> Iterator[Session]:
    """The app's session for these commands; the emails they queued are sent on the way out."""
    from . import mailer
    from .cli import _stripe_app as stripe_app
    from .extensions import db

    with stripe_app():
        yield db.session
        mailer.deliver_pending(db.session)
