"""Work outside the request: an RQ queue on Redis when REDIS_URL is set, else at once in-process.

A job is named by the dotted path of a function ("shop.accounts.outbox.deliver_pending"), so
this module knows no feature: features enqueue their own functions and register their own
periodic ones (`every`) in their `init_app`. Each job runs in an app context of its own (its
own database session), in the worker (`flask --app wsgi worker`) or, without Redis, in this
process, so a job behaves the same either way. A job enqueued while the session holds writes
not yet committed waits for the commit (a worker must find the rows it is sent for) and is
dropped by a rollback.
"""

import importlib
import logging
import re
import time
from datetime import UTC, datetime

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker, Worker, get_current_job
from sqlalchemy import event

from shop.extensions import db

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "village-market"
#: Results are not read back; keep them a day for `rq info` and the dashboard.
RESULT_TTL_SECONDS = 24 * 3600
#: Failed jobs stay in RQ's failed registry a week, to be read and requeued.
FAILURE_TTL_SECONDS = 7 * 24 * 3600
#: Jobs waiting for this session's commit, in Session.info.
_AFTER_COMMIT = "vm_jobs_after_commit"
#: Set by a flush: the session has written rows its commit has not made visible yet.
_WROTE = "vm_jobs_wrote"
_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")


_events_installed = False


def init_app(app: Flask) -> None:
    """Follow the session's commits and rollbacks (once per process: db.session is shared)."""
    app.extensions.setdefault("jobs_periodic", {})
    global _events_installed
    if not _events_installed:
        event.listen(db.session, "after_flush", _note_written)
        event.listen(db.session, "do_orm_execute", _note_statement)
        event.listen(db.session, "after_commit", _dispatch_committed)
        event.listen(db.session, "after_rollback", _forget)
        _events_installed = True


def enqueue(func_path: str, *args, **kwargs) -> None:
    """Run `func_path(*args, **kwargs)` outside the request; after the commit if one is due.

    Arguments must be plain values (ids, not model objects): RQ pickles them for the worker.
    """
    if not _PATH.match(func_path):
        raise ValueError(f"a job is a dotted function path, not {func_path!r}")
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        session.info.setdefault(_AFTER_COMMIT, []).append((func_path, args, kwargs))
        return
    _dispatch(current_app._get_current_object(), func_path, args, kwargs)


def every(app: Flask, name: str, seconds: int, func_path: str) -> None:
    """Have the worker run `func_path()` every `seconds` (and once when it starts)."""
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise ValueError(f"a periodic job's name is lower-case letters, digits and -: {name!r}")
    app.extensions.setdefault("jobs_periodic", {})[name] = (seconds, func_path)


def queue_for(app: Flask) -> Queue | None:
    """The app's RQ queue, or None when jobs run in-process (no REDIS_URL)."""
    connection = connection_for(app)
    if connection is None:
        return None
    return Queue(app.config.get("JOBS_QUEUE") or DEFAULT_QUEUE, connection=connection)


def connection_for(app: Flask) -> Redis | None:
    """One Redis client per app, from REDIS_URL (or a client a test put in JOBS_REDIS)."""
    connection = app.extensions.get("jobs_redis")
    if connection is None:
        connection = app.config.get("JOBS_REDIS")
        if connection is None and app.config.get("REDIS_URL"):
            connection = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["jobs_redis"] = connection
    return connection


def run_in_own_context(app: Flask, func_path: str, args=(), kwargs=None):
    """Call the job in a fresh app context: its own session, as in the worker."""
    with app.app_context():
        return _resolve(func_path)(*args, **(kwargs or {}))


def _dispatch(app: Flask, func_path: str, args: tuple, kwargs: dict) -> None:
    queue = queue_for(app)
    if queue is None:
        run_in_own_context(app, func_path, args, kwargs)
        return
    queue.enqueue_call(
        func=func_path,
        args=args,
        kwargs=kwargs,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


def _resolve(func_path: str):
    module, _, name = func_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _note_written(session, _flush_context) -> None:
    session.info[_WROTE] = True


def _note_statement(state) -> None:
    """A bulk UPDATE or DELETE writes without a flush."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _dispatch_committed(session) -> None:
    """After the commit: send what waited for it. Never fails the commit (it is done)."""
    session.info.pop(_WROTE, None)
    waiting = session.info.pop(_AFTER_COMMIT, None)
    if not waiting:
        return
    app = current_app._get_current_object()
    for func_path, args, kwargs in waiting:
        try:
            _dispatch(app, func_path, args, kwargs)
        except Exception:  # noqa: BLE001 - the data is committed; the job can be run again
            log.exception("Job %s failed after the commit", func_path)


def _forget(session, *_args) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_AFTER_COMMIT, None)


# --- The worker ------------------------------------------------------------------------------


class _AppContextJobs:
    """Run each job inside an app context of its own, as the web process's jobs run."""

    app: Flask

    def perform_job(self, job, queue, execution) -> bool:
        with self.app.app_context():
            if self.is_horse:
                # A forked work horse must not share the parent's database connections.
                db.engine.dispose(close=False)
            return super().perform_job(job, queue, execution)


class AppWorker(_AppContextJobs, Worker):
    """RQ's forking worker: each job in a child process, so a crash or leak ends with it."""


class InProcessAppWorker(_AppContextJobs, SimpleWorker):
    """The same without forking (for an in-memory Redis such as fakeredis)."""


def work(
    app: Flask,
    burst: bool = False,
    with_scheduler: bool = True,
    fork: bool = True,
    periodic: bool = True,
) -> bool:
    """Process the app's queue until stopped (or until it is empty, with `burst`).

    With `periodic`, each periodic job runs once now and then books its next run.
    """
    queue = queue_for(app)
    if queue is None:
        raise RuntimeError("REDIS_URL is not set: without it jobs run in the web process")
    worker_class = AppWorker if fork else InProcessAppWorker
    worker = worker_class([queue], connection=queue.connection)
    worker.app = app
    if periodic:
        start_periodic(app, queue)
    return worker.work(burst=burst, with_scheduler=with_scheduler)


def start_periodic(app: Flask, queue: Queue) -> None:
    """Run each periodic job now; each run books the next (see `run_periodic`)."""
    for name, (seconds, func_path) in app.extensions.get("jobs_periodic", {}).items():
        queue.enqueue_call(
            func=run_periodic,
            args=(name, seconds, func_path),
            result_ttl=seconds,
            failure_ttl=FAILURE_TTL_SECONDS,
        )


def run_periodic(name: str, seconds: int, func_path: str):
    """Book the next run with RQ's scheduler, then run `func_path()`.

    The next run is booked first, so a run that fails does not end the series. Its job id is
    the name and the time slot: every worker books the same slot, so two workers (or a restart)
    never double the series.
    """
    job = get_current_job()
    if job is not None:
        queue = Queue(job.origin, connection=job.connection)
        slot = int(time.time() // seconds) + 1
        queue.enqueue_at(
            datetime.fromtimestamp(slot * seconds, UTC),
            run_periodic,
            name,
            seconds,
            func_path,
            job_id=periodic_job_id(queue.name, name, slot),
            result_ttl=seconds,
            failure_ttl=FAILURE_TTL_SECONDS,
        )
    return _resolve(func_path)()


def periodic_job_id(queue_name: str, name: str, slot: int) -> str:
    """The id of one periodic run: per queue, name and time slot."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{queue_name}-{name}-{slot}")
