"""The catalog version as the cached pages read it: fresh on every request, across processes."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bookshop.catalog.pages import EXTENSION_KEY
from bookshop.catalog.version import VersionReader, catalog_changed, current_version


def test_the_version_reader_sees_a_change_committed_on_another_connection(
    app: Flask, database_url: str
) -> None:
    read = app.extensions[EXTENSION_KEY].version
    before = read()
    other = create_engine(database_url)  # as another process would write
    try:
        with Session(other) as session:
            catalog_changed(session)
            session.commit()
            assert read() == before + 1 == current_version(session)
    finally:
        other.dispose()


def test_the_version_reader_reads_a_database_in_memory_through_the_pool() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE catalog_version (id INTEGER, version INTEGER)"))
        connection.execute(text("INSERT INTO catalog_version VALUES (1, 7)"))
    assert VersionReader(engine)() == 7
