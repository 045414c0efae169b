"""Hosted Checkout in the domain: a Checkout Session as Stripe reports it, applied to the order it
was opened for through the same functions as the shop's own checkout page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Order, Payment
from ..payments.objects import CheckoutSession, CheckoutStatus, IntentStatus, PaymentIntent
from .delivery import address_collected, delivery_collected
from .lookup import find_payment
from .placing import order_expired, payment_mirrored, payment_started, payment_updated
from .statuses import OrderStatus, lock_order


def checkout_session_updated(session: Session, order: Order, checkout: CheckoutSession) -> Order:
    """Stripe reported one of the order's Checkout Sessions (read back with its PaymentIntent):
    the address and delivery chosen on Stripe's page land on the order before its payment is
    applied, so the total they make is what the payment must cover; an expired session expires
    the order it was last opened for, unless something else is paying it."""
    lock_order(session, order)
    complete = checkout.status == CheckoutStatus.COMPLETE
    if complete and order.status == OrderStatus.PENDING_PAYMENT:
        address = address_collected(checkout.shipping) if checkout.shipping else None
        delivery_collected(session, order, checkout.chosen_shipping, address)
        order.checkout_session_id = checkout.id  # the session that took the money
        session.flush()
    intent = checkout.intent
    if intent is not None:
        payment = checkout_payment(session, order, intent)
        if checkout.status == CheckoutStatus.EXPIRED and intent.status == IntentStatus.CANCELED:
            payment_mirrored(payment, intent)  # the order expires below, for that reason
        else:
            payment_updated(session, payment, intent)
    current = order.checkout_session_id == checkout.id
    unpaid = all(payment.status == IntentStatus.CANCELED for payment in order.payments)
    if checkout.status == CheckoutStatus.EXPIRED and current and unpaid:
        if order.status == OrderStatus.PENDING_PAYMENT:
            order_expired(session, order)
    return order


def checkout_payment(session: Session, order: Order, intent: PaymentIntent) -> Payment:
    """The shop's record of a session's PaymentIntent: Checkout creates the PaymentIntent itself,
    so the order learns of it from the session."""
    payment = find_payment(session, intent.id)
    if payment is None:
        payment = payment_started(session, order, intent)
        session.flush()
    return payment
