"""The production server's workers cap glibc's per-thread heaps, and load only what serving the
shop needs."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from bookshop import server


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_the_heaps_are_capped_where_the_c_library_is_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert server.limit_malloc_arenas() is True


def test_a_cap_given_in_the_environment_is_left_to_glibc(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert server.limit_malloc_arenas() is False


# What a web worker serves; the modules it must not load for that (each stays in its memory).
WEB_WORKER = """
import json, sys
from bookshop import create_app
client = create_app().test_client()
for path in ("/", "/checkout/the-art-of-doing-science-and-engineering", "/healthz"):
    assert client.get(path).status_code == 200, path
ready = client.get("/readyz").json
loaded = [name for name in ("rq", "alembic", "argon2", "pyotp", "segno") if name in sys.modules]
print(json.dumps({"checks": ready["checks"], "loaded": loaded}))
"""


def test_a_web_worker_loads_no_job_queue_migrations_or_back_office_sign_in(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_URL"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "s" * 48,
        "STRIPE_SECRET_KEY": "sk_test_unit",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_unit",
        "REDIS_URL": "redis://127.0.0.1:9/0",  # a production setting; nothing needs to answer
    }
    for command in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "bookshop", command], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", WEB_WORKER], env=env, capture_output=True, text=True, check=True
    )
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["checks"]["database"] == "ok"  # at the migrations' head, read without Alembic
    assert answer["checks"]["redis"] == "unreachable"
    assert answer["loaded"] == []
