"""The emulator as a program of its own: its API app served by granian, set up from the environment.

granian handles HTTP in Rust and runs the app in one worker process, so the emulator's Python
time goes to the API itself. The worker builds its `Runtime` from the variables below, which
`serve()` sets before granian starts it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import os
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from .ports import wait_for_port
from .runtime import Runtime

DB_VARIABLE = "STRIPE_EMULATOR_DB"
URL_VARIABLE = "STRIPE_EMULATOR_URL"
SECRET_KEY_VARIABLE = "STRIPE_EMULATOR_SECRET_KEY"
PUBLISHABLE_KEY_VARIABLE = "STRIPE_EMULATOR_PUBLISHABLE_KEY"
LOG_LEVEL_VARIABLE = "STRIPE_EMULATOR_LOG_LEVEL"
# Latency faults sleep in a thread, and Stripe itself answers any number of calls at once: with
# 300 ms of latency, 128 threads still start ~400 payments a second, so a load test measures the
# shop and not the stand-in.
THREADS = 128


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
    # Run at the worker's exit: multiprocessing children leave without running atexit handlers.
    multiprocessing.util.Finalize(runtime, runtime.stop, exitpriority=10)
    return runtime.app


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
