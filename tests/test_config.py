"""Embedded defaults, secrets from the environment, SQLite tuned, PostgreSQL by URL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from products.models import Shop
from shop import create_app
from shop.extensions import db


def test_a_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_secret_key_comes_from_the_environment_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_selects_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user@db.example:5432/market")
    app = create_app()
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example:5432/market"
    )


@pytest.mark.parametrize(
    ("database_url", "chosen", "backend"),
    [
        (None, None, "whoosh"),
        ("postgresql+psycopg://user@db.example:5432/market", None, "postgresql"),
        ("postgresql+psycopg://user@db.example:5432/market", "whoosh", "whoosh"),
    ],
)
def test_search_runs_in_postgresql_on_postgresql_unless_chosen(
    tmp_path, monkeypatch, database_url, chosen, backend
):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name, value in (("DATABASE_URL", database_url), ("SEARCH_BACKEND", chosen)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    app = create_app()
    assert app.config["SEARCH_BACKEND"] == backend
    assert app.extensions["search_backend"] == backend


def test_the_postgresql_search_backend_on_sqlite_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SEARCH_BACKEND", "postgresql")
    with pytest.raises(RuntimeError, match="needs a PostgreSQL DATABASE_URL"):
        create_app()


def test_default_payments_are_the_sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    assert create_app().config["PAYMENT_GATEWAY"] == "sandbox"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.create_all()
        # A shop pointing at a missing owner and region is refused by the database itself.
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            db.session.add(Shop(owner_id=999, region_id=999, slug="s", name_zh="店"))
            db.session.commit()


def test_the_per_address_login_limit_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LOGIN_ADDRESS_LIMIT", raising=False)
    assert create_app().config["LOGIN_ADDRESS_LIMIT"] is None
    monkeypatch.setenv("LOGIN_ADDRESS_LIMIT", "30 per 15 minutes")
    assert create_app().config["LOGIN_ADDRESS_LIMIT"] == "30 per 15 minutes"


def test_trusted_proxies_come_from_the_environment_and_default_to_none(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert create_app().config["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert create_app().config["TRUSTED_PROXIES"] == 1


@pytest.mark.parametrize("value", ["yes", "-1", "1.5", "²"])
def test_a_trusted_proxies_value_that_is_not_a_count_stops_the_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app()
