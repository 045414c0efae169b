"""Catalog pages rendered once per catalog version and served from memory.

The home page and the book pages are the same for every visitor without a cart or a message
waiting: they carry no CSRF token and set no cookie. Each process keeps the last rendering of each
page with the catalog version it was rendered at; a request reads the version from the database
(one indexed row), so a change made by any process shows on the next request everywhere.

Anonymous requests (no session cookie) are answered before Flask builds a request at all, from the
headers the rendering request had; the Flask view is the only place pages are rendered.

A kept page is stored with the runs of whitespace between its lines shortened, and gzipped once
for the clients that accept it, so each request only picks one of two prepared answers.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, request, session
from sqlalchemy import Engine
from werkzeug.http import parse_accept_header
from werkzeug.sansio.utils import host_is_trusted

from ..logs import REQUEST_ID_HEADER
from ..security import HSTS
from .version import VersionReader

EXTENSION_KEY = "bookshop.catalog_pages"
CACHE_CONTROL = "public, no-cache"  # keep it, but ask (If-None-Match) before each use
VARY = "Cookie, Accept-Encoding"
CONTENT_TYPE = "text/html; charset=utf-8"
# Per-request or per-visitor headers: never stored with a page.
_NOT_STORED = {
    "set-cookie",
    "content-length",
    "etag",
    "cache-control",
    "vary",
    "content-encoding",
    "strict-transport-security",
    REQUEST_ID_HEADER.lower(),
}
_PERSONAL_KEYS = ("cart", "_flashes")  # session keys that show on a catalog page
# Host headers whose check is remembered; clients choose them, so the memory is capped.
_HOST_CHECKS_KEPT = 64

access_log = logging.getLogger("bookshop.access")


@dataclasses.dataclass(frozen=True)
class Encoding:
    """One way of sending a page (as is, or gzipped): its bytes, ETag and fixed headers."""

    body: bytes
    etag: str  # quoted, as sent
    coding: str  # its Content-Encoding, or "" as is
    headers: tuple[tuple[str, str], ...]  # of a 200 answer, but for the per-request ones
    not_modified_headers: tuple[tuple[str, str], ...]  # of a 304 answer, likewise


@dataclasses.dataclass(frozen=True)
class Page:
    """One rendering of a page: its body, ETag and response headers."""

    version: int
    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]
    compressed: bytes  # the body gzipped
    plain: Encoding = dataclasses.field(init=False, repr=False, compare=False)
    gzipped: Encoding = dataclasses.field(init=False, repr=False, compare=False)

    @classmethod
    def rendered(cls, version: int, html: str) -> Page:
        """A page just rendered, before its response headers are known."""
        body = collapse_whitespace(html).encode()
        etag = hashlib.sha256(body).hexdigest()[:32]
        return cls(version, body, etag, (), gzip.compress(body, compresslevel=9, mtime=0))

    def __post_init__(self) -> None:
        # Both answers prepared once per version, so that serving a request joins no strings.
        object.__setattr__(self, "plain", _encoding(self, self.body, self.etag, ""))
        gzipped = _encoding(self, self.compressed, f"{self.etag}-gz", "gzip")
        object.__setattr__(self, "gzipped", gzipped)

    def encoding(self, accept_encoding: str) -> Encoding:
        """The page as this Accept-Encoding header asks for it."""
        return self.gzipped if accepts_gzip(accept_encoding) else self.plain


def _encoding(page: Page, body: bytes, etag: str, coding: str) -> Encoding:
    quoted = f'"{etag}"'
    common = (*page.headers, ("ETag", quoted), ("Cache-Control", CACHE_CONTROL), ("Vary", VARY))
    full = (
        *common,
        *((("Content-Encoding", coding),) if coding else ()),
        ("Content-Type", CONTENT_TYPE),
        ("Content-Length", str(len(body))),
    )
    return Encoding(body, quoted, coding, full, common)


@functools.lru_cache(maxsize=64)  # browsers send a handful of distinct headers
def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (not with q=0)."""
    accepted = parse_accept_header(header)
    return max(accepted.quality("gzip"), accepted.quality("x-gzip")) > 0


# Kept as is: whitespace inside these is part of what they show or do.
_VERBATIM = re.compile(r"<(pre|textarea|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")


def collapse_whitespace(html: str) -> str:
    """The page with each run of whitespace around a line break shortened to the line break.

    A browser shows any run of whitespace between words or tags as one space at most, so the
    page looks the same; the indentation and blank lines the templates leave only cost bytes.
    """
    kept: list[str] = []
    start = 0
    for verbatim in _VERBATIM.finditer(html):
        kept.append(_LINE_BREAK.sub("\n", html[start : verbatim.start()]))
        kept.append(verbatim.group(0))
        start = verbatim.end()
    kept.append(_LINE_BREAK.sub("\n", html[start:]))
    return "".join(kept)


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
        page = Page.rendered(version, render())
        # Stored by the after_request hook, once the response has its final headers.
        request.environ["bookshop.catalog_page"] = (request.path, page)
    response = _page_response(page.encoding(request.headers.get("Accept-Encoding", "")))
    response.make_conditional(request)
    return response


def _page_response(encoding: Encoding) -> Response:
    response = Response(encoding.body, mimetype="text/html")
    response.headers["ETag"] = encoding.etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.update(("Cookie", "Accept-Encoding"))
    if encoding.coding:
        response.content_encoding = encoding.coding
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
            store.put(path, dataclasses.replace(page, headers=headers))
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
        self._host_checks: dict[str, bool] = {}

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
        # The check (IDNA encoding, each name compared) costs more than the rest of serving a
        # page, and the same few hosts come back all the time.
        trusted = self._host_checks.get(host)
        if trusted is None:
            trusted = bool(host) and host_is_trusted(host, self.trusted_hosts)
            if len(self._host_checks) >= _HOST_CHECKS_KEPT:
                self._host_checks.clear()
            self._host_checks[host] = trusted
        return trusted

    def _serve(self, page: Page, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        encoding = page.encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        unchanged = _matches(environ.get("HTTP_IF_NONE_MATCH", ""), encoding.etag)
        request_id = secrets.token_hex(8)
        headers = [
            *(encoding.not_modified_headers if unchanged else encoding.headers),
            (REQUEST_ID_HEADER, request_id),
        ]
        if self.hsts and environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        status = "304 NOT MODIFIED" if unchanged else "200 OK"
        start_response(status, headers)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s 0ms",
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                status[:3],
                extra={"request_id": request_id},
            )
        if unchanged or environ["REQUEST_METHOD"] == "HEAD":
            return []
        return [encoding.body]


def _matches(header: str, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or is `*`)."""
    if not header:
        return False
    candidates = [part.strip().removeprefix("W/") for part in header.split(",")]
    return etag in candidates or "*" in candidates
