"""Webhooks end to end under the emulator's faults: duplicated, concurrent, shuffled, late,
refused and crashing deliveries still reach each order exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from bookshop import orders
from bookshop.models import Refund, StripeEvent
from shop_support import Shop, count, emails_about, moves, order_of, shop_receiving_webhooks
from stripe_emulator import RunningEmulator


@pytest.fixture(scope="module")
def emulator(private_emulator: RunningEmulator) -> RunningEmulator:
    """An emulator of this module's own: faults are global to an emulator."""
    return private_emulator


@pytest.fixture
def shop(app: Flask, emulator: RunningEmulator, faults: Callable, tmp_path: Path) -> Iterator[Shop]:
    # Retries a fraction of a second apart, so that tests see Stripe's retries quickly.
    faults({"webhooks": {"retry_base_seconds": 0.1, "timeout_seconds": 10}})
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- duplicates and concurrency ---------------------------------------------------------------


def test_the_same_event_delivered_five_times_pays_once_with_one_email(shop, faults, session):
    faults({"webhooks": {"duplicate": 5}})
    placed = shop.place()

    shop.pay(placed)
    shop.flush()

    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    attempts = [a for d in shop.deliveries(succeeded["id"]) for a in d["attempt_log"]]
    assert [a["status"] for a in attempts] == [200] * 5
    assert session.get(StripeEvent, succeeded["id"]).attempts == 1


def test_one_event_posted_ten_times_at_once_is_applied_once(shop, session):
    shop.control("webhooks/pause")
    placed = shop.place()
    shop.pay(placed)
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    start = threading.Barrier(10)
    answers: list[requests.Response] = []

    def deliver() -> None:
        start.wait()
        answers.append(shop.post_event(succeeded))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 10
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1


def test_ten_copies_of_every_event_from_stripe_at_once_pay_once(shop, faults, session):
    faults({"webhooks": {"duplicate": 10}})
    placed = shop.place()

    shop.pay(placed)
    shop.flush()

    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1


# --- order of arrival -------------------------------------------------------------------------


def test_shuffled_events_leave_every_order_in_the_right_state(shop, faults, session):
    shop.control("webhooks/pause")
    faults({"webhooks": {"shuffle": True, "duplicate": 2}})
    paid, retried, declined, canceled, refunded, part, disputed = (shop.place() for _ in range(7))
    shop.pay(paid)
    shop.pay(retried, "4000000000000002")
    shop.pay(retried)
    shop.pay(declined, "4000000000009995")
    shop.api("POST", f"/v1/payment_intents/{canceled.payment_intent}/cancel")
    shop.pay(refunded)
    shop.api("POST", "/v1/refunds", payment_intent=refunded.payment_intent)
    shop.pay(part)
    shop.api("POST", "/v1/refunds", payment_intent=part.payment_intent, amount=500)
    shop.pay(disputed, "4000000000000259")

    shop.control("webhooks/resume")
    shop.flush()

    states = {
        "paid": paid,
        "paid after a decline": retried,
        "pending_payment": declined,
        "canceled": canceled,
        "refunded": refunded,
        "partially_refunded": part,
        "disputed": disputed,
    }
    found = {name: order_of(session, placed).status for name, placed in states.items()}
    assert found == {
        "paid": "paid",
        "paid after a decline": "paid",
        "pending_payment": "pending_payment",
        "canceled": "canceled",
        "refunded": "refunded",
        "partially_refunded": "partially_refunded",
        "disputed": "disputed",
    }
    for placed in (paid, retried, refunded, part, disputed):
        assert emails_about(session, placed) == 1
    assert count(session, Refund) == 2


def test_the_webhook_pays_the_order_when_the_browser_never_returns(shop, session, client):
    placed = shop.place()

    shop.pay(placed)
    shop.flush()

    assert order_of(session, placed).status == "paid"
    # The customer comes back later after all: the page shows it, nothing is applied again.
    page = client.get(
        f"/checkout/complete?payment_intent={placed.payment_intent}"
        f"&payment_intent_client_secret={placed.client_secret}"
    )
    assert page.status_code == 200
    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1


def test_the_return_page_and_the_webhook_at_the_same_moment_apply_it_once(shop, session):
    shop.control("webhooks/pause")
    placed = shop.place()
    shop.pay(placed)
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    return_page = (
        f"{shop.server.url}/checkout/complete?payment_intent={placed.payment_intent}"
        f"&payment_intent_client_secret={placed.client_secret}"
    )
    start = threading.Barrier(8)
    statuses: list[int] = []

    def browser() -> None:
        start.wait()
        statuses.append(requests.get(return_page, timeout=30).status_code)

    def stripe() -> None:
        start.wait()
        statuses.append(shop.post_event(succeeded).status_code)

    threads = [threading.Thread(target=f) for f in (browser, stripe) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 8
    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1


# --- failures ----------------------------------------------------------------------------------


def test_events_missed_while_the_shop_was_down_arrive_with_stripes_retries(shop, session):
    shop.server.stop()  # connection refused
    placed = shop.place()
    shop.pay(placed)
    shop.flush()
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    assert shop.deliveries(succeeded["id"])[0]["status"] == "pending"  # to be retried

    shop.server.start()  # back, on the same address

    wait_for(lambda: order_of(session, placed).status == "paid")
    shop.flush()
    assert emails_about(session, placed) == 1
    log = shop.deliveries(succeeded["id"])[0]
    assert log["status"] == "succeeded" and log["attempts"] >= 2


def test_events_refused_while_the_secret_was_missing_are_caught_up(shop, session):
    secret = shop.app.config["STRIPE_WEBHOOK_SECRET"]
    shop.app.config["STRIPE_WEBHOOK_SECRET"] = None  # misconfigured: every event gets 503
    placed = shop.place()
    shop.pay(placed)
    shop.flush()
    assert order_of(session, placed).status == "pending_payment"
    assert count(session, StripeEvent) == 0

    shop.app.config["STRIPE_WEBHOOK_SECRET"] = secret

    wait_for(lambda: order_of(session, placed).status == "paid")


def test_a_crash_in_a_handler_is_rolled_back_and_the_redelivery_succeeds(
    shop, session, monkeypatch
):
    real = orders.payment_updated
    crashes = []

    def crash_once(session_, payment, intent, **kwargs):
        if intent.status == "succeeded" and not crashes:
            crashes.append(intent.id)
            real(session_, payment, intent, **kwargs)  # changes made, then the crash: rolled back
            raise RuntimeError("handler crashed")
        return real(session_, payment, intent, **kwargs)

    monkeypatch.setattr(orders, "payment_updated", crash_once)
    placed = shop.place()

    shop.pay(placed)

    wait_for(lambda: order_of(session, placed).status == "paid")
    shop.flush()
    (succeeded,) = shop.events(placed.payment_intent, "payment_intent.succeeded")
    stored = session.get(StripeEvent, succeeded["id"])
    assert (stored.attempts, stored.last_error) == (2, None)
    statuses = [a["status"] for a in shop.deliveries(succeeded["id"])[0]["attempt_log"]]
    assert statuses == [500, 200]
    assert moves(order_of(session, placed)) == ["pending_payment", "paid"]
    assert emails_about(session, placed) == 1


# --- refunds and disputes from outside the shop -----------------------------------------------


def test_a_refund_made_straight_through_the_api_appears_on_the_order(shop, session):
    placed = shop.place()
    shop.pay(placed)
    shop.flush()

    refund = shop.api("POST", "/v1/refunds", payment_intent=placed.payment_intent, amount=1000)
    shop.flush()

    order = order_of(session, placed)
    assert order.status == "partially_refunded"
    assert [(r.stripe_refund_id, r.amount, r.status) for r in order.refunds] == [
        (refund["id"], 1000, "succeeded")
    ]
    assert orders.balance(order).refundable == order.total_amount - 1000
    assert emails_about(session, placed, "order_refunded") == 1


def test_a_refund_that_fails_after_succeeding_ends_failed_in_the_ledger(shop, session):
    placed = shop.place()
    shop.pay(placed, "4000000000005126")
    shop.flush()

    shop.api("POST", "/v1/refunds", payment_intent=placed.payment_intent)
    wait_for(lambda: [r.status for r in order_of(session, placed).refunds] == ["failed"])


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_the_dispute_card_marks_the_order_disputed_then_decided(shop, session, outcome):
    placed = shop.place()

    shop.pay(placed, "4000000000000259")
    shop.flush()

    assert order_of(session, placed).status == "disputed"
    (dispute,) = shop.api("GET", f"/v1/disputes?payment_intent={placed.payment_intent}")["data"]
    shop.control(f"disputes/{dispute['id']}/close", status=outcome)
    shop.flush()
    assert moves(order_of(session, placed)) == ["pending_payment", "paid", "disputed", outcome]
