"""The payment errors: one tree under PaymentError, each with a message safe to show."""

from __future__ import annotations

GENERIC_DECLINE = "Your payment was not accepted. Please try another card."
UNAVAILABLE = "Payments are unavailable right now. Please try again in a few minutes."


class PaymentError(Exception):
    """A payment could not go ahead; `user_message` is safe to show, `str()` is for the log."""

    user_message = "Something went wrong with the payment. Please try again."

    def __init__(self, detail: str, user_message: str | None = None) -> None:
        super().__init__(detail)
        if user_message:
            self.user_message = user_message


class PaymentUnavailable(PaymentError):
    """Stripe cannot be reached or is failing (connection, timeout, 5xx, 429, bad credentials)."""

    user_message = UNAVAILABLE


class CardDeclined(PaymentError):
    """The card issuer or Stripe declined the card."""

    user_message = GENERIC_DECLINE

    def __init__(self, detail: str, user_message: str | None, decline_code: str | None) -> None:
        super().__init__(detail, user_message)
        self.decline_code = decline_code


class PaymentNotFound(PaymentError):
    """Stripe has no such object (or it belongs to another account)."""

    user_message = "We could not find that payment."


class InvalidPaymentRequest(PaymentError):
    """Stripe refused the request as malformed: a bug on the shop's side, not the customer's."""


class InvalidWebhook(PaymentError):
    """A webhook whose signature or body does not check out."""
