"""Restarts: objects, endpoints, keys and pending deliveries survive; --reset wipes; the CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests
import stripe
from emulator_support import WebhookReceiver, deliveries, flush, sdk, set_faults, wait_until

from stripe_emulator import RunningEmulator

Start = Callable[..., RunningEmulator]


def test_everything_survives_a_restart(start_emulator: Start, receiver: WebhookReceiver) -> None:
    first = start_emulator()
    client = sdk(first)
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["payment_intent.succeeded"]}
    )
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "metadata": {"order": "5"}},
        options={"idempotency_key": "order-5"},
    )
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    flush(first)
    first.stop()

    second = start_emulator()
    again = sdk(second)

    found = again.v1.payment_intents.retrieve(intent.id)
    assert (found.status, found.metadata.to_dict()) == ("succeeded", {"order": "5"})
    assert again.v1.refunds.retrieve(refund.id).amount == 300
    assert again.v1.charges.retrieve(found.latest_charge).amount_refunded == 300
    assert again.v1.webhook_endpoints.retrieve(endpoint.id).url == receiver.url
    assert len(again.v1.events.list().data) == 5
    replayed = again.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "metadata": {"order": "5"}},
        options={"idempotency_key": "order-5"},
    )
    assert replayed.id == intent.id
    assert [delivery["status"] for delivery in deliveries(second)] == ["succeeded"]


def test_a_pending_delivery_is_sent_after_a_restart(
    start_emulator: Start, receiver: WebhookReceiver
) -> None:
    first = start_emulator()
    client = sdk(first)
    secret = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["*"]}
    ).secret
    set_faults(first, {"webhooks": {"paused": True}})
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    assert [delivery["status"] for delivery in deliveries(first)] == ["pending"]
    first.stop()

    second = start_emulator()
    [request] = receiver.wait_for(1)

    event = request.event(secret)
    assert (event.type, event.data.object.id) == ("payment_intent.created", intent.id)
    flush(second)
    assert [delivery["status"] for delivery in deliveries(second)] == ["succeeded"]


def test_a_payment_settling_later_settles_after_a_restart(start_emulator: Start) -> None:
    first = start_emulator()
    set_faults(first, {"payments": {"settle_seconds": 0.3}})
    intent = sdk(first).v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
        }
    )
    first.stop()

    second = start_emulator()
    client = sdk(second)

    assert intent.status == "processing"
    settled = wait_until(
        lambda: (
            (found := client.v1.payment_intents.retrieve(intent.id)).status == "succeeded" and found
        )
    )
    assert settled.amount_received == 1000


def test_reset_option_wipes_the_data_file(start_emulator: Start) -> None:
    first = start_emulator()
    sdk(first).v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    first.stop()

    second = start_emulator(reset=True)

    assert sdk(second).v1.payment_intents.list().data == []


def test_command_line_prints_the_url_and_keys_and_serves(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "stripe_emulator",
        "--port",
        "0",
        "--db",
        str(tmp_path / "e.db"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(3)]
            url = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
            assert url is not None, lines
            assert "sk_test_emulator" in lines[1] and "pk_test_emulator" in lines[2]
            client = stripe.StripeClient("sk_test_emulator", base_addresses={"api": url.group(0)})
            assert client.v1.payment_intents.list().data == []
            assert requests.get(f"{url.group(0)}/v3/", timeout=5).status_code == 200
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0


def test_command_line_refuses_live_keys(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stripe_emulator",
            "--db",
            str(tmp_path / "e.db"),
            "--secret-key",
            "sk_live_x",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "test mode" in result.stderr


def test_command_line_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "stripe_emulator", "--port", str(port)]
            + ["--db", str(tmp_path / "e.db")],
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert "Stripe emulator on" not in result.stdout
