"""`python -m bookshop reconcile`: what Stripe has, compared with the orders, and repaired."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from flask import Flask

from bookshop.cli import cli
from bookshop.reconcile import parse_moment
from shop_support import (
    Shop,
    command_environment,
    emails_about,
    moves,
    order_of,
    shop_receiving_webhooks,
)
from stripe_emulator import RunningEmulator


@pytest.fixture(scope="module")
def emulator(private_emulator: RunningEmulator) -> RunningEmulator:
    """An emulator of this module's own, emptied before each test (reconcile lists everything)."""
    return private_emulator


@pytest.fixture
def shop(app: Flask, emulator: RunningEmulator, faults: Callable, tmp_path: Path) -> Iterator[Shop]:
    requests.post(f"{emulator.url}/_emulator/reset", timeout=10).raise_for_status()
    faults({"webhooks": {"retry_base_seconds": 0.1}})
    with shop_receiving_webhooks(app, emulator, tmp_path) as shop:
        yield shop


@pytest.fixture
def reconcile(
    database_url: str, emulator: RunningEmulator, tmp_path: Path
) -> Callable[..., Result]:
    """Run the command as an operator would, with the shop's settings in the environment."""
    env = {**command_environment(database_url, tmp_path / "cli", emulator), "STRIPE_TIMEOUT": "5"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["reconcile", *args], env=env)

    return run


def counts(output: str, kind: str) -> dict[str, int]:
    """One row of the report's table: seen, matched, repaired, unknown, failed (mismatched,
    between the last two, is left out: no test here makes one)."""
    numbers = r"\s+(\d+)" * 4 + r"\s+\d+" + r"\s+(\d+)"
    match = re.search(rf"^{kind}{numbers}\s*$", output, re.M)
    assert match, output
    names = ("seen", "matched", "repaired", "unknown", "failed")
    return dict(zip(names, map(int, match.groups()), strict=True))


def test_reconcile_applies_what_dropped_webhooks_missed_and_nothing_the_second_time(
    shop, faults, session, reconcile
):
    faults({"webhooks": {"drop": 1.0}})  # every delivery lost: Stripe will never retry them
    paid, refunded, disputed, unpaid, declined = (shop.place() for _ in range(5))
    shop.pay(paid)
    shop.pay(refunded)
    shop.api("POST", "/v1/refunds", payment_intent=refunded.payment_intent, amount=1000)
    shop.pay(disputed, "4000000000000259")
    shop.pay(declined, "4000000000000002")
    shop.api("POST", "/v1/payment_intents", amount=500, currency="sgd")  # not the shop's
    shop.flush()
    assert order_of(session, paid).status == "pending_payment"

    first = reconcile("--since", "1h")

    assert first.exit_code == 0, first.output
    assert counts(first.output, "payment intents") == {
        "seen": 6,
        "matched": 2,
        "repaired": 3,
        "unknown": 1,
        "failed": 0,
    }
    assert counts(first.output, "refunds")["repaired"] == 1
    assert counts(first.output, "disputes")["repaired"] == 1
    assert "pending_payment -> paid" in first.output
    states = {
        name: order_of(session, placed).status
        for name, placed in {
            "paid": paid,
            "refunded": refunded,
            "disputed": disputed,
            "unpaid": unpaid,
            "declined": declined,
        }.items()
    }
    assert states == {
        "paid": "paid",
        "refunded": "partially_refunded",
        "disputed": "disputed",
        "unpaid": "pending_payment",
        "declined": "pending_payment",
    }
    for placed in (paid, refunded, disputed):
        assert emails_about(session, placed) == 1

    second = reconcile("--since", "1h")

    assert second.exit_code == 0, second.output
    assert counts(second.output, "payment intents")["repaired"] == 0
    assert counts(second.output, "refunds") == {
        "seen": 1,
        "matched": 1,
        "repaired": 0,
        "unknown": 0,
        "failed": 0,
    }
    assert "Nothing to repair." in second.output
    assert moves(order_of(session, refunded)) == ["pending_payment", "paid", "partially_refunded"]
    assert emails_about(session, refunded, "order_refunded") == 1


def test_after_webhooks_delivered_everything_reconcile_finds_nothing_to_repair(
    shop, session, reconcile
):
    placed = shop.place()
    shop.pay(placed)
    shop.api("POST", "/v1/refunds", payment_intent=placed.payment_intent)
    shop.flush()
    assert order_of(session, placed).status == "refunded"

    result = reconcile("--since", "10m")

    assert result.exit_code == 0, result.output
    assert counts(result.output, "payment intents")["matched"] == 1
    assert counts(result.output, "refunds")["matched"] == 1
    assert "Nothing to repair." in result.output


def test_a_refund_of_a_payment_the_shop_never_heard_of_pays_then_refunds_the_order(
    shop, faults, session, reconcile
):
    faults({"webhooks": {"drop": 1.0}})
    placed = shop.place()
    shop.pay(placed)
    shop.api("POST", "/v1/refunds", payment_intent=placed.payment_intent)
    shop.flush()

    # The payment itself is outside the window (only refunds are listed); its refund is not.
    until = datetime.now(UTC) + timedelta(minutes=1)
    result = reconcile("--since", "10m", "--until", until.isoformat())

    assert result.exit_code == 0, result.output
    assert moves(order_of(session, placed)) == ["pending_payment", "paid", "refunded"]


def test_only_objects_created_in_the_window_are_compared(shop, faults, session, reconcile):
    faults({"webhooks": {"drop": 1.0}})
    placed = shop.place()
    shop.pay(placed)
    shop.flush()

    result = reconcile("--since", "2020-01-01", "--until", "2020-01-02")

    assert result.exit_code == 0, result.output
    assert counts(result.output, "payment intents")["seen"] == 0
    assert order_of(session, placed).status == "pending_payment"


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "last tuesday"),
        ("--since", "1h", "--until", "2h"),  # ends before it starts
    ],
)
def test_a_bad_window_is_refused(reconcile, args):
    result = reconcile(*args)
    assert result.exit_code == 2
    assert "Invalid value" in result.output


def test_stripe_being_unavailable_stops_with_a_clear_message(shop, faults, reconcile):
    faults({"errors": [{"status": 500, "path": "/v1/payment_intents"}]})
    result = reconcile("--since", "1h")
    assert result.exit_code == 1
    assert "Stripe could not be asked" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", datetime(2026, 11, 28, 10, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 11, 28, 0, 0, tzinfo=UTC)),
        ("3d", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
        ("1w", datetime(2026, 11, 21, 12, 0, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:00:00+08:00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_window_edges_are_ages_or_iso_dates(text, expected):
    assert parse_moment(text, datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) == expected
