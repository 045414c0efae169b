"""The catalog's version: a counter in the database that every writer of books moves in its own
transaction, so that any process can tell whether the catalog pages it rendered are still true."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ..models import CatalogVersion

_ROW = 1  # the one row, inserted by migration 0009
_READ = "SELECT version FROM catalog_version WHERE id = 1"


def catalog_changed(session: Session) -> None:
    """Note that books changed (details, price, stock, cover): call it in the transaction that
    changes them, so the new version is seen exactly when the change is."""
    session.execute(
        update(CatalogVersion)
        .where(CatalogVersion.id == _ROW)
        .values(version=CatalogVersion.version + 1)
        .execution_options(synchronize_session=False)
    )


def current_version(session: Session) -> int:
    """The version now (0 when the row is missing: nothing is cached then)."""
    return int(session.scalar(select(CatalogVersion.version).where(CatalogVersion.id == _ROW)) or 0)


def read_version(engine: Engine) -> int:
    """The version now, read on a pooled connection without the ORM (the hot path of every
    anonymous catalog request)."""
    connection: Any = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_READ)
        row = cursor.fetchone()
        cursor.close()
        return int(row[0]) if row else 0
    finally:
        connection.close()
