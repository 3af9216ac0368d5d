"""The site as it runs on several app servers: what tests/test_two_servers.py and
bench/two_servers.py start.

One PostgreSQL database of its own (made, migrated with the app's `db upgrade` and given a small
catalogue with the app's `seed`), an S3 store (moto's server on 127.0.0.1, a bucket), Redis for
the jobs and the rate limits, one RQ worker (`flask --app wsgi worker`) and N gunicorn servers
started as `make run` starts one (gunicorn.conf.py), each with an instance folder of its own:
nothing is shared through a disk. A load balancer is stood in for by the visitor (`Visitor`),
which picks the server for each request and sends the `X-Forwarded-For` a balancer adds
(TRUSTED_PROXIES=1), so every visitor has an address of its own for the rate limits.
"""

import contextlib
import json
import mimetypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookiejar import CookieJar
from pathlib import Path
from types import SimpleNamespace
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from PIL import Image
from werkzeug.datastructures import Headers, MultiDict

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: Any keys do for moto; a real deployment gives them through the environment only.
S3_ACCESS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
#: Settings the app reads that a developer's shell may carry: the layout sets its own.
APP_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "INSTANCE_PATH",
    "UPLOAD_FOLDER",
    "SEARCH_INDEX_PATH",
    "SEARCH_BACKEND",
    "MEDIA_STORAGE",
    "S3_BUCKET",
    "MEDIA_URL",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    *S3_ACCESS,
    "RATELIMIT_STORAGE_URI",
    "LOGIN_ADDRESS_LIMIT",
    "TRUSTED_PROXIES",
    "CHECKOUT_LIMIT",
    "OPEN_CHECKOUTS_PER_VISITOR",
    "OPEN_CHECKOUTS_PER_ADDRESS",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "MAIL_URL",
    "REDIS_URL",
    "JOBS_QUEUE",
    "SMS_BACKEND",
    "PREFERRED_URL_SCHEME",
    "SITE_URL",
    "HOST",
    "PORT",
    "THREADS",
    "WORKERS",
)
#: The demo shop whose listings the layout's catalogue holds, and its owner there.
SHOP_FILE = "dangshan.toml"
DEMO_OWNER = "exhibitor-dangshan@demo.villagemarket.test"
#: Passwords of the layout's two accounts (a seller and a customer; test data only).
PASSWORD = "two-servers-Only-2026"  # noqa: S105 - test data, like the demo accounts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_url(database_url: str) -> tuple[str, str]:
    """(libpq address of the server's `postgres` database, the database's name)."""
    from sqlalchemy import make_url

    url = make_url(database_url)
    server = url.set(drivername="postgresql", database="postgres")
    return server.render_as_string(hide_password=False), url.database


def create_database(database_url: str) -> None:
    """Drop the database if a killed run left it, and make it again, empty."""
    import psycopg

    server, name = _server_url(database_url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str, wait: bool = True) -> None:
    """Drop the database; without `wait`, only send the statement and hang up.

    PostgreSQL finishes a DROP DATABASE it has received whether or not its client stays, and the
    statement waits for a checkpoint of the whole server: with other test processes writing, that
    took up to 100 s on the development machine, which no test needs to sit through.
    """
    import psycopg

    server, name = _server_url(database_url)
    statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    conn = psycopg.connect(server, autocommit=True)
    try:
        if wait:
            conn.execute(statement)
            return
        conn.pgconn.send_query(statement.encode())
        while conn.pgconn.flush():  # 1 while part of it is still to be written
            time.sleep(0.01)
    finally:
        conn.close()


def small_catalogue(folder: Path, seller: str, customer: str) -> Path:
    """Seed data for one demo shop (its three products), its seller and a customer.

    The accounts get addresses of their own (the rate-limit counters of a run a minute ago
    still sit in Redis under the demo's addresses); seeded in about a second.
    """
    source = ROOT / "seed_data"
    folder.mkdir(parents=True)
    for name in ("regions.toml", "categories.toml"):
        shutil.copy(source / name, folder / name)
    (folder / "shops").mkdir()
    shop = (source / "shops" / SHOP_FILE).read_text().replace(DEMO_OWNER, seller)
    (folder / "shops" / SHOP_FILE).write_text(shop)
    (folder / "pictures").mkdir()
    for picture in (source / "pictures").glob("dangshan-*"):
        # A small copy: the seed makes each picture's sizes, and a small one has only one to make.
        with Image.open(picture) as image:
            image.reduce(8).save(folder / "pictures" / picture.name, "WEBP")
    (folder / "cohorts.toml").write_text("cohort = []\n")
    accounts = [(seller, "砀山梨园店主", "exhibitor"), (customer, "王小明", "customer")]
    (folder / "accounts.toml").write_text(
        "".join(
            f'[[account]]\nemail = "{email}"\ndisplay_name = "{name}"\nroles = ["{role}"]\n'
            f'language = "zh"\npassword = "{PASSWORD}"\n\n'
            for email, name, role in accounts
        )
    )
    return folder


class Layout:
    """The processes of a site on `servers` app servers; start() them, stop() them all."""

    def __init__(
        self, folder: Path, database_url: str, redis_url: str, servers: int = 2, workers: int = 1
    ):
        self.folder = Path(folder)
        self.database_url = database_url
        self.redis_url = redis_url
        self.servers = servers
        #: gunicorn processes per server (gunicorn.conf.py's WORKERS): one starts fastest.
        self.workers = workers
        #: A queue of this layout's own: another layout on the same Redis never takes its jobs.
        run = secrets.token_hex(4)
        self.queue = f"two-servers-{run}"
        self.seller_email = f"seller-{run}@example.test"
        self.customer_email = f"customer-{run}@example.test"
        self.bases: list[str] = []
        #: What the seed made: {slug: {"id", "variants": [ids], "region"}}.
        self.products: dict[str, dict] = {}
        self._processes: list[tuple[subprocess.Popen, Path]] = []
        #: Seconds each step of start() took, for the benchmark's report.
        self.timings: dict[str, float] = {}
        self._moto = None

    # --- Starting ---------------------------------------------------------------------------

    def start(self) -> "Layout":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._clock = time.monotonic()
        self.folder.mkdir(parents=True, exist_ok=True)
        create_database(self.database_url)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.settings = {
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "JOBS_QUEUE": self.queue,
            "RATELIMIT_STORAGE_URI": self.redis_url,
            "TRUSTED_PROXIES": "1",
            "SEARCH_BACKEND": "postgresql",
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": "photos",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            **S3_ACCESS,
        }
        self._make_bucket()
        self._mark("database, store")
        ports = [free_port() for _ in range(self.servers)]
        # The servers load the app while the database is made: they touch it at the first request.
        for port in ports:
            self._spawn(
                f"gunicorn-{port}",
                [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"],
                {
                    "HOST": "127.0.0.1",
                    "PORT": str(port),
                    "WORKERS": str(self.workers),
                    # gunicorn's control socket goes there; the default path is one per user.
                    "XDG_RUNTIME_DIR": str(self.folder / f"gunicorn-{port}"),
                },
            )
        self.bases = [f"http://127.0.0.1:{port}" for port in ports]
        app = self._app()
        self._flask(app, "db", "upgrade")
        self._mark("migrate")
        # The worker runs its periodic jobs as it starts: only once the tables are there.
        self._spawn("worker", [str(BIN / "flask"), "--app", "wsgi", "worker"], {})
        self._flask(app, "seed")
        self._note_products(app)
        self._mark("seed")
        deadline = time.monotonic() + 90  # a busy machine loads the app slowly
        for base in self.bases:
            self._wait(lambda base=base: _answers(base + "/healthz"), deadline, base)
        self._mark("servers answering")
        self._wait(self._worker_listening, deadline, "the RQ worker")
        self._mark("worker listening")

    def _mark(self, step: str) -> None:
        now = time.monotonic()
        self.timings[step] = now - self._clock
        self._clock = now

    def _make_bucket(self) -> None:
        import boto3

        boto3.session.Session().client(
            "s3",
            endpoint_url=self.settings["AWS_ENDPOINT_URL"],
            region_name=S3_ACCESS["AWS_DEFAULT_REGION"],
            aws_access_key_id=S3_ACCESS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ACCESS["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=self.settings["S3_BUCKET"])

    def _app(self):
        """The app in this process, with the servers' settings: for `flask db upgrade` and `seed`."""
        from shop import create_app

        config = {
            key: value
            for key, value in self.settings.items()
            if key not in ("DATABASE_URL", "REDIS_URL")
        }
        catalogue = small_catalogue(
            self.folder / "seed_data", self.seller_email, self.customer_email
        )
        return create_app(
            {
                **config,
                "INSTANCE_PATH": str(self.folder / "seeding"),
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "SEED_DATA_PATH": str(catalogue),
                # The seed's pictures are made here, whether or not the worker is up yet.
                "REDIS_URL": None,
            }
        )

    @staticmethod
    def _flask(app, *command: str) -> None:
        result = app.test_cli_runner().invoke(args=list(command))
        if result.exit_code != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{result.output}")

    def _note_products(self, app) -> None:
        from sqlalchemy import select

        from products.models import Product
        from shop.extensions import db

        with app.app_context():
            for product in db.session.scalars(select(Product).order_by(Product.id)):
                self.products[product.slug] = {
                    "id": product.id,
                    "url": f"/products/{product.id}-{product.slug}",
                    "region": f"/regions/{product.region.slug}",
                    "variants": [variant.id for variant in product.variants],
                }
            db.session.remove()
            db.engine.dispose()

    def _environment(self, folder: Path, extra: dict) -> dict:
        inherited = {key: value for key, value in os.environ.items() if key not in APP_SETTINGS}
        return {**inherited, **self.settings, "INSTANCE_PATH": str(folder), **extra}

    def _spawn(self, name: str, command: list[str], extra: dict) -> None:
        folder = self.folder / name  # this process's own instance folder
        folder.mkdir()
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._environment(folder, extra),
                stdout=output,
                stderr=subprocess.STDOUT,
                # A group of its own: stop() ends the RQ worker's job and scheduler processes too.
                start_new_session=True,
            )
        self._processes.append((process, log))

    def _wait(self, ready, deadline: float, what: str) -> None:
        while not ready():
            for process, log in self._processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{log.name} ended early:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start in time")
            time.sleep(0.1)

    def _worker_listening(self) -> bool:
        from redis import Redis
        from rq import Queue, Worker

        with Redis.from_url(self.redis_url) as connection:
            return bool(Worker.all(queue=Queue(self.queue, connection=connection)))

    # --- Stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """End every process this layout started, forget its queue in Redis, drop its database."""
        self._clock = time.monotonic()
        # Each leader stops its own: gunicorn's master its workers, RQ's worker its scheduler and
        # the job's process (after the job, as in a deploy).
        for process, _ in self._processes:
            if process.poll() is None:
                process.terminate()
        for process, _ in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # Whatever of the group outlived its leader.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self._processes.clear()
        self._mark("stop processes")
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._mark("stop moto")
        self._forget_queue()
        self._mark("stop redis")
        drop_database(self.database_url, wait=False)
        self._mark("stop database")

    def _forget_queue(self) -> None:
        """Delete this layout's queue, registries and jobs (the rate-limit counters expire)."""
        from redis import Redis
        from rq import Queue

        with Redis.from_url(self.redis_url) as connection:
            queue = Queue(self.queue, connection=connection)
            jobs = set(queue.get_job_ids())
            for registry in (
                queue.started_job_registry,
                queue.finished_job_registry,
                queue.failed_job_registry,
                queue.scheduled_job_registry,
                queue.deferred_job_registry,
                queue.canceled_job_registry,
            ):
                jobs.update(registry.get_job_ids())
            keys = [key for key in connection.scan_iter(f"rq:*{self.queue}*")]
            keys += [f"rq:job:{job}" for job in jobs] + [f"rq:results:{job}" for job in jobs]
            if keys:
                connection.delete(*keys)
            connection.srem("rq:queues", queue.key)  # RQ's list of every queue's key

    def __enter__(self) -> "Layout":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def _answers(url: str) -> bool:
    try:
        with build_opener().open(url, timeout=2) as reply:
            return reply.status == 200
    except (OSError, URLError):
        return False


# --- A visitor over real HTTP -----------------------------------------------------------------


class _KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Answer:
    """A response, read like a Flask test client's (status_code, headers, get_data, get_json)."""

    def __init__(self, status: int, headers, body: bytes, path: str):
        self.status_code = status
        self.headers = Headers(list(headers.items()))
        self.data = body
        self.request = SimpleNamespace(full_path=path)

    def __repr__(self) -> str:
        return f"<Answer {self.status_code} {self.request.full_path}>"

    def get_data(self, as_text: bool = False):
        return self.data.decode() if as_text else self.data

    def get_json(self):
        return json.loads(self.data)


class Visitor:
    """One browser behind the load balancer: its own cookies and address, any server per request.

    It offers the parts of Flask's test client that tests/forms.py and tests/shopping.py use
    (get, post with a dict or MultiDict, files as (stream, filename) tuples), so those helpers
    drive the real servers; redirects are returned, not followed, as the test client does.
    """

    def __init__(self, base: str, address: str | None = None, jar: CookieJar | None = None):
        self.base = base
        self.address = address or "10.{}.{}.{}".format(*secrets.token_bytes(3))
        self.jar = jar if jar is not None else CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _KeepRedirects())

    def on(self, base: str) -> "Visitor":
        """The same browser (cookies, address), its next requests sent to another server."""
        return Visitor(base, self.address, self.jar)

    def get(self, url: str, headers: dict | None = None) -> Answer:
        return self._send(url, None, None, headers)

    def post(self, url: str, data=None, headers: dict | None = None, **_ignored) -> Answer:
        fields = _items(data or {})
        if any(isinstance(value, tuple) for _, value in fields):
            body, kind = _multipart(fields)
        else:
            body, kind = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self._send(url, body, kind, headers)

    def _send(self, url, body, kind, headers) -> Answer:
        path = url if url.startswith("/") else "/" + url.split("/", 3)[3]
        request = Request(self.base + path, data=body, headers=dict(headers or {}))
        request.add_header("X-Forwarded-For", self.address)
        if kind:
            request.add_header("Content-Type", kind)
        try:
            with self.opener.open(request, timeout=30) as reply:
                return Answer(reply.status, reply.headers, reply.read(), path)
        except HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read(), path)


def _items(data) -> list[tuple[str, object]]:
    pairs = data.items(multi=True) if isinstance(data, MultiDict) else data.items()
    flat = []
    for name, value in pairs:
        for item in value if isinstance(value, list) else [value]:
            flat.append((name, item if isinstance(item, tuple) else str(item)))
    return flat


def _multipart(fields) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields:
        if isinstance(value, tuple):
            stream, filename = value[0], value[1]
            kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {kind}\r\n\r\n"
            )
            content = stream.read()
        else:
            head = f'Content-Disposition: form-data; name="{name}"\r\n\r\n'
            content = value.encode()
        parts.append(f"--{boundary}\r\n".encode() + head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
