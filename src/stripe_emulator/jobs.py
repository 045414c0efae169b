"""Work owed later (a payment settling, a refund failing), kept in the store to survive restarts.

Resources schedule a job by its kind; what each kind does is handed to `run_due` by whoever
assembles the emulator, so that this module knows no resource.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from .core import Ctx, Emulator

log = logging.getLogger("stripe_emulator")
SETTLE_PAYMENT = "settle_payment"
FAIL_REFUND = "fail_refund"
EXPIRE_AUTHORIZATION = "expire_authorization"
Handler = Callable[[Ctx, str], object]  # called with the object's id, in the job's transaction


def schedule(ctx: Ctx, kind: str, object_id: str, delay_seconds: float) -> None:
    """Run the job of this kind on the object after delay_seconds (in the caller's transaction)."""
    with ctx.store.transaction() as conn:
        conn.execute(
            "INSERT INTO jobs (kind, object_id, due_at) VALUES (?, ?, ?)",
            (kind, object_id, ctx.em.clock.time() + delay_seconds),
        )


def run_due(em: Emulator, base_url: str, handlers: Mapping[str, Handler]) -> bool:
    """Run every job that is due, each in its own transaction; whether any emitted events."""
    rows = em.store.query(
        "SELECT id, kind, object_id FROM jobs WHERE due_at <= ? ORDER BY due_at, id LIMIT 100",
        (em.clock.time(),),
    )
    emitted = False
    for row in rows:
        ctx = Ctx(em=em, base_url=base_url)
        try:
            with em.store.transaction() as conn:
                # Deleting first claims the job: it runs once even if two sweeps overlap.
                if conn.execute("DELETE FROM jobs WHERE id = ?", (row["id"],)).rowcount:
                    handlers[row["kind"]](ctx, row["object_id"])
        except Exception:  # a broken job must not stop the others, nor run again forever
            log.exception("job %s of %s failed", row["kind"], row["object_id"])
            with em.store.transaction() as conn:
                conn.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
        emitted = emitted or bool(ctx.emitted)
    return emitted
