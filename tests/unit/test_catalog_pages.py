"""Catalog pages kept in memory: gzipped for the clients that ask, whitespace between lines
shortened once per version, and the version read fresh on every request."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bookshop.catalog.pages import EXTENSION_KEY, accepts_gzip, collapse_whitespace
from bookshop.catalog.version import VersionReader, catalog_changed, current_version

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def kept(client: FlaskClient, path: str = "/") -> None:
    """Render a page and keep it, as the first visitor does."""
    client.get(path)


def test_a_kept_page_is_gzipped_for_a_client_that_asks(client: FlaskClient) -> None:
    kept(client)
    plain = client.get("/")
    zipped = client.get("/", headers=GZIP)
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3
    assert "Content-Encoding" not in plain.headers
    for response in (plain, zipped):
        assert response.headers["Vary"] == "Cookie, Accept-Encoding"
        assert response.headers["Content-Security-Policy"]


def test_the_first_rendering_is_gzipped_too(client: FlaskClient) -> None:
    first = client.get("/", headers=GZIP)
    assert first.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["Vary"]
    assert gzip.decompress(first.data) == client.get("/").data


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=nonsense", False),
        ("notgzip", False),
    ],
)
def test_gzip_only_when_accepted(header: str, gzipped: bool) -> None:
    assert accepts_gzip(header) is gzipped


def test_each_encoding_has_its_own_etag_and_answers_304_to_it(client: FlaskClient) -> None:
    kept(client)
    plain = client.get("/").headers["ETag"]
    zipped = client.get("/", headers=GZIP).headers["ETag"]
    assert plain != zipped
    again = client.get("/", headers={**GZIP, "If-None-Match": zipped})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == zipped and "Content-Encoding" not in again.headers
    # A plain ETag does not stand for the gzipped bytes, nor the other way round.
    assert client.get("/", headers={**GZIP, "If-None-Match": plain}).status_code == 200
    assert client.get("/", headers={"If-None-Match": zipped}).status_code == 200


def test_a_kept_page_has_no_indentation_and_looks_the_same() -> None:
    html = "<ul>\n  <li>One</li>\n\n    <li>Two  \n</li>\n</ul>\n"
    assert collapse_whitespace(html) == "<ul>\n<li>One</li>\n<li>Two\n</li>\n</ul>\n"


def test_whitespace_inside_pre_textarea_script_and_style_is_kept() -> None:
    html = (
        "<div>\n  <pre>\n  a\n    b</pre>\n  <TEXTAREA name=x>\n  c</TEXTAREA>\n"
        "  <script>\n  let d = `\n    e`;\n</script>\n  <style>\n  p {}\n</style>\n</div>"
    )
    assert collapse_whitespace(html) == (
        "<div>\n<pre>\n  a\n    b</pre>\n<TEXTAREA name=x>\n  c</TEXTAREA>\n"
        "<script>\n  let d = `\n    e`;\n</script>\n<style>\n  p {}\n</style>\n</div>"
    )


def test_the_served_page_carries_no_indentation(client: FlaskClient) -> None:
    kept(client)
    served = client.get("/").get_data(as_text=True)
    assert "\n " not in served and "\n\n" not in served
    assert served.count('data-testid="book-card"') == 9


def test_a_host_not_trusted_is_never_answered_from_memory(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SHOP_URL="https://shop.example", TRUSTED_HOSTS="shop.example")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/", base_url="http://shop.example").status_code == 200
    for _ in range(2):
        assert client.get("/", base_url="http://evil.example").status_code == 400
    for index in range(100):  # more hosts than are remembered
        client.get("/", base_url=f"http://h{index}.example")
    assert client.get("/", base_url="http://evil.example").status_code == 400
    assert client.get("/", base_url="http://shop.example").status_code == 200


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


def test_on_a_database_server_the_reader_survives_its_connections_being_dropped(
    app: Flask, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a database server's connections; SQLite keeps none")
    read = app.extensions[EXTENSION_KEY].version
    before = read()
    other = create_engine(database_url)
    try:
        with other.begin() as connection:  # as a server restart would
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND query = :read"
                ),
                {"read": "SELECT version FROM catalog_version WHERE id = 1"},
            )
        with Session(other) as session:
            catalog_changed(session)
            session.commit()
        assert read() == before + 1
    finally:
        other.dispose()
