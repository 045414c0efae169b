"""Background jobs on Redis: one job per schedule slot however many workers enqueue it, failures
retried and kept visible, emails sent once with two workers, and the in-process schedule."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from redis import Redis

from bookshop.jobs import queue, tasks
from bookshop.mailer import queue_email
from bookshop.models import Email
from shop_support import HAMMING, count, new_order

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url(monkeypatch):
    """A Redis database of this test's own keys: the queue's name is unique to the test."""
    try:
        Redis.from_url(REDIS).ping()
    except Exception:
        pytest.skip("no Redis at " + REDIS)
    monkeypatch.setattr(queue, "QUEUE_NAME", f"bookshop-test-{uuid.uuid4().hex[:8]}")
    yield REDIS
    shop_queue = queue.queue(REDIS)
    shop_queue.empty()
    shop_queue.delete(delete_jobs=True)


def test_two_schedulers_enqueue_one_slot_once(redis_url):
    slot = queue.slot_of(60, now=1_000_000)
    assert queue.enqueue(redis_url, "send_emails", slot) is True
    assert queue.enqueue(redis_url, "send_emails", slot) is False
    assert queue.queue(redis_url).count == 1
    assert queue.enqueue(redis_url, "send_emails", queue.slot_of(60, now=1_000_060)) is True


def test_an_unknown_job_is_refused():
    with pytest.raises(ValueError, match="unknown job"):
        tasks.run("mine_bitcoin")


def queued_emails(session, n):
    order = new_order(session, (HAMMING, 1))
    for i in range(n):
        queue_email(session, order, "test", f"test:{i}", f"Subject {i}", "Body")
    session.commit()


def test_two_workers_draining_the_outbox_send_each_email_once(app, session, tmp_path):
    queued_emails(session, 30)
    outbox = tmp_path / "outbox"
    app.config["OUTBOX_DIR"] = str(outbox)
    # Two workers' jobs at the same moment, each in a session of its own.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda _: tasks.run("send_emails", app), range(2)))
    assert sum(sent) == 30
    assert len(list(outbox.glob("test-*.eml"))) == 30
    assert count(session, Email, Email.sent_at.is_(None)) == 0


def test_a_worker_runs_queued_jobs_and_keeps_a_failed_one_visible(
    redis_url, database_url, emulator, tmp_path, monkeypatch
):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_URL"))},
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "STRIPE_SECRET_KEY": emulator.secret_key,
        "STRIPE_PUBLISHABLE_KEY": emulator.publishable_key,
        "STRIPE_API_BASE": emulator.url,
        "REDIS_URL": redis_url,
        "JOB_QUEUE": queue.QUEUE_NAME,
    }
    assert queue.enqueue(redis_url, "expire_orders")
    shop_queue = queue.queue(redis_url)
    shop_queue.enqueue_call("bookshop.jobs.tasks.run", args=("no_such_job",))
    done = subprocess.run(
        [sys.executable, "-m", "bookshop", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert shop_queue.count == 0
    assert len(shop_queue.finished_job_registry) == 1
    assert len(shop_queue.failed_job_registry) == 1
