"""Work outside the request (shop.jobs): in-process without Redis, RQ and `flask worker` with it.

The in-memory Redis (fakeredis) runs the queue's own code in this process; the real Redis at
TEST_REDIS_URL (database 15 by default) is worked by `flask worker --burst`, as in production.
Each test has a queue of its own, so parallel test processes never take each other's jobs.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import fakeredis
import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select, update

from shop import jobs
from shop.accounts import outbox, services
from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.models_base import utcnow
from shop.payments.models import Payment
from tests.helpers import WORKER
from tests.shopping import add_to_cart, orders_of, payment_token, place_order, stock_of, variant_id
from tests.test_accounts import request_reset

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def queue_name():
    """A queue (and job-id prefix) no other test or test process uses."""
    return f"vm-test-{WORKER or 'main'}-{secrets.token_hex(4)}"


@pytest.fixture
def on_fakeredis(app, queue_name):
    """The app sends its jobs to an in-memory Redis; returns the queue."""
    app.config.update(JOBS_REDIS=fakeredis.FakeRedis(), JOBS_QUEUE=queue_name)
    yield jobs.queue_for(app)
    app.config["JOBS_REDIS"].close()


@pytest.fixture
def on_redis(app, queue_name):
    """The app sends its jobs to the real Redis at TEST_REDIS_URL; returns the queue."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError:
        connection.close()
        # The deployment's shape needs a real Redis: .ci/run starts one; a missing one is a failure.
        pytest.fail(f"no Redis at {REDIS_URL}: start one, or set TEST_REDIS_URL")
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue_name)
    queue = jobs.queue_for(app)
    yield queue
    _remove_queue(queue)
    queue.connection.close()
    connection.close()


def _remove_queue(queue: Queue) -> None:
    """Delete every job of the queue, in whatever registry it ended, and the queue's own keys."""
    job_ids = set(queue.get_job_ids())
    for registry in (
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.scheduled_job_registry,
        queue.started_job_registry,
        queue.deferred_job_registry,
        queue.canceled_job_registry,
    ):
        job_ids.update(registry.get_job_ids())
    for job_id in job_ids:
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(job_id, connection=queue.connection).delete()
    for key in queue.connection.scan_iter(f"*{queue.name}*"):
        queue.connection.delete(key)


def work_here(app, **options) -> None:
    """Work the queue in this process until it is empty (RQ's SimpleWorker, no fork)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        jobs.work(app, burst=True, with_scheduler=False, fork=False, **options)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)  # RQ installs its own; give pytest its own back


def run_worker(app, **env) -> str:
    """`flask --app wsgi worker --burst` in a process of its own, on this test's database."""
    # Only what the test gives: never a MAIL_URL or Redis of the machine running the tests.
    inherited = {k: v for k, v in os.environ.items() if k not in ("MAIL_URL", "REDIS_URL")}
    environment = {
        **inherited,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path,
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "SEARCH_INDEX_PATH": app.config["SEARCH_INDEX_PATH"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def mail_url(server) -> str:
    return f"smtp://127.0.0.1:{server.server_address[1]}?from=market@example.test"


def sent_at(app) -> list:
    """When each outbox message was sent (None: not yet), oldest first."""
    with app.app_context():
        return db.session.scalars(select(OutboxMessage.sent_at).order_by(OutboxMessage.id)).all()


def overdue_checkout(app, client, make_product) -> tuple[int, str]:
    """Two of five units held by a checkout whose time to pay ran out an hour ago."""
    variant = variant_id(app, make_product(stock=5, variants=1))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    with app.app_context():
        db.session.execute(
            update(Payment)
            .where(Payment.token == token)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    assert stock_of(app, variant) == 3
    return variant, token


# --- Without Redis: at once, in this process -------------------------------------------------


def test_without_redis_a_job_waits_for_the_commit_then_runs_here(app, make_user, smtp_server):
    app.config["MAIL_URL"] = mail_url(smtp_server)
    make_user(email="lin@example.test", language="en")
    with app.app_context():
        services.request_password_reset("lin@example.test")
        outbox.deliver_later()
        assert smtp_server.messages == [], "the worker must find the message: after the commit"
        db.session.commit()
    (mail,) = smtp_server.messages
    assert "To: lin@example.test" in mail and "/reset/" in mail
    (when,) = sent_at(app)
    assert when is not None


def test_a_rollback_drops_the_jobs_that_waited_for_it(app, make_user, smtp_server):
    app.config["MAIL_URL"] = mail_url(smtp_server)
    make_user(email="lin@example.test", language="en")
    with app.app_context():
        services.request_password_reset("lin@example.test")
        outbox.deliver_later()
        db.session.rollback()
        db.session.commit()
    assert smtp_server.messages == []
    assert sent_at(app) == []


def test_a_bulk_update_also_holds_a_job_until_the_commit(app, client, make_product):
    variant = variant_id(app, make_product(stock=5, variants=1))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    with app.app_context():
        db.session.execute(
            update(Payment)
            .where(Payment.token == token)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        jobs.enqueue("shop.orders.jobs.expire_unpaid_orders")
        assert stock_of(app, variant) == 3, "the job must see the deadline it was sent for"
        db.session.commit()
    assert stock_of(app, variant) == 5
    assert {order.status for order in orders_of(app, token)} == {"cancelled"}


def test_a_job_is_a_dotted_function_path(app):
    with app.app_context(), pytest.raises(ValueError, match="dotted function path"):
        jobs.enqueue("deliver_pending")


def test_the_worker_command_says_it_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output


# --- On an in-memory Redis: the queue's own code, worked in this process ------------------------


def test_on_redis_a_reset_mail_waits_in_the_queue_for_the_worker(
    app, client, make_user, smtp_server, on_fakeredis
):
    app.config["MAIL_URL"] = mail_url(smtp_server)
    make_user(email="lin@example.test", language="en")
    assert request_reset(client, "lin@example.test").status_code == 200
    assert smtp_server.messages == [] and sent_at(app) == [None]
    (job,) = on_fakeredis.get_jobs()
    assert job.func_name == "shop.accounts.outbox.deliver_pending"

    work_here(app, periodic=False)

    (mail,) = smtp_server.messages
    assert "To: lin@example.test" in mail
    (when,) = sent_at(app)
    assert when is not None


def test_the_worker_expires_overdue_checkouts_and_books_the_next_run(
    app, client, make_product, on_fakeredis
):
    variant, token = overdue_checkout(app, client, make_product)
    slot_before = int(utcnow().timestamp() // 60)

    work_here(app)

    assert stock_of(app, variant) == 5, "the two held units are back on sale"
    assert {order.status for order in orders_of(app, token)} == {"cancelled"}
    slot_after = int(utcnow().timestamp() // 60)
    booked = [
        job_id
        for job_id in on_fakeredis.scheduled_job_registry.get_job_ids()
        if "-expire-orders-" in job_id
    ]
    expected = {
        jobs.periodic_job_id(on_fakeredis.name, "expire-orders", slot)
        for slot in range(slot_before + 1, slot_after + 2)
    }
    assert booked and set(booked) <= expected, "the next run is booked for the next minute"
    if slot_before == slot_after:
        assert len(booked) == 1


# --- On the real Redis, worked by `flask worker --burst` --------------------------------------


def test_a_reset_mail_is_sent_by_the_worker(app, client, make_user, smtp_server, on_redis):
    make_user(email="lin@example.test", language="en")
    assert request_reset(client, "lin@example.test").status_code == 200
    assert sent_at(app) == [None] and len(on_redis) == 1

    run_worker(app, MAIL_URL=mail_url(smtp_server))

    (mail,) = smtp_server.messages
    assert "To: lin@example.test" in mail and "/reset/" in mail
    (when,) = sent_at(app)
    assert when is not None
    assert len(on_redis) == 0


def test_an_overdue_checkout_is_expired_by_the_worker_and_its_stock_returns(
    app, client, make_product, on_redis
):
    variant, token = overdue_checkout(app, client, make_product)

    run_worker(app)

    assert stock_of(app, variant) == 5
    assert {order.status for order in orders_of(app, token)} == {"cancelled"}
    assert any(
        "-expire-orders-" in job_id for job_id in on_redis.scheduled_job_registry.get_job_ids()
    )


def test_a_failing_job_is_kept_and_its_message_sent_when_retried(
    app, client, make_user, smtp_server, on_redis
):
    make_user(email="lin@example.test", language="en")
    request_reset(client, "lin@example.test")

    # A mistyped MAIL_URL: sending raises before any mail server is asked.
    run_worker(app, MAIL_URL="smtp:/no-host")

    failed = on_redis.failed_job_registry
    functions = {
        Job.fetch(job_id, connection=on_redis.connection).func_name
        for job_id in failed.get_job_ids()
    }
    assert "shop.accounts.outbox.deliver_pending" in functions, "RQ keeps the failed job"
    assert sent_at(app) == [None], "the outbox keeps the message unsent"

    for job_id in failed.get_job_ids():
        failed.requeue(job_id)
    run_worker(app, MAIL_URL=mail_url(smtp_server))

    (mail,) = smtp_server.messages
    assert "To: lin@example.test" in mail
    (when,) = sent_at(app)
    assert when is not None
