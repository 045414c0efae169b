"""The command line: `python -m bookshop migrate | seed | reconcile | reprocess-events |
expire-orders | send-emails`."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from dotenv import load_dotenv
from flask import Flask
from sqlalchemy.orm import Session

from . import config as settings


@click.group()
def cli() -> None:
    """Bookshop: an online bookshop that takes payments through Stripe."""


@cli.command()
def migrate() -> None:
    """Apply the database migrations."""
    from .database import make_engine, upgrade

    engine = make_engine(_database_url())
    upgrade(engine)
    engine.dispose()
    click.echo("database is up to date")


@cli.command()
def seed() -> None:
    """Load the catalog into the database (safe to repeat)."""
    from .catalog import seed_catalog
    from .database import make_engine

    engine = make_engine(_database_url())
    with Session(engine) as session:
        result = seed_catalog(session)
        session.commit()
    engine.dispose()
    click.echo(
        f"catalog: {result.created} added, {result.updated} updated, {result.unchanged} unchanged"
    )


@cli.command()
@click.option(
    "--since",
    default="3d",
    show_default=True,
    help="Start of the window: an age such as 90m, 12h or 3d, or an ISO date or time (UTC).",
)
@click.option("--until", default=None, help="End of the window, in the same forms (default: now).")
def reconcile(since: str, until: str | None) -> None:
    """Compare Stripe's payments, refunds and disputes with the orders; apply what is missing."""
    from . import payments
    from . import reconcile as reconciliation
    from .extensions import db
    from .models import utcnow

    now = utcnow()
    try:
        start = reconciliation.parse_moment(since, now)
        end = reconciliation.parse_moment(until, now) if until else now
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if start >= end:
        raise click.BadParameter("--since must be before --until")
    try:
        with _stripe_app():
            report = reconciliation.reconcile(db.session, start, end, progress=_progress)
    except payments.PaymentError as exc:
        raise click.ClickException(f"Stripe could not be asked: {exc}") from None
    click.echo(report.render())
    if not report.ok:
        raise click.exceptions.Exit(1)


@cli.command("reprocess-events")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.argument("event_ids", nargs=-1)
def reprocess_events(limit: int, event_ids: tuple[str, ...]) -> None:
    """Process again stored Stripe events that failed (all of them, or the ids given)."""
    from . import webhooks
    from .extensions import db

    with _stripe_app():
        results = webhooks.reprocess_failed(
            db.session, limit, event_ids or None, progress=_progress
        )
    for event_id, outcome in results:
        click.echo(f"{event_id}  {outcome}")
    failed = sum(1 for _, outcome in results if outcome == webhooks.Outcome.FAILED)
    click.echo(f"{len(results)} events processed again, {failed} still failing")
    if failed:
        raise click.exceptions.Exit(1)


@cli.command("expire-orders")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000))
def expire_orders(limit: int) -> None:
    """Cancel unpaid orders past ORDER_EXPIRY_MINUTES: PaymentIntents canceled, stock released."""
    from . import mailer
    from .actions import canceling
    from .extensions import db
    from .models import utcnow

    with _stripe_app():
        expired = canceling.expire_unpaid_orders(db.session, utcnow(), limit=limit)
        mailer.deliver_pending(db.session)  # emails of orders found paid meanwhile
    for order in expired:
        click.echo(f"{order.reference}  expired")
    click.echo(f"{len(expired)} unpaid orders expired")


@cli.command("send-emails")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000))
def send_emails(limit: int) -> None:
    """Send emails still waiting in the outbox (after an SMTP failure, for example)."""
    from . import mailer
    from .extensions import db

    with _stripe_app():
        sent = mailer.deliver_pending(db.session, limit=limit)
    click.echo(f"{sent} emails sent")


@contextmanager
def _stripe_app() -> Iterator[Flask]:
    """Inside the app of commands that talk to Stripe and the database (settings as for `run`);
    its connections are closed on the way out."""
    from . import create_app
    from .database import Database

    env = settings.settings_in(os.environ)
    # Commands serve no pages, so they need no lasting SECRET_KEY; create_app wants one.
    env.setdefault("SECRET_KEY", secrets.token_hex(32))
    try:
        app = create_app(env)
    except settings.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with app.app_context():
            yield app
    finally:
        Database.dispose(app)


def _progress(items: Iterable[Any], total: int | None, description: str) -> Iterable[Any]:
    from tqdm import tqdm

    shown: Iterable[Any] = tqdm(
        items, total=total, desc=description, unit=" objects", file=sys.stderr
    )
    return shown


def _database_url() -> str:
    return os.environ.get("DATABASE_URL") or settings.default_database_url(
        os.environ.get("INSTANCE_PATH") or "instance"
    )


def prepare_process() -> None:
    """Read `.env` (without overriding the real environment) and set up logging."""
    load_dotenv(os.path.join(os.getcwd(), ".env"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """Entry point: prepare the process, then dispatch."""
    prepare_process()
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="bookshop")
