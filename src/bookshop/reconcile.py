"""Reconciliation: Stripe's Checkout Sessions, PaymentIntents, refunds and disputes over a
window, compared with the orders; whatever the shop missed (a dropped webhook, a refund made in
the dashboard) is applied through the Stripe-sync layer the webhooks use too. Running it twice
changes nothing the second time."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from . import orders, payments, stripe_sync
from .models import Order, Payment

log = logging.getLogger(__name__)

T = TypeVar("T")
# Wraps an iterable to show progress (tqdm in the command line); `total` may be None.
Progress = Callable[[Iterable[T], int | None, str], Iterable[T]]


class Kind(StrEnum):
    """The Stripe objects compared, in the order they are applied (a hosted Checkout Session
    brings its PaymentIntent to the order, so sessions come first; payments before refunds)."""

    CHECKOUT_SESSION = "checkout sessions"
    PAYMENT_INTENT = "payment intents"
    REFUND = "refunds"
    DISPUTE = "disputes"


class Verdict(StrEnum):
    """How one Stripe object compared with the shop's records."""

    MATCHED = "matched"  # the shop already knew
    REPAIRED = "repaired"  # the shop had missed something; now applied
    UNKNOWN = "unknown"  # not about a payment the shop made
    MISMATCHED = "mismatched"  # the shop's record still differs from Stripe's: a person must look
    FAILED = "failed"  # could not be applied; see the detail


@dataclass(frozen=True)
class Line:
    """One Stripe object's result."""

    kind: Kind
    stripe_id: str
    verdict: Verdict
    detail: str = ""


@dataclass
class Report:
    """What a run found, by kind and verdict."""

    since: datetime
    until: datetime
    lines: list[Line] = field(default_factory=list)

    def count(self, kind: Kind | None = None, verdict: Verdict | None = None) -> int:
        return sum(
            1
            for line in self.lines
            if (kind is None or line.kind == kind) and (verdict is None or line.verdict == verdict)
        )

    @property
    def ok(self) -> bool:
        return self.count(verdict=Verdict.FAILED) + self.count(verdict=Verdict.MISMATCHED) == 0

    def render(self) -> str:
        """The report as text: a table of counts, then each repaired, unknown and failed object."""
        out = [f"Stripe objects created {_when(self.since)} to {_when(self.until)}", ""]
        header = f"{'':18}{'seen':>8}" + "".join(f"{v.value:>10}" for v in Verdict)
        out.append(header)
        for kind in Kind:
            counts = Counter(line.verdict for line in self.lines if line.kind == kind)
            out.append(
                f"{kind.value:18}{sum(counts.values()):>8}"
                + "".join(f"{counts[v]:>10}" for v in Verdict)
            )
        for verdict, title in (
            (Verdict.REPAIRED, "Repaired"),
            (Verdict.UNKNOWN, "Unknown to the shop"),
            (Verdict.MISMATCHED, "Differs from Stripe, needs a person"),
            (Verdict.FAILED, "Failed"),
        ):
            chosen = [line for line in self.lines if line.verdict == verdict]
            if chosen:
                out += ["", f"{title}:"]
                out += [f"  {line.stripe_id}  {line.detail}".rstrip() for line in chosen]
        if not self.count(verdict=Verdict.REPAIRED):
            out += ["", "Nothing to repair."]
        return "\n".join(out)


def reconcile(
    session: Session, since: datetime, until: datetime, progress: Progress[Any] | None = None
) -> Report:
    """Compare what Stripe has for objects created in [since, until) with the orders; repair."""
    show: Progress[Any] = progress or (lambda items, _total, _desc: items)
    # Stripe's `created` is whole seconds: round outwards so nothing at either edge is missed.
    start, end = math.floor(since.timestamp()), math.ceil(until.timestamp())
    session.commit()  # no transaction stays open while pages are fetched from Stripe
    found: list[tuple[Kind, Any]] = []
    for kind, listed in (
        (Kind.CHECKOUT_SESSION, payments.list_checkout_sessions(start, end)),
        (Kind.PAYMENT_INTENT, payments.list_payment_intents(start, end)),
        (Kind.REFUND, payments.list_refunds(start, end)),
        (Kind.DISPUTE, payments.list_disputes(start, end)),
    ):
        found += [(kind, obj) for obj in show(listed, None, f"listing {kind.value}")]
    # Oldest first within each kind, payments before refunds before disputes: the order in
    # which they happened, so each change finds the order where the previous one left it.
    report = Report(since=since, until=until)
    for kind, obj in show(found, len(found), "reconciling"):
        report.lines.append(_reconcile_one(session, kind, obj))
    log.info(
        "reconciled %d Stripe objects: %d repaired, %d unknown, %d failed",
        len(report.lines),
        report.count(verdict=Verdict.REPAIRED),
        report.count(verdict=Verdict.UNKNOWN),
        report.count(verdict=Verdict.FAILED),
    )
    return report


def _apply(
    session: Session, kind: Kind, obj: Any, intent: payments.PaymentIntent | None
) -> Order | None:
    if kind == Kind.PAYMENT_INTENT:
        return stripe_sync.apply_payment_intent(session, obj)
    if kind == Kind.REFUND:
        return stripe_sync.apply_refund(session, obj, intent)
    return stripe_sync.apply_dispute(session, obj, intent)


def _reconcile_one(session: Session, kind: Kind, obj: Any) -> Line:
    """Apply one Stripe object in its own transaction and say whether anything changed."""
    if kind == Kind.CHECKOUT_SESSION:
        return _reconcile_session(session, obj)
    payment_intent_id = obj.id if kind == Kind.PAYMENT_INTENT else obj.payment_intent
    try:
        payment = orders.find_payment(session, payment_intent_id) if payment_intent_id else None
        if payment is None:
            session.rollback()
            return Line(kind, obj.id, Verdict.UNKNOWN, _unknown_detail(obj))
        intent = None
        if kind != Kind.PAYMENT_INTENT:
            # Its payment may be older than the window and still unrecorded: read it as well.
            intent = stripe_sync.payment_if_unrecorded(session, payment.payment_intent_id)
        session.commit()  # no transaction stays open across that call
        order = orders.lock_order(session, payment.order)
        before = _fingerprint(order)
        _apply(session, kind, obj, intent)
        session.flush()
        session.expire_all()  # read back what the domain functions wrote, Core updates included
        after = _fingerprint(order)
        session.commit()
    except Exception as exc:  # one bad object must not stop the others
        session.rollback()
        log.exception("reconciling %s failed", obj.id)
        return Line(kind, obj.id, Verdict.FAILED, f"{type(exc).__name__}: {exc}"[:300])
    if kind == Kind.PAYMENT_INTENT:
        difference = _difference(payment, obj)
        if difference:
            log.error("reconcile: order %s: %s", order.reference, difference)
            return Line(kind, obj.id, Verdict.MISMATCHED, f"order {order.reference}: {difference}")
    if before == after:
        return Line(kind, obj.id, Verdict.MATCHED)
    return Line(kind, obj.id, Verdict.REPAIRED, _change(order.reference, before, after))


def _reconcile_session(session: Session, checkout: payments.CheckoutSession) -> Line:
    """Apply a hosted Checkout Session (read with its PaymentIntent) to the order it names."""
    kind = Kind.CHECKOUT_SESSION
    reference = checkout.client_reference_id
    try:
        order = orders.find_order_by_reference(session, reference) if reference else None
        if order is None:
            session.rollback()
            detail = f"{checkout.status}, {checkout.amount_total} {checkout.currency}"
            return Line(kind, checkout.id, Verdict.UNKNOWN, detail)
        orders.lock_order(session, order)
        before = _fingerprint(order)
        stripe_sync.apply_checkout_session(session, checkout)
        session.flush()
        session.expire_all()
        after = _fingerprint(order)
        session.commit()
    except Exception as exc:  # one bad object must not stop the others
        session.rollback()
        log.exception("reconciling %s failed", checkout.id)
        return Line(kind, checkout.id, Verdict.FAILED, f"{type(exc).__name__}: {exc}"[:300])
    if before == after:
        return Line(kind, checkout.id, Verdict.MATCHED)
    return Line(kind, checkout.id, Verdict.REPAIRED, _change(order.reference, before, after))


def _difference(payment: Payment, intent: payments.PaymentIntent) -> str:
    """How the shop's record of a PaymentIntent still differs from Stripe's after applying it."""
    if payment.problem:
        return payment.problem
    if payment.status != intent.status:
        return f"recorded as {payment.status}, Stripe says {intent.status}"
    if (payment.amount_received, payment.currency) != (intent.amount_received, intent.currency):
        return (
            f"recorded {payment.amount_received} {payment.currency} received, "
            f"Stripe says {intent.amount_received} {intent.currency}"
        )
    return ""


Fingerprint = tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]


def _fingerprint(order: Order) -> Fingerprint:
    """What reconciliation may change about an order: status, payments, refunds, disputes."""
    return (
        order.status,
        tuple(sorted((p.payment_intent_id, p.status, p.amount_received) for p in order.payments)),
        tuple(sorted((r.id, r.stripe_refund_id or "", r.status, r.amount) for r in order.refunds)),
        tuple(sorted((d.stripe_dispute_id, d.status) for d in order.disputes)),
    )


def _change(reference: str, before: Fingerprint, after: Fingerprint) -> str:
    parts = [f"order {reference}"]
    if before[0] != after[0]:
        parts.append(f"{before[0]} -> {after[0]}")
    else:
        parts.append(f"still {after[0]}")
    for index, name in ((1, "payment"), (2, "refunds"), (3, "disputes")):
        if before[index] != after[index]:
            parts.append(f"{name} updated")
    return ", ".join(parts)


def _unknown_detail(obj: Any) -> str:
    amount = f"{obj.amount} {obj.currency}"
    reference = getattr(obj, "metadata", {}).get("order_reference")
    status = getattr(obj, "status", "")
    described = f"{status}, {amount}"
    return f"{described}, names order {reference}" if reference else described


def parse_moment(text: str, now: datetime) -> datetime:
    """A point in time from the command line: an age before `now` (90m, 12h, 3d, 1w) or an ISO
    date or time (UTC unless it names its zone); ValueError otherwise."""
    value = text.strip().lower()
    match = _AGE.fullmatch(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{_AGE_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an age such as 12h or 3d nor a date such as 2026-11-28"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_AGE = re.compile(r"(\d{1,6})\s*([mhdw])")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
