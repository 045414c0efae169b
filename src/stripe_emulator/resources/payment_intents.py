"""PaymentIntents: creation, confirmation with test cards, 3-D Secure, capture, cancel."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .. import cards, currencies, events, ids, jobs
from ..core import PRIVATE, Ctx, now, public
from ..errors import CardError, InvalidRequestError
from ..params import (
    LIST_SPEC,
    Spec,
    array,
    boolean,
    enum,
    expand,
    integer,
    metadata,
    obj,
    string,
)
from . import Route, charges, disputes, list_object, load, payment_methods

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
CONFIRMABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
UPDATABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
CANCELABLE = {
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
}
AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)

_CONFIRM_FIELDS: Spec = {
    "payment_method": string(),
    "payment_method_data": obj(payment_methods.PAYMENT_METHOD_DATA),
    "return_url": string(2048),
    "receipt_email": string(800),
    "use_stripe_sdk": boolean(),
    "expand": expand(),
}
CREATE: Spec = {
    **_CONFIRM_FIELDS,
    "amount": integer(required=True),
    "currency": string(3, required=True),
    "automatic_payment_methods": obj(
        {"enabled": boolean(required=True), "allow_redirects": enum("always", "never")}
    ),
    "payment_method_types": array(enum("card")),
    "confirm": boolean(),
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "confirmation_method": enum("automatic", "manual"),
    "metadata": metadata(),
    "description": string(1000),
    "statement_descriptor": string(22),
    "statement_descriptor_suffix": string(22),
}
UPDATE: Spec = {
    "amount": integer(),
    "currency": string(3),
    "payment_method": string(),
    "payment_method_types": array(enum("card")),
    "capture_method": enum("automatic", "automatic_async", "manual"),
    "metadata": metadata(),
    "description": string(1000),
    "receipt_email": string(800),
    "statement_descriptor": string(22),
    "statement_descriptor_suffix": string(22),
    "expand": expand(),
}
CONFIRM: Spec = {**_CONFIRM_FIELDS, "client_secret": string()}
RETRIEVE: Spec = {"client_secret": string(), "expand": expand()}
CANCEL: Spec = {
    "cancellation_reason": enum("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    "expand": expand(),
}
CAPTURE: Spec = {"amount_to_capture": integer(1), "metadata": metadata(), "expand": expand()}
LIST: Spec = {**LIST_SPEC, "customer": string()}


def check_amount(amount: int, currency: str) -> None:
    """Stripe's currency and minimum/maximum charge checks."""
    if not currencies.supported(currency):
        raise InvalidRequestError(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(currencies.MINIMUM_CHARGE)),
            param="currency",
        )
    minimum = currencies.MINIMUM_CHARGE[currency]
    if amount < minimum:
        raise InvalidRequestError(
            f"Amount must be at least {currencies.display(minimum, currency)} {currency}",
            code="amount_too_small",
            param="amount",
        )
    if amount > currencies.MAXIMUM_AMOUNT:
        most = currencies.display(currencies.MAXIMUM_AMOUNT, currency)
        raise InvalidRequestError(
            f"Amount must be no more than {most}",
            code="amount_too_large",
            param="amount",
        )


def _unexpected_state(pi: dict[str, Any], action: str, allowed: set[str]) -> InvalidRequestError:
    statuses = ", ".join(sorted(allowed))
    return InvalidRequestError(
        f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}."
        f" Only a PaymentIntent with one of the following statuses may be {action}ed: {statuses}.",
        code="payment_intent_unexpected_state",
        payment_intent=pi,
    )


def build(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """A new PaymentIntent in requires_payment_method."""
    currency = params["currency"].lower()
    check_amount(params["amount"], currency)
    pi_id = ids.new_id("pi")
    automatic = params.get("automatic_payment_methods")
    if automatic is None and "payment_method_types" not in params:
        automatic = {"enabled": True}  # the default since API version 2023-08-16
    if automatic is not None:
        automatic = {
            "allow_redirects": automatic.get("allow_redirects", "always"),
            "enabled": automatic["enabled"],
        }
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": ids.client_secret(pi_id),
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": now(),
        "currency": currency,
        "customer": None,
        "description": params.get("description"),
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": params.get("metadata", {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        PRIVATE: {"return_url": params.get("return_url")},
    }


def _move(ctx: Ctx, pi: dict[str, Any], status: str, *, emit: bool = True) -> None:
    """Change status if Stripe allows it, store, and emit the status's event."""
    if status not in TRANSITIONS[pi["status"]]:
        raise AssertionError(f"illegal PaymentIntent move {pi['status']} -> {status}")
    pi["status"] = status
    ctx.store.put(pi)
    if emit and status in STATUS_EVENTS:
        events.emit(ctx, STATUS_EVENTS[status], pi)


def _three_d_secure_url(ctx: Ctx, pi: dict[str, Any]) -> str:
    return f"{ctx.base_url}/_emulator/3ds/{pi['id']}?client_secret={quote(pi['client_secret'])}"


def _fail(ctx: Ctx, pi: dict[str, Any], error: dict[str, Any]) -> None:
    """Record a failed attempt: the PaymentIntent asks for another payment method."""
    pi["last_payment_error"] = error
    pi["payment_method"] = None
    pi["next_action"] = None
    _move(ctx, pi, "requires_payment_method")


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
        _move(ctx, pi, "requires_capture")
        return
    pi["amount_received"] = pi["amount"]
    _move(ctx, pi, "succeeded")
    if outcome.dispute:
        disputes.open_for(ctx, charge)


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
                "completes_at": now() + max(1, round(delay)),
            }
        },
    }
    _move(ctx, pi, "processing")
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


def _confirm(ctx: Ctx, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Attach the payment method and attempt the payment."""
    if pi["status"] not in CONFIRMABLE:
        raise _unexpected_state(pi, "confirm", CONFIRMABLE)
    for name in ("receipt_email",):
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
        _move(ctx, pi, "requires_action")
        return pi
    _pay(ctx, pi, payment_method)
    return pi


def _authorize_client(ctx: Ctx, pi: dict[str, Any], params: dict[str, Any]) -> None:
    """Publishable-key calls must prove they hold this PaymentIntent's client secret."""
    if not ctx.publishable and "client_secret" not in params:
        return
    if params.get("client_secret") != pi["client_secret"]:
        raise InvalidRequestError(
            "The client_secret provided does not match the client_secret associated with the "
            "PaymentIntent.",
            param="client_secret",
        )


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_intents."""
    pi = build(ctx, params)
    if "payment_method" in params and not params.get("confirm"):
        pi["payment_method"] = payment_methods.resolve(ctx, params["payment_method"])["id"]
        _move(ctx, pi, "requires_confirmation", emit=False)
    ctx.store.put(pi)
    events.emit(ctx, "payment_intent.created", pi)
    if params.get("confirm"):
        return _confirm(ctx, pi, params)
    return pi


def retrieve(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """GET /v1/payment_intents/{id}; with the publishable key, the client secret is needed."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    _authorize_client(ctx, pi, params)
    return pi


def update(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if pi["status"] not in UPDATABLE:
        raise _unexpected_state(pi, "update", UPDATABLE)
    amount = params.get("amount", pi["amount"])
    currency = params.get("currency", pi["currency"]).lower()
    check_amount(amount, currency)
    pi["amount"], pi["currency"] = amount, currency
    if "metadata" in params:
        pi["metadata"] = {**pi["metadata"], **params["metadata"]} if params["metadata"] else {}
        pi["metadata"] = {k: v for k, v in pi["metadata"].items() if v != ""}
    for name in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "capture_method",
        "payment_method_types",
    ):
        if name in params:
            pi[name] = params[name]
    if "payment_method" in params:
        pi["payment_method"] = payment_methods.resolve(ctx, params["payment_method"])["id"]
        if pi["status"] != "requires_confirmation":
            pi["next_action"] = None
            _move(ctx, pi, "requires_confirmation", emit=False)
    ctx.store.put(pi)
    return pi


def confirm(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/confirm."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    _authorize_client(ctx, pi, params)
    return _confirm(ctx, pi, params)


def cancel(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/cancel."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if pi["status"] not in CANCELABLE:
        raise _unexpected_state(pi, "cancel", CANCELABLE)
    if pi["status"] == "requires_capture" and pi["latest_charge"]:
        # The authorization is released: Stripe shows the held charge as refunded.
        charge = load(ctx, "charge", pi["latest_charge"], "charge")
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] = charge["amount"]
        charge["refunded"] = True
        ctx.store.put(charge)
        events.emit(ctx, "charge.refunded", charge, previous)
    pi["canceled_at"] = now()
    pi["cancellation_reason"] = params.get("cancellation_reason")
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    pi["processing"] = None  # a payment still settling is abandoned: its job finds it canceled
    _move(ctx, pi, "canceled")
    return pi


def capture(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/capture."""
    pi = load(ctx, "payment_intent", intent, "payment_intent", "intent")
    if pi["status"] != "requires_capture":
        raise _unexpected_state(pi, "capture", {"requires_capture"})
    amount = params.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"]:
        raise InvalidRequestError(
            "The amount to capture must be less than or equal to the amount capturable "
            f"({pi['amount_capturable']}).",
            code="amount_too_large",
            param="amount_to_capture",
        )
    charge = load(ctx, "charge", pi["latest_charge"], "charge")
    charge.update(
        captured=True,
        amount_captured=amount,
        amount_refunded=charge["amount"] - amount,
        balance_transaction=ids.new_id("txn"),
    )
    ctx.store.put(charge)
    events.emit(ctx, "charge.captured", charge)
    if "metadata" in params:
        pi["metadata"] = {**pi["metadata"], **params["metadata"]}
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    _move(ctx, pi, "succeeded")
    return pi


def list_intents(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/payment_intents."""
    return list_object(ctx, "payment_intent", "/v1/payment_intents", params)


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
    return pi[PRIVATE].get("return_url")


ROUTES = [
    Route("POST", "/v1/payment_intents", create, CREATE),
    Route("GET", "/v1/payment_intents", list_intents, LIST),
    Route("GET", "/v1/payment_intents/<intent>", retrieve, RETRIEVE, publishable=True),
    Route("POST", "/v1/payment_intents/<intent>", update, UPDATE),
    Route("POST", "/v1/payment_intents/<intent>/confirm", confirm, CONFIRM, publishable=True),
    Route("POST", "/v1/payment_intents/<intent>/cancel", cancel, CANCEL),
    Route("POST", "/v1/payment_intents/<intent>/capture", capture, CAPTURE),
]
