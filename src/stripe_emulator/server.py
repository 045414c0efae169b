"""Run the emulator: an HTTP server in a thread, with its webhook dispatcher."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from waitress import create_server

from . import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY, jobs
from .app import IDEMPOTENCY_TTL, create_app
from .core import Ctx, Emulator
from .faults import Faults
from .resources import checkout_sessions
from .store import Store
from .webhooks import Dispatcher

log = logging.getLogger("stripe_emulator")


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
        self._server = create_server(
            self.app,
            host=host,
            port=port,
            threads=16,
            ident="stripe-emulator",
            # Stripe.js and the SDK keep connections open; so may many test clients.
            connection_limit=1000,
            channel_timeout=60,
        )
        self.host = host
        self.port = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.dispatcher.on_tick.append(self._expire_sessions)
        self.dispatcher.on_tick.append(self._forget_old_idempotency_keys)
        self.dispatcher.on_poll.append(self._run_jobs)

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

    def _run_jobs(self) -> None:
        if jobs.run_due(self.emulator, self.url):
            self.dispatcher.wake()

    def _forget_old_idempotency_keys(self) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency_keys WHERE created < ?", (time.time() - IDEMPOTENCY_TTL,)
            )

    def start(self) -> EmulatorServer:
        """Serve in a background thread."""
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.run, name="stripe-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.dispatcher.start()
        try:
            self._server.run()
        finally:
            self.dispatcher.stop()
            self.store.close()

    def stop(self) -> None:
        """Stop serving and delivering; close the store. Stopping twice is harmless."""
        if self._stopped:
            return
        self._stopped = True
        server = self._server

        def close_everything() -> None:
            # Runs inside the server's loop thread, so no select() is left on a closed socket;
            # the loop ends once its map is empty.
            for channel in list(server._map.values()):
                channel.close()

        server.task_dispatcher.shutdown(timeout=5)  # let requests under way finish first
        if self._thread is not None and self._thread.is_alive():
            server.trigger.pull_trigger(close_everything)
            self._thread.join(timeout=5)
        else:
            server.close()
        self.dispatcher.stop()
        self.store.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
