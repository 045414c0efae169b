"""No slowdown as the store fills: every query the API and its background work run uses an index."""

from __future__ import annotations

import sqlite3
import time

import pytest
import stripe
from emulator_support import WebhookReceiver, flush, sdk, set_faults

from stripe_emulator import EmulatorServer, RunningEmulator


def workload(
    client: stripe.StripeClient, server: RunningEmulator, receiver: WebhookReceiver
) -> None:
    """A bit of everything: payments, refunds, lists by every filter, webhooks, jobs, ticks."""
    client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
    intent = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        },
        options={"idempotency_key": "scaling"},
    )
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 100})
    client.v1.payment_intents.list(params={"limit": 3, "starting_after": intent.id})
    client.v1.payment_intents.list(params={"ending_before": intent.id, "created": {"gte": 1}})
    client.v1.charges.list(params={"payment_intent": intent.id})
    client.v1.refunds.list(params={"charge": intent.latest_charge})
    client.v1.events.list(params={"types": ["charge.succeeded", "refund.created"]})
    client.v1.disputes.list(params={"payment_intent": intent.id})
    client.v1.checkout.sessions.list(params={"status": "open"})
    set_faults(server, {"payments": {"settle_seconds": 0.05}})
    client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    flush(server)
    time.sleep(1.2)  # the once-a-second sweeps: session expiry, old idempotency keys


def test_every_query_searches_an_index(
    in_process: EmulatorServer, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    store = in_process.runtime.store
    open_connection = store._open

    def traced() -> sqlite3.Connection:
        connection = open_connection()
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(store, "_open", traced)
    for connection in store._all:
        connection.set_trace_callback(statements.append)

    try:
        workload(sdk(in_process), in_process, receiver)
    finally:
        for connection in store._all:
            connection.set_trace_callback(None)

    queries = {
        sql
        for sql in statements
        if sql.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")
        and "FROM objects" in sql
        or "FROM deliveries" in sql
        or "FROM jobs" in sql
        or "FROM idempotency_keys" in sql
    }
    assert len(queries) > 10
    explain = sqlite3.connect(store.path)
    try:
        scans = {
            sql: steps
            for sql in queries
            if (steps := [row[-1] for row in explain.execute(f"EXPLAIN QUERY PLAN {sql}")])
            and any(step.startswith("SCAN") for step in steps)
        }
    finally:
        explain.close()
    assert scans == {}
