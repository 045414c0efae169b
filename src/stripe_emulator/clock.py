"""The emulator's time: the real time, moved forward by tests so that days pass in seconds."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an offset that only grows, as a Stripe test clock only moves forward."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        return time.time() + self.offset

    def now(self) -> int:
        """Whole seconds, as Stripe's `created` and other timestamps."""
        return int(time.time() + self.offset)

    def advance(self, seconds: float) -> float:
        """Move forward by seconds; returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self.offset += seconds
            return self.offset

    def reset(self) -> None:
        """Back to the real time."""
        with self._lock:
            self.offset = 0.0
