"""The production HTTP server: gunicorn, gthread workers (processes × threads), set up from code so
that `python -m bookshop serve` and `make run` run the same server."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from . import payments
from .database import Database

log = logging.getLogger("bookshop.run")

# How long SIGTERM waits for requests in flight before the workers are stopped hard.
GRACEFUL_SECONDS = 30
# A worker silent for this long is restarted (a thread stuck past Stripe's own time limits).
WORKER_TIMEOUT = 120
# glibc gives each thread that allocates at once a heap of its own, up to eight per core, and
# keeps their free memory: with dozens of threads a worker grows by megabytes it never returns.
# Two heaps are plenty where the GIL lets one thread run Python at a time.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


class ServerError(RuntimeError):
    """The server could not start; the message says why."""


class _Application(BaseApplication):  # type: ignore[misc]
    """A gunicorn application serving an app already built (settings checked once, up front)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def options(host: str, port: int, workers: int, threads: int, log_level: str) -> dict[str, Any]:
    """gunicorn's settings for the shop."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": GRACEFUL_SECONDS,
        "timeout": WORKER_TIMEOUT,
        "keepalive": 5,
        # Proxy headers are the app's business (ProxyFix, TRUSTED_PROXY_COUNT): gunicorn must not
        # believe X-Forwarded-Proto itself, whoever sends it.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "proxy_allow_ips": "",
        "accesslog": None,  # the app logs each request itself, without query strings
        "errorlog": "-",
        "loglevel": log_level.lower(),
        "control_socket_disable": True,
        "post_fork": _after_fork,
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "proc_name": "bookshop",
    }


def limit_malloc_arenas() -> bool:
    """Cap glibc's per-thread heaps at MALLOC_ARENAS (before the threads start); False where
    the C library is not glibc or the setting was given in the environment."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS))
    except (OSError, AttributeError):  # musl, macOS: no such setting
        return False


def _after_fork(_arbiter: Arbiter, worker: Any) -> None:
    limit_malloc_arenas()  # before the worker's threads start
    # Connections opened before the fork (migrations, webhook registration) belong to the parent.
    app: Flask = worker.app.application
    if "DATABASE_URL" not in app.config:
        return  # not the shop (the benchmark's baseline app)
    Database.dispose(app, close=False)
    payments.init_app(app)
    if not app.config.get("REDIS_URL") and not app.config.get("TESTING"):
        from .jobs.schedule import start_in_process

        start_in_process(app)  # no queue: one of the workers runs the schedule


def run_server(app: Flask, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn in this process until it is stopped."""
    parent = os.getpid()
    settings = options(host, port, workers, threads, app.config.get("LOG_LEVEL", "INFO"))
    try:
        _Application(app, settings).run()
    except SystemExit as exc:
        if os.getpid() != parent:
            # A worker leaving: it must not run its parent's clean-up (the launcher's children).
            os._exit(exc.code if isinstance(exc.code, int) else 0)
        if exc.code not in (0, None):
            raise ServerError(f"the server stopped with status {exc.code}") from None
