"""The Alembic migrations build exactly the schema the models describe, and reverse cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bookshop.database import alembic_ini, make_engine, upgrade
from bookshop.models import Base
from bookshop.testing import database_kind, temporary_database


def test_the_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path):
    with temporary_database(database_kind(), tmp_path) as url:
        engine = make_engine(url)
        try:
            config = Config(str(alembic_ini()))
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade(engine)
            upgrade(engine)  # a second run is a no-op
            assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
