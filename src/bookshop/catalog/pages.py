"""Catalog pages rendered once per catalog version and served from memory.

The home page and the book pages are the same for every visitor without a cart or a message
waiting: they carry no CSRF token and set no cookie. Each process keeps the last rendering of each
page with the catalog version it was rendered at; a request reads the version from the database
(one indexed row), so a change made by any process shows on the next request everywhere.

Anonymous requests (no session cookie) are answered before Flask builds a request at all, from the
headers the rendering request had; the Flask view is the only place pages are rendered.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request, session
from sqlalchemy import Engine
from werkzeug.sansio.utils import host_is_trusted

from ..logs import REQUEST_ID_HEADER
from ..security import HSTS
from .version import VersionReader

EXTENSION_KEY = "bookshop.catalog_pages"
CACHE_CONTROL = "public, no-cache"  # keep it, but ask (If-None-Match) before each use
# Per-request or per-visitor headers: never stored with a page.
_NOT_STORED = {
    "set-cookie",
    "content-length",
    "etag",
    "cache-control",
    "vary",
    "strict-transport-security",
    REQUEST_ID_HEADER.lower(),
}
_PERSONAL_KEYS = ("cart", "_flashes")  # session keys that show on a catalog page

access_log = logging.getLogger("bookshop.access")


@dataclass(frozen=True)
class Page:
    """One rendering of a page: its body, ETag and response headers."""

    version: int
    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]


class CatalogPages:
    """The pages this process rendered, by path; thread-safe, never stale past a version read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.version = VersionReader(engine)
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()

    def get(self, path: str, version: int) -> Page | None:
        page = self._pages.get(path)
        return page if page is not None and page.version == version else None

    def has(self, path: str) -> bool:
        return path in self._pages

    def put(self, path: str, page: Page) -> None:
        with self._lock:
            known = self._pages.get(path)
            if known is None or known.version <= page.version:
                self._pages[path] = page


def pages() -> CatalogPages:
    """This app's catalog pages."""
    store: CatalogPages = current_app.extensions[EXTENSION_KEY]
    return store


def is_personal() -> bool:
    """Whether the visitor's session holds something a catalog page shows (a cart, a message)."""
    return request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]) is not None and any(
        key in session for key in _PERSONAL_KEYS
    )


def catalog_response(render: Callable[[], str]) -> Response:
    """The page for this request: from memory when this version was rendered already, else
    rendered now (and kept); a visitor with a cart or a message gets a page of their own."""
    if is_personal():
        response = Response(render(), mimetype="text/html")
        response.cache_control.private = True
        response.cache_control.no_cache = True
        return response
    store = pages()
    # The version is read before the books: a page is never kept under a newer version than
    # the rows it shows.
    version = store.version()
    if version == 0:  # no version row: nothing can be invalidated, so nothing is kept
        return Response(render(), mimetype="text/html")
    page = store.get(request.path, version)
    if page is None:
        body = render().encode()
        page = Page(version, body, hashlib.sha256(body).hexdigest()[:32], ())
        response = _page_response(page)
        # Stored by the after_request hook, once the response has its final headers.
        request.environ["bookshop.catalog_page"] = (request.path, page)
    else:
        response = _page_response(page)
    response.make_conditional(request)
    return response


def _page_response(page: Page) -> Response:
    response = Response(page.body, mimetype="text/html")
    response.set_etag(page.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    return response


def init_app(app: Flask, engine: Engine) -> None:
    """Keep the pages in memory and answer anonymous catalog requests from them."""
    store = CatalogPages(engine)
    app.extensions[EXTENSION_KEY] = store

    @app.after_request
    def _keep_page(response: Response) -> Response:
        rendered = request.environ.pop("bookshop.catalog_page", None)
        if rendered is not None and response.status_code in (200, 304):
            path, page = rendered
            headers = tuple(
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in _NOT_STORED and name.lower() != "content-type"
            )
            store.put(path, Page(page.version, page.body, page.etag, headers))
        return response

    app.wsgi_app = AnonymousCatalog(  # type: ignore[method-assign]
        app.wsgi_app,
        store,
        app.config["SESSION_COOKIE_NAME"],
        app.config.get("TRUSTED_HOSTS"),
        hsts=app.config["BOOKSHOP_ENV"] == "production",
    )


class AnonymousCatalog:
    """WSGI middleware: a GET for a catalog page already rendered at the current version, from a
    visitor with no session, is answered from memory (with 304 for a matching If-None-Match)."""

    def __init__(
        self,
        wsgi_app: Any,
        store: CatalogPages,
        session_cookie: str,
        trusted_hosts: list[str] | None,
        hsts: bool,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.store = store
        self.session_cookie = session_cookie + "="
        self.trusted_hosts = trusted_hosts
        self.hsts = hsts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and self.store.has(path)
            and self.session_cookie not in environ.get("HTTP_COOKIE", "")
            and self._trusted(environ)
        ):
            page = self.store.get(path, self.store.version())
            if page is not None and page.headers:
                return self._serve(page, environ, start_response)
        result: Iterable[bytes] = self.wsgi_app(environ, start_response)
        return result

    def _trusted(self, environ: dict[str, Any]) -> bool:
        if not self.trusted_hosts:
            return True
        host = environ.get("HTTP_HOST", "")
        return bool(host) and host_is_trusted(host, self.trusted_hosts)

    def _serve(self, page: Page, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        etag = f'"{page.etag}"'
        unchanged = _matches(environ.get("HTTP_IF_NONE_MATCH", ""), etag)
        request_id = secrets.token_hex(8)
        headers = [
            *page.headers,
            ("ETag", etag),
            ("Cache-Control", CACHE_CONTROL),
            ("Vary", "Cookie"),
            (REQUEST_ID_HEADER, request_id),
        ]
        if self.hsts and environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        if unchanged:
            status, body = "304 NOT MODIFIED", b""
        else:
            status, body = "200 OK", page.body
            headers.append(("Content-Type", "text/html; charset=utf-8"))
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s 0ms",
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                status[:3],
                extra={"request_id": request_id},
            )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def _matches(header: str, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or is `*`)."""
    if not header:
        return False
    candidates = [part.strip().removeprefix("W/") for part in header.split(",")]
    return etag in candidates or "*" in candidates
