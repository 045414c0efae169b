"""The command line: `python -m bookshop run | migrate | seed`."""

from __future__ import annotations

import logging
import os
import sys

import click
from dotenv import load_dotenv
from sqlalchemy.orm import Session

from . import config as settings


@click.group()
def cli() -> None:
    """Bookshop: an online bookshop that takes payments through Stripe."""


@cli.command()
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def run(host: str, port: int) -> None:
    """Migrate, load the catalog and serve the shop."""
    from .devserver import RunError
    from .devserver import run as run_shop

    try:
        run_shop(host, port)
    except (RunError, settings.ConfigError) as exc:
        raise click.ClickException(str(exc)) from None


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


def _database_url() -> str:
    return os.environ.get("DATABASE_URL") or settings.default_database_url(
        os.environ.get("INSTANCE_PATH") or "instance"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: read `.env` (without overriding the real environment), then dispatch."""
    load_dotenv(os.path.join(os.getcwd(), ".env"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="bookshop")
