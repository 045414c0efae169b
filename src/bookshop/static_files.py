"""Static files under content-hashed names (`css/shop.3f9a0c1b2d4e.css`), cached for a year.

`url_for('static', filename='css/shop.css')` gives the hashed name, so a changed file gets a new
address and browsers and proxies may keep each address forever. The plain name still works, with
the default (revalidated) caching, for anything that links to it from outside.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response

IMMUTABLE = "public, max-age=31536000, immutable"
_DIGEST_LENGTH = 12


def hashed_name(name: str, content: bytes) -> str:
    """`css/shop.css` -> `css/shop.<digest>.css`, the digest taken from the content."""
    digest = hashlib.sha256(content).hexdigest()[:_DIGEST_LENGTH]
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{extension}"


def manifest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (as a URL path) -> its hashed name."""
    names = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            names[name] = hashed_name(name, path.read_bytes())
    return names


def init_app(app: Flask) -> None:
    """Build links to hashed names and serve them with a year's immutable caching."""
    if app.static_folder is None:
        return
    names = manifest(Path(app.static_folder))
    originals = {hashed: name for name, hashed in names.items()}

    @app.url_defaults
    def _hashed(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values["filename"] = names.get(values.get("filename", ""), values.get("filename"))

    def static(filename: str) -> Response:
        original = originals.get(filename)
        if original is None:
            return app.send_static_file(filename)  # Flask's own static view, as before
        response = app.send_static_file(original)
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = static
