"""How a PaymentIntent moves: its states, and each attempt to pay (card, 3-D Secure, later)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .. import cards, events, jobs
from ..core import PRIVATE, Ctx, public
from ..errors import CardError, InvalidRequestError
from . import charges, disputes, load, payment_methods

# Every status, and the statuses each may move to: the one place that says so.
TRANSITIONS: dict[str, set[str]] = {
    "requires_payment_method": {
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
        "succeeded",
        "canceled",
        "requires_payment_method",
    },
    "requires_confirmation": {
        "requires_payment_method",
        "requires_action",
        "processing",
        "requires_capture",
        "succeeded",
        "canceled",
    },
    "requires_action": {
        "requires_payment_method",
        "requires_confirmation",
        "processing",
        "requires_capture",
        "succeeded",
        "canceled",
        "requires_action",
    },
    "processing": {"succeeded", "requires_payment_method", "requires_capture", "canceled"},
    "requires_capture": {"succeeded", "canceled"},
    "succeeded": set(),
    "canceled": set(),
}
# The event Stripe emits on entering a status.
STATUS_EVENTS = {
    "requires_action": "payment_intent.requires_action",
    "processing": "payment_intent.processing",
    "requires_capture": "payment_intent.amount_capturable_updated",
    "succeeded": "payment_intent.succeeded",
    "canceled": "payment_intent.canceled",
    "requires_payment_method": "payment_intent.payment_failed",
}
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
PAST_TENSE = {"cancel": "canceled", "confirm": "confirmed", "update": "updated"}
AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)


def not_allowed(pi: dict[str, Any], action: str, allowed: tuple[str, ...]) -> str:
    """Stripe's sentence for an action the PaymentIntent's status does not allow."""
    return (
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}."
        f" Only a PaymentIntent with one of the following statuses may be {PAST_TENSE[action]}:"
        f" {', '.join(allowed)}."
    )


def unexpected_state(
    pi: dict[str, Any], message: str, param: str | None = None
) -> InvalidRequestError:
    """Stripe's payment_intent_unexpected_state error, carrying the PaymentIntent."""
    return InvalidRequestError(
        message, code="payment_intent_unexpected_state", param=param, payment_intent=pi
    )


def move(ctx: Ctx, pi: dict[str, Any], status: str, *, emit: bool = True) -> None:
    """Change status if Stripe allows it, store, and emit the status's event."""
    if status not in TRANSITIONS[pi["status"]]:
        raise AssertionError(f"illegal PaymentIntent move {pi['status']} -> {status}")
    pi["status"] = status
    ctx.store.put(pi)
    if emit and status in STATUS_EVENTS:
        events.emit(ctx, STATUS_EVENTS[status], pi)


def cancel(ctx: Ctx, pi: dict[str, Any], reason: str | None) -> None:
    """Cancel: nothing more can be paid, captured or owed on this PaymentIntent."""
    pi["canceled_at"] = ctx.now()
    pi["cancellation_reason"] = reason
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    pi["processing"] = None  # a payment still settling is abandoned: its job finds it canceled
    move(ctx, pi, "canceled")


def _three_d_secure_url(ctx: Ctx, pi: dict[str, Any]) -> str:
    return f"{ctx.base_url}/_emulator/3ds/{pi['id']}?client_secret={quote(pi['client_secret'])}"


def _fail(ctx: Ctx, pi: dict[str, Any], error: dict[str, Any]) -> None:
    """Record a failed attempt: the PaymentIntent asks for another payment method."""
    pi["last_payment_error"] = error
    pi["payment_method"] = None
    pi["next_action"] = None
    move(ctx, pi, "requires_payment_method")


def _card_error(
    ctx: Ctx,
    pi: dict[str, Any],
    outcome: cards.Outcome,
    payment_method: dict[str, Any] | None,
    charge_id: str | None,
) -> dict[str, Any]:
    """The `last_payment_error` of a decline."""
    error: dict[str, Any] = {
        "type": "card_error",
        "code": outcome.code,
        "decline_code": outcome.decline_code,
        "message": outcome.message,
        "doc_url": f"https://stripe.com/docs/error-codes/{outcome.code.replace('_', '-')}",
    }
    if charge_id:
        error["charge"] = charge_id
    if payment_method is not None:
        error["payment_method"] = public(payment_method)
    return error


def _charge(ctx: Ctx, pi: dict[str, Any], payment_method: dict[str, Any]) -> None:
    """Try the card: a charge succeeds or fails, and the PaymentIntent follows."""
    outcome = cards.outcome(payment_methods.card_number(payment_method))
    manual = pi["capture_method"] == "manual"
    charge = charges.build(ctx, pi, payment_method, outcome, captured=not manual)
    ctx.store.put(charge)
    pi["latest_charge"] = charge["id"]
    pi["next_action"] = None
    if charge["status"] == "failed":
        events.emit(ctx, "charge.failed", charge)
        error = _card_error(ctx, pi, outcome, payment_method, charge["id"])
        _fail(ctx, pi, error)
        raise CardError(
            outcome.message,
            code=outcome.code,
            decline_code=outcome.decline_code,
            payment_intent=pi,
            extra={"charge": charge["id"], "payment_method": public(payment_method)},
        )
    pi["last_payment_error"] = None
    events.emit(ctx, "charge.succeeded", charge)
    if manual:
        pi["amount_capturable"] = pi["amount"]
        move(ctx, pi, "requires_capture")
        jobs.schedule(ctx, jobs.EXPIRE_AUTHORIZATION, pi["id"], charges.CAPTURE_WINDOW_SECONDS)
        return
    pi["amount_received"] = pi["amount"]
    move(ctx, pi, "succeeded")
    if outcome.dispute:
        disputes.open_for(ctx, charge, inquiry=outcome.inquiry)


def _pay(ctx: Ctx, pi: dict[str, Any], payment_method: dict[str, Any]) -> None:
    """Charge the card now or, when payments are set to settle later, go to processing."""
    delay = ctx.em.faults.payments.settle_seconds
    if delay <= 0:
        _charge(ctx, pi, payment_method)
        return
    pi["next_action"] = None
    pi["last_payment_error"] = None
    pi["processing"] = {
        "type": "card",
        "card": {
            "customer_notification": {
                "approval_requested": False,
                "completes_at": ctx.now() + max(1, round(delay)),
            }
        },
    }
    move(ctx, pi, "processing")
    jobs.schedule(ctx, jobs.SETTLE_PAYMENT, pi["id"], delay)


def settle(ctx: Ctx, intent: str) -> dict[str, Any] | None:
    """A processing payment's charge goes through or declines; None if nothing was pending."""
    pi = ctx.store.get(intent, "payment_intent")
    if pi is None or pi["status"] != "processing":
        return None  # canceled meanwhile
    pi["processing"] = None
    try:
        _charge(ctx, pi, payment_methods.resolve(ctx, pi["payment_method"]))
    except CardError:
        pass  # recorded on the PaymentIntent and its events, as a later decline is
    return pi


def confirm(ctx: Ctx, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Attach the payment method and attempt the payment."""
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(pi, not_allowed(pi, "confirm", CONFIRMABLE))
    for name in ("receipt_email", "shipping"):
        if name in params:
            pi[name] = params[name]
    if "return_url" in params:
        pi[PRIVATE]["return_url"] = params["return_url"]
    try:
        if "payment_method_data" in params:
            payment_method = ctx.store.put(
                payment_methods.build(ctx, params["payment_method_data"])
            )
        elif "payment_method" in params:
            payment_method = payment_methods.resolve(ctx, params["payment_method"])
        elif pi["payment_method"]:
            payment_method = payment_methods.resolve(ctx, pi["payment_method"])
        else:
            raise InvalidRequestError(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent, you can update it with a payment method and then "
                "confirm it again. Or, you can pass the payment_method parameter.",
                code="payment_intent_unexpected_state",
            )
    except CardError as error:
        pi["last_payment_error"] = {
            "type": "card_error",
            "code": error.code,
            "message": error.message,
            "param": error.param,
        }
        ctx.store.put(pi)
        error.payment_intent = pi
        raise
    pi["payment_method"] = payment_method["id"]
    outcome = cards.outcome(payment_methods.card_number(payment_method))
    if outcome.three_d_secure:
        pi["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "url": _three_d_secure_url(ctx, pi),
                "return_url": pi[PRIVATE]["return_url"],
            },
        }
        pi["last_payment_error"] = None
        move(ctx, pi, "requires_action")
        return pi
    _pay(ctx, pi, payment_method)
    return pi


def authenticate(ctx: Ctx, intent: str, client_secret: str, succeeded: bool) -> dict[str, Any]:
    """The 3-D Secure page's answer: pay on success, or record the authentication failure."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if client_secret != pi["client_secret"]:
        raise InvalidRequestError("The client_secret does not match.", param="client_secret")
    if pi["status"] != "requires_action":
        return pi  # already answered: the page was submitted twice
    payment_method = payment_methods.resolve(ctx, pi["payment_method"])
    if not succeeded:
        _fail(
            ctx,
            pi,
            {
                "type": "card_error",
                "code": "payment_intent_authentication_failure",
                "message": AUTHENTICATION_FAILED,
                "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
                "payment_method": public(payment_method),
            },
        )
        return pi
    try:
        _pay(ctx, pi, payment_method)
    except CardError:
        pass  # the decline is recorded on the PaymentIntent; the return page shows it
    return pi


def return_url(pi: dict[str, Any]) -> str | None:
    """Where the customer goes back to after 3-D Secure."""
    url: str | None = pi[PRIVATE].get("return_url")
    return url
