"""The command-line tasks: create-user, reindex, backup."""

import sqlite3

import pytest
from sqlalchemy import select

from shop.accounts.models import User
from shop.extensions import db
from tests.helpers import BACKEND


def test_create_user_with_a_role(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "Trainer@Example.test",
            "--role",
            "trainer",
            "--password",
            "long enough pass",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created trainer@example.test" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "trainer@example.test"))
        assert user.roles == {"trainer"}
        assert user.check_password("long enough pass")
        assert "long enough pass" not in user.password_hash


def test_create_user_prompts_for_a_hidden_password(app, runner):
    result = runner.invoke(
        args=["create-user", "a@example.test", "--role", "customer"],
        input="prompted password\nprompted password\n",
    )
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.output
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("prompted password")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["not-an-email", "--role", "customer", "--password", "long enough pass"],
            "is not an email",
        ),
        (
            ["b@example.test", "--role", "wizard", "--password", "long enough pass"],
            "unknown role wizard",
        ),
        (["b@example.test", "--role", "customer", "--password", "short"], "at least 10"),
        (["b@example.test", "--role", "customer", "--password", "1234567890"], "most common"),
    ],
)
def test_create_user_refuses_bad_input_clearly(app, runner, arguments, message):
    result = runner.invoke(args=["create-user", *arguments])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_create_user_refuses_a_duplicate(app, runner, make_user):
    make_user(email="dup@example.test")
    result = runner.invoke(
        args=[
            "create-user",
            "dup@example.test",
            "--role",
            "customer",
            "--password",
            "long enough pass",
        ]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_reindex_reports_the_products_indexed(seeded):
    result = seeded.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        from products.models import Product

        published = db.session.scalars(select(Product).where(Product.status == "published")).all()
    assert f"{len(published)} products indexed" in result.output


def test_backup_copies_sqlite_online_or_points_postgresql_to_pg_dump(seeded, tmp_path):
    result = seeded.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    if BACKEND == "postgresql":
        assert result.exit_code != 0
        assert "pg_dump" in result.output
        return
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "backups").iterdir()
    copy = sqlite3.connect(folder / "village-market.db")
    assert copy.execute("SELECT count(*) FROM product").fetchone()[0] >= 18
    copy.close()
    assert len(list((folder / "uploads").iterdir())) > 18 * 3
