"""What the JSON endpoints share: reading the body, and errors in one shape."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request


def json_body() -> dict[str, Any] | None:
    """The request's JSON object, or None when it is missing, malformed or not an object."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def json_error(message: str, field: str | None = None, status: int = 400) -> tuple[Any, int]:
    """An error the page's script shows next to the field it names."""
    return jsonify(error={"status": status, "message": message, "field": field}), status
