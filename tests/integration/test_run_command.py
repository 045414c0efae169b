"""`python -m bookshop_dev` (what `make run` runs) on a fresh directory: emulator child,
test-mode banner, clean stop."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

CLEARED = (
    "STRIPE_",
    "DATABASE_URL",
    "SECRET_KEY",
    "BOOKSHOP_ENV",
    "PAYMENTS_NOTICE",
    "INSTANCE_PATH",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"run exited early with {process.returncode}"
        try:
            return requests.get(url, timeout=5)
        except (requests.ConnectionError, requests.Timeout):  # not up, or its first answer slow
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds}s")


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def run_shop(tmp_path):
    processes = []

    def start(**env_overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
        env.update(env_overrides)
        process = subprocess.Popen(
            [sys.executable, "-m", "bookshop_dev"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


def test_run_without_stripe_keys_uses_the_emulator_stops_cleanly_and_restarts(run_shop, tmp_path):
    shop_port, emulator_port = free_port(), free_port()
    env = {"PORT": str(shop_port), "STRIPE_EMULATOR_PORT": str(emulator_port)}
    state = tmp_path / "instance" / "webhook_endpoint.json"
    process = run_shop(**env)

    home = wait_for(f"http://127.0.0.1:{shop_port}/", process)
    checkout = requests.get(
        f"http://127.0.0.1:{shop_port}/checkout/working-in-public", timeout=5
    ).text

    assert home.status_code == 200
    assert "Test mode: payments are simulated locally" in home.text
    assert "S$23.00" in home.text
    assert f'src="http://127.0.0.1:{emulator_port}/v3/"' in checkout
    assert 'data-publishable-key="pk_test_emulator"' in checkout
    endpoint = json.loads(state.read_text())
    assert endpoint["url"] == f"http://localhost:{shop_port}/webhooks/stripe"  # from SHOP_URL
    assert (tmp_path / "instance" / "bookshop.db").exists()
    assert (tmp_path / "instance" / "emulator.db").exists()
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert listening(emulator_port)

    process.send_signal(signal.SIGINT)  # what Ctrl-C does
    assert process.wait(timeout=30) == 0
    output = process.stdout.read().decode()
    assert not listening(emulator_port) and not listening(shop_port)
    assert "Traceback" not in output
    assert endpoint["secret"] not in output

    # A restart keeps the data and the webhook endpoint; SIGTERM stops it as cleanly as Ctrl-C.
    again = run_shop(**env)
    assert "S$23.00" in wait_for(f"http://127.0.0.1:{shop_port}/", again).text
    assert json.loads(state.read_text()) == endpoint
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=30) == 0
    assert not listening(emulator_port)


def test_production_without_stripe_keys_refuses_to_start(run_shop):
    process = run_shop(BOOKSHOP_ENV="production", SECRET_KEY="s" * 40, PORT=str(free_port()))
    assert process.wait(timeout=30) != 0
    assert b"STRIPE_SECRET_KEY is required in production" in process.stdout.read()
