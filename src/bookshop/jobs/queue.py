"""The Redis job queue (RQ, on connection.py's client): jobs are enqueued by name with one id per
schedule slot, so two schedulers enqueue a slot once; failures are retried, then kept in RQ's
failed registry."""

from __future__ import annotations

import os
import time

from rq import Queue, Retry, SimpleWorker
from rq.exceptions import DuplicateJobError

from .connection import redis_connection

# Several shops (or test runs) can share one Redis under names of their own.
QUEUE_NAME = os.environ.get("JOB_QUEUE", "").strip() or "bookshop"
JOB_TIMEOUT = 15 * 60
# A failed or crashed job is tried again after these pauses (seconds), then left in the failed
# registry for a person (`rq info`, `python -m bookshop jobs`).
RETRY_INTERVALS = [10, 60, 300]


def queue(url: str) -> Queue:
    """The shop's queue on this Redis."""
    return Queue(QUEUE_NAME, connection=redis_connection(url))


def enqueue(url: str, name: str, slot: str | None = None) -> bool:
    """Put job `name` on the queue; with `slot`, only if no job of that name and slot exists.
    False when it was already there."""
    job_id = f"{name}-{slot}" if slot else None
    try:
        queue(url).enqueue_call(
            "bookshop.jobs.tasks.run",
            args=(name,),
            job_id=job_id,
            unique=job_id is not None,
            timeout=JOB_TIMEOUT,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"bookshop job {name}",
        )
    except DuplicateJobError:
        return False
    return True


def slot_of(interval_seconds: int, now: float | None = None) -> str:
    """The schedule slot a moment falls in: the same for every scheduler."""
    moment = time.time() if now is None else now
    return str(int(moment // interval_seconds))


def work(url: str, burst: bool = False) -> None:
    """Run jobs from the queue in this process until stopped (SIGTERM finishes the current job)."""
    worker = SimpleWorker([queue(url)], connection=redis_connection(url))
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
