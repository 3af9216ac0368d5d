"""Command-line tasks: seed, create-user, remove-role, reindex, ensure-index, worker, backup."""

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from shop.extensions import db


def register(app: Flask) -> None:
    """Attach the commands to `flask --app wsgi ...`."""

    @app.cli.command("seed")
    @click.option(
        "--if-empty",
        is_flag=True,
        help="Only seed a database that has no regions yet (what `make run` does at start).",
    )
    def seed_command(if_empty):
        """Load the demo catalogue (idempotent: a second run changes nothing)."""
        from products import search
        from products.models import Region
        from shop.seed import seed

        if if_empty and db.session.scalar(select(Region.id).limit(1)) is not None:
            click.echo("The database already has a catalogue; not seeding it again.")
            return
        report = seed(current_app.config["SEED_DATA_PATH"], current_app.config["MAX_IMAGE_BYTES"])
        db.session.commit()
        if report.changed:
            search.rebuild()
        click.echo(report.summary())

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        help="customer, trainee, exhibitor, trainer or organizer (repeatable)",
    )
    @click.option("--password", help="Prompted for (hidden) when not given.")
    @click.option("--name", "display_name", help="Display name (defaults to the part before @).")
    @click.option("--language", type=click.Choice(["zh", "en"]), default="zh")
    def create_user_command(email, roles, password, display_name, language):
        """Create an account with one or more roles."""
        from shop.accounts.models import Role, User
        from shop.accounts.passwords import password_problem

        email = email.strip().lower()
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise click.BadParameter(f"{email!r} is not an email address", param_hint="EMAIL")
        unknown = [role for role in roles if role not in Role.ALL]
        if unknown:
            raise click.BadParameter(
                f"unknown role {', '.join(unknown)}; choose from {', '.join(Role.ALL)}",
                param_hint="--role",
            )
        if db.session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"an account for {email} already exists")
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem:
            raise click.ClickException(problem)
        user = User(
            email=email, display_name=display_name or email.split("@")[0], language=language
        )
        user.set_password(password)
        for role in roles:
            user.add_role(role)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Created {email} with role(s): {', '.join(sorted(user.roles))}")

    @app.cli.command("remove-role")
    @click.argument("email")
    @click.argument("role")
    def remove_role_command(email, role):
        """Withdraw a role from an account; its sessions end, so it logs in again without it."""
        from shop.accounts.models import User

        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no account for {email}")
        if role not in user.roles:
            raise click.ClickException(f"{user.email} does not hold the role {role!r}")
        user.remove_role(role)
        db.session.commit()
        click.echo(f"{user.email} now holds: {', '.join(sorted(user.roles)) or 'no role'}")

    @app.cli.command("reindex")
    def reindex_command():
        """Rebuild the search index from the database (built aside, then swapped in)."""
        from products import search

        count = search.rebuild()
        click.echo(f"Search index rebuilt: {count} products indexed.")

    @app.cli.command("ensure-index")
    def ensure_index_command():
        """Build the search index only if it is missing or unreadable."""
        from products import search

        click.echo("Search index built." if search.ensure_index() else "Search index is present.")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
    def worker_command(burst):
        """Run background jobs from Redis: mail and SMS, order expiry, search-index repair.

        Wraps `rq worker --with-scheduler` on JOBS_QUEUE, each job in an app context; also runs
        the periodic jobs (expiry and unsent mail every minute, the index every five).
        """
        from shop import jobs

        if jobs.queue_for(current_app) is None:
            raise click.ClickException(
                "REDIS_URL is not set: jobs run inside the web process, no worker is needed."
            )
        jobs.work(current_app._get_current_object(), burst=burst)

    @app.cli.command("backup")
    @click.argument("directory", type=click.Path(file_okay=False))
    def backup_command(directory):
        """Copy the SQLite database (consistently, while the site runs) and the uploads into DIRECTORY."""
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if url.get_backend_name() != "sqlite":
            raise click.ClickException(
                "This database is not SQLite: back it up with pg_dump "
                '(e.g. pg_dump --format=custom --file backup.dump "$DATABASE_URL"), '
                "and copy the uploads folder or object store."
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = Path(directory) / f"village-market-{stamp}"
        target.mkdir(parents=True, exist_ok=False)
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target / "village-market.db")
        with copy:
            source.backup(copy)  # the online backup API: a consistent snapshot even during writes
        copy.close()
        source.close()
        uploads = current_app.config["UPLOAD_FOLDER"]
        files = 0
        if os.path.isdir(uploads):
            shutil.copytree(uploads, target / "uploads", ignore=shutil.ignore_patterns(".upload-*"))
            files = len(os.listdir(target / "uploads"))
        click.echo(f"Backed up the database and {files} upload files to {target}")
        if (current_app.config.get("MEDIA_STORAGE") or "").lower() == "s3":
            # The photos are not on this machine: say so rather than let "0 upload files" pass.
            click.echo(
                f"Photos are in the bucket {current_app.config['S3_BUCKET']}: back it up there "
                "(versioning or replication to a second bucket)."
            )
