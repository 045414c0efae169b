"""The command line: `python -m bookshop serve | worker | jobs | healthcheck | migrate | seed |
reconcile | reprocess-events | expire-orders | send-emails`."""

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


@cli.command()
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
@click.option("--workers", envvar="WEB_WORKERS", default=0, type=int, help="Default: one per core.")
@click.option("--threads", envvar="WEB_THREADS", default=0, type=int, help="Default: 32.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the shop with the production server (gunicorn); SIGTERM drains, then exits 0."""
    from . import create_app
    from .server import ServerError
    from .serving import serve as run_server

    try:
        app = create_app()
    except settings.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        run_server(app, host, port, workers, threads)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--burst", is_flag=True, help="Run what is queued, then stop (Redis only).")
def worker(burst: bool) -> None:
    """Run the background jobs: from the Redis queue with REDIS_URL, or in this process."""
    import signal
    import threading

    from .jobs import queue, schedule, tasks

    with _stripe_app() as app:
        tasks.use_app(app)
        url = app.config["REDIS_URL"]
        if url:
            scheduler = None if burst else schedule.start_enqueuing(url)
            try:
                queue.work(url, burst=burst)
            finally:
                if scheduler is not None:
                    scheduler.shutdown(wait=False)
            return
        if burst:
            raise click.ClickException("--burst needs REDIS_URL")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        scheduler = schedule.run_schedule(app)
        click.echo("running the schedule in this process (no REDIS_URL); Ctrl-C to stop")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        scheduler.shutdown(wait=True)


@cli.command("jobs")
def jobs_status() -> None:
    """Show the job queue: waiting jobs and jobs that failed after their retries."""
    from rq.job import Job

    from .jobs.connection import redis_connection
    from .jobs.queue import queue

    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run in the shop's process")
    shop_queue = queue(url)
    click.echo(f"waiting: {shop_queue.count}")
    failed = shop_queue.failed_job_registry.get_job_ids()
    click.echo(f"failed: {len(failed)}")
    for job_id in failed:
        job = Job.fetch(job_id, connection=redis_connection(url))
        result = job.latest_result()
        reason = (result.exc_string or "").strip().splitlines() if result is not None else []
        click.echo(f"  {job_id}  {job.description}  {reason[-1] if reason else ''}")


@cli.command()
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def healthcheck(port: int) -> None:
    """Ask this machine's shop whether it is ready (for container health checks): exit 0 or 1."""
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    host = urlsplit(os.environ.get("SHOP_URL", "") or "http://localhost").netloc
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/readyz", headers={"Host": host, "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            click.echo(response.read().decode())
    except (urllib.error.URLError, OSError) as exc:
        click.echo(f"not ready: {exc}", err=True)
        raise click.exceptions.Exit(1) from None


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


def _register_fulfilment() -> None:
    from .fulfilment_cli import deliver, ship

    cli.add_command(ship)
    cli.add_command(deliver)
    from .staff_cli import staff  # the back office's accounts

    cli.add_command(staff)


_register_fulfilment()


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
