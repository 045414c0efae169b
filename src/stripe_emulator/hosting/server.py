"""The emulator inside this process: waitress in a background thread, for tests and embedding."""

from __future__ import annotations

import threading
from pathlib import Path

from waitress.server import create_server

from .defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .runtime import Runtime


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
        self.runtime = Runtime(
            db_path, secret_key=secret_key, publishable_key=publishable_key, reset=reset
        )
        self._server = create_server(
            self.runtime.app,
            host=host,
            port=port,
            threads=16,
            ident="stripe-emulator",
            # Stripe.js and the SDK keep connections open; so may many test clients.
            connection_limit=1000,
            channel_timeout=60,
        )
        self.host = host
        # waitress's type stubs leave out effective_port, the server's _map and its trigger.
        self.port: int = self._server.effective_port  # type: ignore[union-attr]
        self.runtime.url = self.url
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        """The API base, e.g. http://127.0.0.1:12111."""
        return f"http://{self.host}:{self.port}"

    @property
    def secret_key(self) -> str:
        """The secret key the API accepts."""
        return self.runtime.emulator.secret_key

    @property
    def publishable_key(self) -> str:
        """The publishable key Stripe.js calls accept."""
        return self.runtime.emulator.publishable_key

    def start(self) -> EmulatorServer:
        """Serve in a background thread."""
        self.runtime.start()
        self._thread = threading.Thread(
            target=self._server.run, name="stripe-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering; close the store. Stopping twice is harmless."""
        if self._stopped:
            return
        self._stopped = True
        server = self._server

        def close_everything() -> None:
            # Runs inside the server's loop thread, so no select() is left on a closed socket;
            # the loop ends once its map is empty.
            for channel in list(server._map.values()):  # type: ignore[union-attr]
                channel.close()

        server.task_dispatcher.shutdown(timeout=5)  # let requests under way finish first
        if self._thread is not None and self._thread.is_alive():
            try:
                server.trigger.pull_trigger(close_everything)  # type: ignore[union-attr]
            except OSError:
                # The loop's wake-up pipe is gone already; close the sockets from here instead.
                server.close()
            self._thread.join(timeout=5)
        else:
            server.close()
        self.runtime.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
