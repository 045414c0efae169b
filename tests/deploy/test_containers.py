"""What CI can check of the containers without an image registry: the compose file has the stack
it must have, the Dockerfile runs as a non-root user with a health check, and the container's
commands work on this machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from .server_support import production_env, seed_database

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_two_app_instances_behind_a_proxy_with_worker_postgres_and_redis():
    services = compose()["services"]
    assert {"proxy", "app1", "app2", "worker", "postgres", "redis", "migrate"} <= set(services)
    assert services["stripe-emulator"]["profiles"] == ["emulator"]
    assert services["migrate"]["command"] == ["python", "-m", "bookshop", "migrate"]
    assert services["worker"]["command"] == ["python", "-m", "bookshop", "worker"]
    for name in ("app1", "app2", "worker"):
        env = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SHOP_URL", "TRUSTED_PROXY_COUNT"} <= set(env)
        assert env["BOOKSHOP_ENV"] == "production"
        assert env["TRUSTED_PROXY_COUNT"] == "1"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server app1:8000" in nginx and "server app2:8000" in nginx
    # The proxy replaces the client's forwarding headers instead of appending to them.
    assert "X-Forwarded-For $remote_addr" in nginx


def test_compose_keeps_secrets_out_of_the_file():
    text = (ROOT / "compose.yaml").read_text()
    for secret in ("sk_live_", "sk_test_", "whsec_", "SECRET_KEY:"):
        assert secret not in text


def test_the_image_runs_as_a_numeric_non_root_user_with_a_readiness_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1].split("AS emulator", 1)[0]
    assert "USER 10001:10001" in runtime
    assert 'CMD ["python", "-m", "bookshop", "healthcheck"]' in runtime
    assert 'CMD ["python", "-m", "bookshop", "serve"]' in runtime
    assert "stripe_emulator" not in runtime
    assert "pip install -c constraints.txt ." in dockerfile  # runtime dependencies only


def test_the_health_check_command_asks_the_running_shop(
    database_url, emulator, tmp_path, start_server
):
    env = production_env(database_url, emulator)
    seed_database(env, tmp_path)
    server = start_server(env)
    check = [sys.executable, "-m", "bookshop", "healthcheck", "--port", str(server.port)]
    ready = subprocess.run(check, env=env, capture_output=True, text=True, timeout=60)
    assert ready.returncode == 0, ready.stderr
    assert '"status":"ready"' in ready.stdout
    server.stop()
    gone = subprocess.run(check, env=env, capture_output=True, text=True, timeout=60)
    assert gone.returncode == 1
