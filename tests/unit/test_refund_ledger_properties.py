"""The refund ledger under any sequence of refunds asked for by copies or for everything left,
refunds made in the dashboard, refunds that fail or are canceled, and reports repeated: never more
refunded than was captured, per line and per order, and the stock back by exactly what was
refunded."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshop import orders
from bookshop.orders import OrderError, OrderStatus
from bookshop.payments import Refund as StripeRefund
from shop_support import HAMMING, PUBLIC, intent_for, line_of, new_order, stock

SLUGS = (HAMMING, PUBLIC)
UNIT = {HAMMING: 2300, PUBLIC: 2800}
LIVE_AT_STRIPE = ("pending", "requires_action", "succeeded")
SETTLED = ("succeeded", "failed", "canceled")


@dataclass
class StripeSide:
    """Refunds as Stripe has them, and what the ledger should make of them."""

    paid: int
    copies: dict[str, int]  # slug -> copies bought
    refunds: list[dict] = field(default_factory=list)  # id, amount, status, copies, row

    def ledger(self, statuses: tuple[str, ...]) -> int:
        return sum(r["amount"] for r in self.refunds if r["status"] in statuses)

    @property
    def refunded(self) -> int:
        return self.ledger(("succeeded",))

    @property
    def left(self) -> int:
        return max(self.paid - self.ledger(LIVE_AT_STRIPE), 0)

    def copies_left(self, slug: str) -> int:
        taken = sum(r["copies"].get(slug, 0) for r in self.refunds if r["status"] in LIVE_AT_STRIPE)
        return self.copies[slug] - taken

    def copies_refunded(self, slug: str) -> int:
        return sum(r["copies"].get(slug, 0) for r in self.refunds if r["status"] == "succeeded")


def report(session, order, refund: dict) -> None:
    """Stripe's news of a refund as the sync layer hands it to the domain: its state now."""
    metadata = {"refund_id": str(refund["row"])} if refund["row"] is not None else {}
    orders.refund_updated(
        session,
        StripeRefund(
            id=refund["id"],
            amount=refund["amount"],
            currency=order.currency,
            status=refund["status"],
            payment_intent=order.payments[0].payment_intent_id,
            charge="ch_1",
            reason=None,
            metadata=metadata,
        ),
    )


ask_copies = st.tuples(
    st.just("ask"), st.fixed_dictionaries({s: st.integers(-1, 3) for s in SLUGS})
)
ask_everything = st.tuples(st.just("ask_everything"), st.none())
settle = st.tuples(
    st.just("settle"),
    st.tuples(st.integers(0, 7), st.sampled_from(("succeeded", "failed", "canceled", "pending"))),
)
dashboard = st.tuples(
    st.just("dashboard"),
    st.tuples(st.integers(1, 12000), st.sampled_from(("succeeded", "pending", "failed"))),
)
repeat = st.tuples(st.just("repeat"), st.integers(0, 7))
steps = st.lists(st.one_of(ask_copies, ask_everything, settle, dashboard, repeat), max_size=10)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hamming=st.integers(1, 3),
    public=st.integers(1, 2),
    steps=steps,
)
def test_no_sequence_of_refunds_returns_more_than_was_captured(session, hamming, public, steps):
    order = new_order(session, (HAMMING, hamming), (PUBLIC, public))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    session.flush()
    shelf = {slug: stock(session, slug) for slug in SLUGS}
    lines = {slug: line_of(order, slug).id for slug in SLUGS}
    stripe = StripeSide(order.total_amount, {HAMMING: hamming, PUBLIC: public})
    try:
        for kind, arg in steps:
            if kind in ("ask", "ask_everything"):
                asked = {lines[s]: q for s, q in arg.items()} if kind == "ask" else None
                expected = expected_plan(stripe, arg)
                try:
                    plan = orders.plan_refund(order, asked)
                except OrderError:
                    plan = None
                got = None
                if plan is not None:
                    by_slug = {
                        s: plan.quantities[lines[s]] for s in SLUGS if lines[s] in plan.quantities
                    }
                    got = (plan.amount, by_slug)
                assert got == expected, f"asked {arg}"
                if plan is not None:
                    row = orders.refund_requested(session, order, plan)
                    copies = {s: plan.quantities.get(lines[s], 0) for s in SLUGS}
                    stripe.refunds.append(
                        dict(
                            id=f"re_shop{len(stripe.refunds)}",
                            amount=plan.amount,
                            status="pending",
                            copies=copies,
                            row=row.id,
                        )
                    )
            elif kind == "settle" and stripe.refunds:
                refund = stripe.refunds[arg[0] % len(stripe.refunds)]
                if refund["status"] in ("pending", "requires_action"):
                    refund["status"] = arg[1]
                report(session, order, refund)
            elif kind == "dashboard":
                amount, status = arg
                if amount <= stripe.left:  # Stripe itself refuses more than the charge has left
                    refund = dict(
                        id=f"re_dash{len(stripe.refunds)}",
                        amount=amount,
                        status=status,
                        copies={},
                        row=None,
                    )
                    stripe.refunds.append(refund)
                    report(session, order, refund)
            elif kind == "repeat" and stripe.refunds:
                report(session, order, stripe.refunds[arg % len(stripe.refunds)])
            session.flush()
            session.expire(order)
            assert_ledger_matches(session, order, stripe, lines, shelf)
    finally:
        session.rollback()


def expected_plan(stripe: StripeSide, asked: dict[str, int] | None):
    """What a refund request should come to, worked out from Stripe's side alone."""
    if stripe.refunded >= stripe.paid:
        return None  # the order is refunded: nothing more can be asked for
    if asked is None:
        if stripe.left <= 0:
            return None
        copies = {s: stripe.copies_left(s) for s in SLUGS if stripe.copies_left(s) > 0}
        return stripe.left, copies
    chosen = {s: q for s, q in asked.items() if q}
    if not chosen or any(not 0 <= q <= stripe.copies_left(s) for s, q in chosen.items()):
        return None
    amount = sum(UNIT[s] * q for s, q in chosen.items())
    return None if amount > stripe.left else (amount, chosen)


def assert_ledger_matches(session, order, stripe: StripeSide, lines, shelf) -> None:
    money = orders.balance(order)
    # One ledger row per refund (asked for by the shop, or made in the dashboard and reported),
    # however often Stripe reported it; and the money agrees with Stripe's.
    assert len(order.refunds) == len(stripe.refunds)
    assert money.paid == stripe.paid
    assert money.refunded == stripe.refunded
    assert money.refunded + money.pending_refunds <= money.paid
    # Per line: never more copies refunded or being refunded than were bought.
    taken = orders.refunded_quantities(order)
    for slug in SLUGS:
        assert taken[lines[slug]] == stripe.copies[slug] - stripe.copies_left(slug)
        assert taken[lines[slug]] <= stripe.copies[slug]
        # The shelf gets back exactly the copies whose refund succeeded.
        assert stock(session, slug) == shelf[slug] + stripe.copies_refunded(slug)
    expected_status = (
        OrderStatus.PAID
        if money.refunded == 0
        else OrderStatus.REFUNDED
        if money.refunded >= money.paid
        else OrderStatus.PARTIALLY_REFUNDED
    )
    assert order.status == expected_status


@pytest.mark.parametrize(
    ("first", "then", "accepted"),
    [
        ({HAMMING: 1}, {HAMMING: 1}, True),  # exactly the copy left
        ({HAMMING: 1}, {HAMMING: 2}, False),  # one more than left
        ({HAMMING: 2}, {HAMMING: 1}, False),  # none left
        ({PUBLIC: 1}, {HAMMING: 2}, True),  # another line's refund leaves this one whole
    ],
)
@pytest.mark.parametrize("first_status", ["pending", "succeeded"])
def test_copies_refunded_or_being_refunded_are_not_refunded_again(
    session, first, then, accepted, first_status
):
    order = new_order(session, (HAMMING, 2), (PUBLIC, 1))
    payment = orders.payment_started(session, order, intent_for(order, "requires_payment_method"))
    orders.payment_updated(session, payment, intent_for(order, "succeeded"))
    lines = {slug: line_of(order, slug).id for slug in SLUGS}
    plan = orders.plan_refund(order, {lines[s]: q for s, q in first.items()})
    row = orders.refund_requested(session, order, plan)
    amount = plan.amount
    refund = dict(id="re_1", amount=amount, status=first_status, copies={}, row=row.id)
    report(session, order, refund)
    session.flush()
    session.expire(order)

    asked = {lines[s]: q for s, q in then.items()}
    if accepted:
        assert dict(orders.plan_refund(order, asked).quantities) == asked
    else:
        with pytest.raises(OrderError, match="You can refund at most"):
            orders.plan_refund(order, asked)
