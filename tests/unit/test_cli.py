"""The command line: migrate and seed, both safe to repeat."""

import pytest
from click.testing import CliRunner

from bookshop.cli import cli
from bookshop.testing import database_kind, temporary_database
from bookshop_dev.launcher import cli as run_cli


@pytest.fixture
def fresh_database_url(tmp_path):
    with temporary_database(database_kind(), tmp_path) as url:
        yield url


def test_migrate_then_seed_loads_the_catalog_once(fresh_database_url):
    runner = CliRunner()
    env = {"DATABASE_URL": fresh_database_url}

    migrated = runner.invoke(cli, ["migrate"], env=env)
    first = runner.invoke(cli, ["seed"], env=env)
    second = runner.invoke(cli, ["seed"], env=env)

    assert migrated.exit_code == 0, migrated.output
    assert "up to date" in migrated.output
    assert "catalog: 9 added, 0 updated, 0 unchanged" in first.output
    assert "catalog: 0 added, 0 updated, 9 unchanged" in second.output


def test_run_refuses_production_without_a_secret_key(tmp_path):
    result = CliRunner().invoke(
        run_cli,
        ["--port", "0"],
        env={
            "BOOKSHOP_ENV": "production",
            "SECRET_KEY": "",
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "INSTANCE_PATH": str(tmp_path),
        },
    )
    assert result.exit_code != 0
    assert "SECRET_KEY is not set" in result.output
