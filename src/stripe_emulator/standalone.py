"""The emulator as a program of its own: its API app served by granian, set up from the environment.

granian handles HTTP in Rust and runs the app in one worker process, so the emulator's Python
time goes to the API itself. The worker builds its `Runtime` from the variables below, which
`serve()` sets before granian starts it. `EmulatorProcess` runs that program as a child process.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from . import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .runtime import Runtime

DB_VARIABLE = "STRIPE_EMULATOR_DB"
URL_VARIABLE = "STRIPE_EMULATOR_URL"
SECRET_KEY_VARIABLE = "STRIPE_EMULATOR_SECRET_KEY"
PUBLISHABLE_KEY_VARIABLE = "STRIPE_EMULATOR_PUBLISHABLE_KEY"
LOG_LEVEL_VARIABLE = "STRIPE_EMULATOR_LOG_LEVEL"
# As many requests at once as the in-process server takes: latency faults sleep in a thread.
THREADS = 16


class _KnownWarnings(logging.Filter):
    """Drop granian's advice against more threads than cores: the threads mostly sleep."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def app_from_environment() -> Flask:
    """Build and start the emulator in the serving process (granian's factory)."""
    logging.basicConfig(
        level=os.environ.get(LOG_LEVEL_VARIABLE, "INFO"),
        format="%(asctime)s %(name)s %(message)s",
    )
    runtime = Runtime(
        os.environ[DB_VARIABLE],
        url=os.environ[URL_VARIABLE],
        secret_key=os.environ[SECRET_KEY_VARIABLE],
        publishable_key=os.environ[PUBLISHABLE_KEY_VARIABLE],
    ).start()
    # Run at the worker's exit: granian forks its workers, which leave without atexit handlers.
    multiprocessing.util.Finalize(runtime, runtime.stop, exitpriority=10)
    return runtime.app


def free_port(host: str) -> int:
    """A port nobody listens on now, for `--port 0`."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether host:port can be bound by a socket that does not share it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        # As servers do: connections of a stopped server (TIME_WAIT) do not count, listeners do.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _family(host: str) -> socket.AddressFamily:
    return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]


def serve(
    db_path: Path,
    *,
    host: str,
    port: int,
    secret_key: str,
    publishable_key: str,
    verbose: bool = False,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; `on_listening` runs once the port accepts connections."""
    os.environ.update(
        {
            DB_VARIABLE: str(db_path),
            URL_VARIABLE: f"http://{host}:{port}",
            SECRET_KEY_VARIABLE: secret_key,
            PUBLISHABLE_KEY_VARIABLE: publishable_key,
            LOG_LEVEL_VARIABLE: "DEBUG" if verbose else "INFO",
        }
    )
    logging.getLogger("_granian").addFilter(_KnownWarnings())
    # A fresh interpreter for the worker rather than a fork of this process and its threads.
    multiprocessing.set_start_method("spawn", force=True)
    server = Granian(
        f"{__name__}:app_from_environment",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=THREADS,
        websockets=False,
        log_level=LogLevels.info if verbose else LogLevels.warning,
        log_access=verbose,
        # A worker that got SIGTERM before its handlers were set would otherwise be waited for
        # forever.
        workers_kill_timeout=5,
    )
    if on_listening is not None:
        # The worker process binds the port (granian uses SO_REUSEPORT on Linux), so the only
        # sure sign that it listens is a connection that succeeds.
        reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        threading.Thread(
            target=_call_when_listening, args=(reachable, port, on_listening), daemon=True
        ).start()
    server.serve()


def _call_when_listening(host: str, port: int, callback: Callable[[], None]) -> None:
    if wait_for_port(host, port, timeout=60):
        callback()


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Whether something accepts connections on host:port within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


class EmulatorProcess:
    """`python -m stripe_emulator` as a child process: `.url`, the keys it accepts, `.stop()`."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        reset: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port(host)
        self.reset = reset
        self.secret_key = DEFAULT_SECRET_KEY
        self.publishable_key = DEFAULT_PUBLISHABLE_KEY
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The API base, e.g. http://127.0.0.1:12111."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start the program and wait until it answers on its port."""
        command = [sys.executable, "-m", "stripe_emulator", "--host", self.host]
        command += ["--port", str(self.port), "--db", str(self.db_path)]
        if self.reset:
            command.append("--reset")
        # Its output goes beside the data file, to read when something goes wrong.
        with self.db_path.with_suffix(".log").open("ab") as log:
            # Its own process group, so that a stop that must force reaches granian's worker too.
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_until_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the emulator exited with code {self._process.returncode}")
            if wait_for_port(self.host, self.port, timeout=0.5) and self._serves_our_data():
                return
        raise RuntimeError(f"the emulator did not answer on {self.url} within {timeout}s")

    def _serves_our_data(self) -> bool:
        # The port was free when chosen; something else may have taken it since.
        try:
            with urllib.request.urlopen(f"{self.url}/_emulator/", timeout=5) as answer:
                data_file = json.load(answer).get("data_file", "")
        except (OSError, ValueError):
            return False
        return Path(data_file).resolve() == self.db_path.resolve()

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop it as a container runtime would (SIGTERM, then SIGKILL); its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
