"""Hosted Checkout (CHECKOUT_MODE=hosted): the order placed as on the shop's own checkout page, then
paid on Stripe's hosted page through a Checkout Session; the customer's return; resuming and
closing an order's session."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from .. import orders, payments
from ..models import Order, utcnow
from ..orders import LineRequest, OrderError, OrderStatus
from ..payments import CheckoutStatus
from .placement import AlreadyPlaced, check_before_stripe, placing

log = logging.getLogger(__name__)

# Stripe keeps a session open 30 minutes to 24 hours from its creation; a minute more than the
# shortest allows for the two clocks and the time the call takes.
SHORTEST_WAIT = timedelta(minutes=31)
LONGEST_WAIT = timedelta(hours=23, minutes=59)
MAX_SHIPPING_OPTIONS = 5  # Stripe's limit per session


@dataclass(frozen=True)
class ReturnUrls:
    """Where Stripe's page sends the customer: `success` carries {CHECKOUT_SESSION_ID}."""

    success: str
    cancel: str


@dataclass(frozen=True)
class HostedStart:
    """An unpaid order and the address of Stripe's page where the customer pays it."""

    order: Order
    url: str


@dataclass(frozen=True)
class HostedReturn:
    """What the success page shows: the order, and the session's PaymentIntent as Stripe has it
    now (None when the session was not paid on)."""

    order: Order
    intent: payments.PaymentIntent | None


def place_and_start_checkout(
    session: Session,
    lines: Sequence[LineRequest],
    email: str,
    *,
    reference: str,
    browser_id: str | None,
    expires_at: datetime,
    capture_method: str,
    urls: ReturnUrls,
) -> HostedStart:
    """Open a Checkout Session at Stripe, then place the order (reserving stock) in one short
    transaction. A Stripe failure leaves nothing behind; out of stock, the session is expired and
    OutOfStock raised; the same reference twice (a double submit) continues the first order."""
    lines = orders.merge_lines(lines)
    total, currency = orders.price_lines(lines)
    expires_at = session_expiry(expires_at, utcnow())
    delivery = _delivery_offered(session, total, currency)
    priced = [
        payments.CheckoutLine(ln.book.title, ln.book.price_amount, ln.quantity) for ln in lines
    ]
    try:
        check_before_stripe(session, lines, reference)
        checkout = _create(
            reference, lines, priced, currency, email, capture_method, urls, expires_at, delivery
        )
        with placing(session, reference, undo_at_stripe=lambda: _expire_quietly(checkout.id)):
            order = orders.place_order(
                session,
                lines,
                email,
                reference,
                browser_id=browser_id,
                expires_at=expires_at,
                capture_method=capture_method,
            )
            orders.checkout_started(order, checkout.id, expires_at)
    except AlreadyPlaced as placed:
        return resume_checkout(session, placed.order, urls)
    log.info("order %s placed: %s %s, checkout %s", reference, total, currency, checkout.id)
    return HostedStart(order, _url_of(checkout))


def resume_checkout(session: Session, order: Order, urls: ReturnUrls) -> HostedStart:
    """Stripe's page for an unpaid order: its session while open, otherwise a new one (the order
    then waits as long as the new session can be paid)."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderError(not_payable_message(order))
    if order.checkout_session_id:
        checkout = payments.retrieve_checkout_session(order.checkout_session_id)
        orders.checkout_session_updated(session, order, checkout)
        session.commit()
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise OrderError(not_payable_message(order))
        if checkout.status == CheckoutStatus.OPEN and checkout.url:
            return HostedStart(order, checkout.url)
    now = utcnow()
    expires_at = session_expiry(max(order.expires_at or now, now), now)
    kept = [line for line in order.lines if line.kept_quantity]
    lines = [LineRequest(line.book, line.kept_quantity) for line in kept]
    # The order's own prices: the catalog's may have changed since it was placed.
    priced = [payments.CheckoutLine(ln.title, ln.unit_amount, ln.kept_quantity) for ln in kept]
    delivery = _delivery_offered(session, order.items_amount, order.currency)
    session.commit()
    checkout = _create(
        order.reference,
        lines,
        priced,
        order.currency,
        order.email,
        order.capture_method,
        urls,
        expires_at,
        delivery,
        replacing=order.checkout_session_id,
    )
    orders.lock_order(session, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        session.rollback()
        _expire_quietly(checkout.id)
        raise OrderError(not_payable_message(order))
    orders.checkout_started(order, checkout.id, expires_at)
    session.commit()
    log.info("order %s: new checkout %s", order.reference, checkout.id)
    return HostedStart(order, _url_of(checkout))


def checkout_returned(session: Session, checkout_session_id: str) -> HostedReturn | None:
    """The customer is back from Stripe's page: the session and its PaymentIntent as Stripe has
    them now (never what the URL says) applied to the order; None unless the session is one the
    shop opened (Stripe is not asked about anything else)."""
    order = orders.find_order_by_checkout(session, checkout_session_id)
    session.commit()  # no transaction stays open across the call to Stripe
    if order is None:
        return None
    checkout = payments.retrieve_checkout_session(checkout_session_id)
    if checkout.client_reference_id != order.reference:
        log.error("checkout %s names %s, not %s", checkout.id, checkout.client_reference_id, order)
        return None
    orders.checkout_session_updated(session, order, checkout)
    session.commit()
    return HostedReturn(order, checkout.intent)


def close_checkout(session: Session, order: Order) -> None:
    """Before an unpaid order is canceled or expires: its open session expired at Stripe so it can
    never be paid, and the PaymentIntent it had recorded (for the caller to cancel); a session
    that was paid meanwhile is applied instead (the order then follows it)."""
    checkout_session_id = order.checkout_session_id
    if not checkout_session_id:
        return
    session.commit()  # no transaction stays open across the call to Stripe
    try:
        checkout = payments.expire_checkout_session(checkout_session_id)
    except payments.InvalidPaymentRequest:  # no longer open: complete, or expired already
        checkout = payments.retrieve_checkout_session(checkout_session_id)
    if checkout.status == CheckoutStatus.COMPLETE:
        orders.checkout_session_updated(session, order, checkout)
    elif checkout.intent is not None:
        orders.lock_order(session, order)
        orders.payment_mirrored(
            orders.checkout_payment(session, order, checkout.intent), checkout.intent
        )


def session_expiry(wanted: datetime, now: datetime) -> datetime:
    """When a new session (and so its order) expires: as wanted, within what Stripe allows,
    rounded up to the minute so that a double submit asks Stripe for the very same session."""
    moment = min(max(wanted, now + SHORTEST_WAIT), now + LONGEST_WAIT)
    minute = math.ceil(moment.timestamp() / 60) * 60
    return datetime.fromtimestamp(minute, UTC)


def not_payable_message(order: Order) -> str:
    """Why an order cannot be paid (again)."""
    status = OrderStatus(order.status)
    if status == OrderStatus.CANCELED:
        return "This order was canceled, so it can no longer be paid."
    if status == OrderStatus.PROCESSING:
        return "Your bank is still confirming the payment for this order."
    return "This order is already paid."


@dataclass(frozen=True)
class _Delivery:
    """What Stripe's page offers: the countries served, and the options priced for the books."""

    countries: list[str]
    options: list[payments.ShippingRateData]


def _delivery_offered(session: Session, items_amount: int, currency: str) -> _Delivery:
    """Every delivery option in the order's currency, priced for its books (Stripe's page offers
    the same options whatever the address, and at most five)."""
    countries: set[str] = set()
    options = []
    for option in orders.active_options(session):
        if option.currency != currency:
            continue
        countries |= option.country_codes
        options.append(
            payments.ShippingRateData(
                code=option.code,
                name=option.name,
                amount=orders.quote(option, items_amount).amount,
                min_days=option.min_days,
                max_days=option.max_days,
            )
        )
    return _Delivery(sorted(countries), options[:MAX_SHIPPING_OPTIONS])


def _create(
    reference: str,
    lines: Sequence[LineRequest],
    priced: Sequence[payments.CheckoutLine],
    currency: str,
    email: str,
    capture_method: str,
    urls: ReturnUrls,
    expires_at: datetime,
    delivery: _Delivery,
    replacing: str | None = None,
) -> payments.CheckoutSession:
    """A Checkout Session for the order's books at the shop's prices (never the browser's)."""
    total = sum(line.unit_amount * line.quantity for line in priced)
    metadata, description = orders.payment_description(reference, lines)
    expiry = int(expires_at.timestamp())
    return payments.create_checkout_session(
        reference=reference,
        lines=priced,
        currency=currency,
        customer_email=email,
        allowed_countries=delivery.countries,
        shipping_options=delivery.options,
        capture_method=capture_method,
        metadata=metadata,
        description=description,
        success_url=urls.success,
        cancel_url=urls.cancel,
        expires_at=expiry,
        # The order, its amount, the session's end and the session it replaces: a double submit
        # gets the same session, a later attempt a new one.
        idempotency_key=f"checkout-{reference}-{total}{currency}-{expiry}-{replacing or 'first'}",
    )


def _url_of(checkout: payments.CheckoutSession) -> str:
    if not checkout.url:  # Stripe always gives an open session's page
        raise payments.PaymentError(f"checkout {checkout.id} has no page to pay on")
    return checkout.url


def _expire_quietly(checkout_session_id: str) -> None:
    try:
        payments.expire_checkout_session(checkout_session_id)
    except payments.PaymentError as exc:
        log.warning("checkout %s for a sold-out order not expired: %s", checkout_session_id, exc)
