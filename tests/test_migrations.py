"""Every schema change is a migration; migrations go up and down on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from shop.extensions import db
from tests.helpers import BACKEND, POSTGRES_URL, build_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a scratch PostgreSQL database."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(POSTGRES_URL)
    scratch = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    yield url.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_leaves_the_schema_the_models_describe(
    tmp_path, empty_database_url
):
    app = build_app(tmp_path / "instance", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        assert _tables() == set(db.metadata.tables)
        downgrade(revision="base")
        assert _tables() == set()
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == [], "a model changed without a migration (flask db migrate)"
        db.engine.dispose()


def test_upgrade_keeps_existing_rows(tmp_path, empty_database_url):
    app = build_app(tmp_path / "instance", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade(revision="base")
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO category (slug, name_zh, name_en, position, created_at, updated_at)"
                " VALUES ('fruit', '鲜果', 'Fresh fruit', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
        upgrade()  # already at head: a second upgrade must leave rows alone
        assert db.session.execute(text("SELECT name_en FROM category")).scalar() == "Fresh fruit"
        db.session.remove()
        db.engine.dispose()
