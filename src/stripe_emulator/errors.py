"""Stripe-shaped errors: each carries its HTTP status and renders as Stripe's error object."""

from __future__ import annotations

from typing import Any

from .core import public


class StripeError(Exception):
    """Base of every error the API answers with."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        payment_intent: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.payment_intent = payment_intent
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """Stripe's `{"error": {...}}` object, with only the fields that apply."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        for name in ("code", "param", "decline_code", "payment_intent"):
            value = getattr(self, name)
            if value is not None:
                error[name] = value
        if self.code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": public(error)}


class InvalidRequestError(StripeError):
    """Bad parameters or a state that does not allow the call (400)."""


class NotFoundError(InvalidRequestError):
    """An id that names nothing (404, code resource_missing)."""

    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class AuthenticationError(StripeError):
    """A missing, malformed or unknown API key (401)."""

    status = 401


class CardError(StripeError):
    """A declined or invalid card (402). The changes it caused are kept."""

    status = 402
    type = "card_error"


class IdempotencyError(StripeError):
    """The same idempotency key with other parameters, or while the first is running."""

    type = "idempotency_error"


class RateLimitError(StripeError):
    """Too many requests (429), injected by faults."""

    status = 429


class ApiError(StripeError):
    """An internal error (500): an emulator bug, or injected by faults."""

    status = 500
    type = "api_error"
