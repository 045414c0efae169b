"""One emulator without its HTTP server: store, API app, webhook dispatcher and housekeeping."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .. import jobs
from ..app import IDEMPOTENCY_TTL, create_app
from ..clock import Clock
from ..core import CLOCK_OFFSET, Ctx, Emulator
from ..delivery import Dispatcher
from ..faults import Faults
from ..resources import checkout_sessions, holds, payment_flow, refunds
from ..store import Store
from .defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY


def settle_payment(ctx: Ctx, intent: str) -> None:
    """A processing payment goes through or declines, and its Checkout Session follows."""
    settled = payment_flow.settle(ctx, intent)
    if settled is not None:
        checkout_sessions.payment_settled(ctx, settled)


JOB_HANDLERS: dict[str, jobs.Handler] = {
    jobs.SETTLE_PAYMENT: settle_payment,
    jobs.FAIL_REFUND: refunds.fail,
    jobs.EXPIRE_AUTHORIZATION: holds.expire,
}


class Runtime:
    """Everything an HTTP server needs to serve the emulator: `.app`, `.start()`, `.stop()`.

    `url` is where the emulator is reached, for the links that background jobs hand out; a
    server that learns its port only once bound sets it before calling `start()`.
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        url: str = "",
        secret_key: str = DEFAULT_SECRET_KEY,
        publishable_key: str = DEFAULT_PUBLISHABLE_KEY,
        reset: bool = False,
    ) -> None:
        self.url = url
        self.store = Store(db_path)
        if reset:
            self.store.reset()
        faults = Faults()
        # A clock moved forward stays there across a restart: the stored objects' times agree.
        clock = Clock(float(self.store.setting(CLOCK_OFFSET) or 0))
        self.emulator = Emulator(
            store=self.store,
            secret_key=secret_key,
            publishable_key=publishable_key,
            faults=faults,
            clock=clock,
        )
        self.dispatcher = Dispatcher(self.store, faults, clock)
        self.emulator.dispatcher = self.dispatcher
        self.app: Flask = create_app(self.emulator)
        self.dispatcher.on_tick.append(self._expire_sessions)
        self.dispatcher.on_tick.append(self._forget_old_idempotency_keys)
        self.dispatcher.on_poll.append(self._run_jobs)
        self._stopped = False

    def start(self) -> Runtime:
        """Start delivering webhooks and running due jobs in the background."""
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        """Stop delivering and close the store. Stopping twice is harmless."""
        if self._stopped:
            return
        self._stopped = True
        self.dispatcher.stop()
        self.store.close()

    def _expire_sessions(self) -> None:
        ctx = Ctx(em=self.emulator, base_url=self.url)
        if checkout_sessions.expire_due(ctx):
            self.dispatcher.wake()

    def _run_jobs(self) -> None:
        if jobs.run_due(self.emulator, self.url, JOB_HANDLERS):
            self.dispatcher.wake()

    def _forget_old_idempotency_keys(self) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency_keys WHERE created < ?",
                (self.emulator.clock.time() - IDEMPOTENCY_TTL,),
            )
