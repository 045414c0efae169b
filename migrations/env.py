"""Alembic environment: migrate the connection the shop hands over, or DATABASE_URL."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from dotenv import load_dotenv
from sqlalchemy import Connection

from bookshop import config as settings
from bookshop.database import make_engine
from bookshop.models import Base

config = context.config
target_metadata = Base.metadata
handed_connection: Connection | None = config.attributes.get("connection")

if handed_connection is None and config.config_file_name:
    fileConfig(config.config_file_name)  # only from the alembic command: the shop logs its own way


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Only DATABASE_URL matters here; Stripe keys and secrets are not needed to migrate.
    load_dotenv()
    return os.environ.get("DATABASE_URL") or settings.default_database_url(
        os.environ.get("INSTANCE_PATH") or "instance"
    )


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    if handed_connection is not None:
        _run(handed_connection)
        return
    engine = make_engine(_database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
