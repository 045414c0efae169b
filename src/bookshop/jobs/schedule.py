"""When each job runs (APScheduler). With REDIS_URL the worker puts each job on the queue once per
slot, however many workers there are; without it (`make run`), one process of the shop runs the
jobs itself, chosen by a lock file in the instance folder."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)

# Seconds between runs of each job.
SCHEDULE: dict[str, int] = {
    "send_emails": 5,  # the outbox: a confirmation reaches the customer within seconds
    "expire_orders": 60,
    "retry_refunds": 300,
    "reprocess_events": 60,
    "reconcile": 3600,
    "warn_holds": 3600,
}
# Jobs that also run as soon as the schedule starts (reconcile waits its hour).
AT_START = ("send_emails", "expire_orders", "retry_refunds", "reprocess_events", "warn_holds")
LOCK_FILE = "jobs.lock"


def _scheduler() -> BackgroundScheduler:
    # APScheduler logs every run at INFO; the jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone="UTC",
    )


def start_enqueuing(redis_url: str) -> BackgroundScheduler:
    """Put each job on the Redis queue on its schedule (one job per slot across workers)."""
    from .queue import enqueue, slot_of

    scheduler = _scheduler()
    for name, seconds in SCHEDULE.items():
        scheduler.add_job(
            lambda n=name, s=seconds: enqueue(redis_url, n, slot_of(s)),
            "interval",
            seconds=seconds,
            id=name,
            name=f"enqueue {name}",
            next_run_time=datetime.now().astimezone() if name in AT_START else None,
        )
    scheduler.start()
    return scheduler


def start_in_process(app: Flask) -> threading.Thread:
    """Run the schedule inside this process once it holds the instance's job lock; a process
    that waits takes over when the holder exits."""
    thread = threading.Thread(target=_lead_then_run, args=(app,), name="bookshop-jobs", daemon=True)
    thread.start()
    return thread


def _lead_then_run(app: Flask) -> None:
    path = Path(app.config["INSTANCE_PATH"]) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # kept open for the life of the process: it holds the lock
    fcntl.flock(handle, fcntl.LOCK_EX)  # waits while another process runs the schedule
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    log.info("jobs: running the schedule in process %d", os.getpid())
    run_schedule(app)


def run_schedule(app: Flask) -> BackgroundScheduler:
    """Run every job in this process on its schedule."""
    from .tasks import run

    scheduler = _scheduler()
    for name, seconds in SCHEDULE.items():
        scheduler.add_job(
            _quietly,
            "interval",
            args=(run, name, app),
            seconds=seconds,
            id=name,
            name=name,
            next_run_time=datetime.now().astimezone() if name in AT_START else None,
        )
    scheduler.start()
    return scheduler


def _quietly(run: Callable[[str, Flask], int], name: str, app: Flask) -> None:
    # A failure is logged by the job; the next run tries again.
    try:
        run(name, app)
    except Exception:
        return
