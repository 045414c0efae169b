"""AWS Lambda entry point: the same app behind API Gateway (HTTP API, payload v2) or an ALB.

Configure the function with the same settings as a server (SHOP_URL, DATABASE_URL on PostgreSQL,
REDIS_URL, Stripe keys); the worker (`python -m bookshop worker`) runs elsewhere, for example as a
container, because Lambda keeps no process alive between requests.
"""

from __future__ import annotations

from typing import Any

from apig_wsgi import make_lambda_handler

from . import create_app

# Built once per Lambda container, at cold start; later invocations reuse it.
app = create_app()
# Stripe signs webhook bodies byte for byte: binary support keeps them as sent.
_handler = make_lambda_handler(app, binary_support=True)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one API Gateway or ALB event."""
    response: dict[str, Any] = _handler(event, context)
    return response
