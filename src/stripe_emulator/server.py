"""Run the emulator: an HTTP server in a thread, with its webhook dispatcher."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .app import create_app
from .core import Ctx, Emulator
from .faults import Faults
from .resources import checkout_sessions
from .store import Store
from .webhooks import Dispatcher

log = logging.getLogger("stripe_emulator")


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive, so that SDK clients reuse their connections; quiet by default."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if log.isEnabledFor(logging.DEBUG):
            super().log_request(code, size)


class EmulatorServer:
    """A running emulator: `.url`, the keys it accepts, `.stop()`."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: str = DEFAULT_SECRET_KEY,
        publishable_key: str = DEFAULT_PUBLISHABLE_KEY,
        reset: bool = False,
    ) -> None:
        self.store = Store(db_path)
        if reset:
            self.store.reset()
        faults = Faults()
        self.emulator = Emulator(
            store=self.store,
            secret_key=secret_key,
            publishable_key=publishable_key,
            faults=faults,
        )
        self.dispatcher = Dispatcher(self.store, faults)
        self.emulator.dispatcher = self.dispatcher
        self.app = create_app(self.emulator)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_Handler
        )
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None
        self.dispatcher.on_tick.append(self._expire_sessions)

    @property
    def url(self) -> str:
        """The API base, e.g. http://127.0.0.1:12111."""
        return f"http://{self.host}:{self.port}"

    @property
    def secret_key(self) -> str:
        """The secret key the API accepts."""
        return self.emulator.secret_key

    @property
    def publishable_key(self) -> str:
        """The publishable key Stripe.js calls accept."""
        return self.emulator.publishable_key

    def _expire_sessions(self) -> None:
        ctx = Ctx(em=self.emulator, base_url=self.url)
        if checkout_sessions.expire_due(ctx):
            self.dispatcher.wake()

    def start(self) -> EmulatorServer:
        """Serve in a background thread."""
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.dispatcher.start()
        try:
            self._server.serve_forever()
        finally:
            self.dispatcher.stop()
            self.store.close()

    def stop(self) -> None:
        """Stop serving and delivering; close the store."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.dispatcher.stop()
        self.store.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
