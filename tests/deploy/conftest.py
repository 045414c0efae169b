"""Fixtures for the production-server tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .server_support import Server


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(env: dict[str, str], command: str = "serve", ready: bool = True) -> Server:
        server = Server(env, tmp_path, command)
        servers.append(server)
        if ready and command == "serve":
            server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()
