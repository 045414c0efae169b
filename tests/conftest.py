"""Fixtures shared by every test suite: a running Stripe emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_emulator.server import EmulatorServer


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """One emulator for the whole run, on a free port with a temporary data file."""
    server = EmulatorServer(tmp_path_factory.mktemp("emulator") / "stripe.db").start()
    yield server
    server.stop()
