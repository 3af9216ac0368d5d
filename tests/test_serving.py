"""The site as `make run` serves it: gunicorn started with gunicorn.conf.py on a loopback port.

What these check only shows on the real server: slow clients must not take every worker, and the
log-in limits must hold exactly for the whole server (and across servers sharing a Redis), not
once per worker process.
"""

import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
import redis

from shop.accounts.models import User
from shop.extensions import db
from tests.helpers import build_app, reset_database

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"
WRONG_PASSWORD = "not the password, sorry"
#: Settings a developer's shell may carry that would change what is measured.
INHERITED_SETTINGS = (
    "RATELIMIT_STORAGE_URI",
    "LOGIN_ADDRESS_LIMIT",
    "TRUSTED_PROXIES",
    "SITE_URL",
    "MAIL_URL",
    "STRIPE_SECRET_KEY",
    "THREADS",
    "WORKERS",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(app, servers: int = 1, **settings):
    """gunicorn exactly as `make run` starts it, on the app's database and folders.

    Starts `servers` of them side by side (separate processes) and yields their base URLs once
    each answers /healthz.
    """
    environment = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
    environment.update(
        HOST="127.0.0.1",
        INSTANCE_PATH=app.instance_path,
        SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        SEARCH_INDEX_PATH=app.config["SEARCH_INDEX_PATH"],
        **settings,
    )
    started = []
    try:
        for _ in range(servers):
            port = free_port()
            log = Path(app.instance_path) / f"gunicorn-{port}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [str(GUNICORN), "--config", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env={**environment, "PORT": str(port)},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, f"http://127.0.0.1:{port}", log))
        for process, base, log in started:
            wait_until_answering(process, base, log)
        yield [base for _, base, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_answering(process, base: str, log: Path, seconds: float = 60) -> None:
    """Wait for the worker to load the app and answer /healthz."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if fetch(build_opener(), base + "/healthz", timeout=5)[0] == 200:
                return
        except (OSError, URLError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start:\n" + log.read_text())
        time.sleep(0.1)


class _KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(opener, url: str, data: dict | None = None, headers: dict | None = None, timeout=10):
    """(status, body) of a GET, or a POST when data is given."""
    body = urlencode(data).encode() if data is not None else None
    try:
        with opener.open(Request(url, data=body, headers=headers or {}), timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except HTTPError as error:
        with error:
            return error.code, error.read().decode()


def log_in(base: str, email: str, password: str = WRONG_PASSWORD, **headers) -> int:
    """One log-in from a new browser, as a person fills the form; the answer's status."""
    browser = build_opener(HTTPCookieProcessor(CookieJar()), _KeepRedirects())
    _, page = fetch(browser, base + "/login", headers=headers)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": email, "password": password, "csrf_token": token}
    return fetch(browser, base + "/login", form, headers=headers)[0]


def healthz_seconds(base: str) -> float:
    """How long /healthz takes to answer 200; fails when it does not within a second."""
    started = time.monotonic()
    status, _ = fetch(build_opener(), base + "/healthz", timeout=1)
    assert status == 200
    return time.monotonic() - started


def trickle(sockets, stop: threading.Event, every: float = 0.5) -> None:
    """Send one more header line on each socket now and then, never finishing the request."""
    number = 0
    while not stop.wait(every):
        number += 1
        for connection in sockets:
            try:
                connection.sendall(f"X-Slow-{number}: still typing\r\n".encode())
            except OSError:
                return


@pytest.fixture(scope="module")
def site(tmp_path_factory, postgres_schema):
    """An instance with two accounts and its search index, as `make run` prepares it."""
    app = build_app(tmp_path_factory.mktemp("served") / "instance")
    with app.app_context():
        reset_database()
        for email in ("lin@example.test", "customer@example.test"):
            user = User(email=email, display_name=email.split("@")[0], language="en")
            user.set_password(PASSWORD)
            user.add_role("customer")
            db.session.add(user)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["ensure-index"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def server(site):
    """One server for this module's tests, behind a (pretended) nginx: TRUSTED_PROXIES=1.

    Tests keep apart by the visitor address they send in X-Forwarded-For; requests without
    one count under 127.0.0.1, as on a `make run` laptop.
    """
    with served(site, TRUSTED_PROXIES="1") as (base,):
        yield base


def test_two_slow_clients_do_not_keep_the_site_from_answering(server):
    port = int(server.rsplit(":", 1)[1])
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    stop = threading.Event()
    sender = threading.Thread(target=trickle, args=(slow, stop), daemon=True)
    try:
        for connection in slow:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sender.start()
        time.sleep(0.3)  # both requests are now being read by the server
        latencies = []
        for _ in range(5):
            latencies.append(healthz_seconds(server))
            time.sleep(0.4)
    except (TimeoutError, URLError) as error:
        pytest.fail(f"/healthz did not answer within a second beside two slow clients: {error}")
    finally:
        stop.set()
        sender.join(timeout=2)
        for connection in slow:
            connection.close()
    assert max(latencies) < 1, latencies


def test_the_address_limit_holds_exactly_for_the_whole_server(server):
    # The documented five failed log-ins per address, from 127.0.0.1 as on a laptop.
    codes = [log_in(server, f"guess{number}@example.test") for number in range(7)]
    assert codes == [200] * 5 + [429] * 2


def test_the_account_limit_holds_exactly_for_the_whole_server(server):
    # Each attempt from another address, so only the account's five count.
    codes = [
        log_in(server, "lin@example.test", **{"X-Forwarded-For": f"192.0.2.{number}"})
        for number in range(6)
    ]
    # Even the right password waits once the account's limit is reached.
    codes.append(log_in(server, "lin@example.test", PASSWORD, **{"X-Forwarded-For": "192.0.2.9"}))
    assert codes == [200] * 5 + [429] * 2


def test_behind_nginx_a_visitors_failures_do_not_lock_out_the_customer(server):
    codes = [
        log_in(server, f"nginx{number}@example.test", **{"X-Forwarded-For": "203.0.113.5"})
        for number in range(11)
    ]
    customer = log_in(
        server, "customer@example.test", PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}
    )
    assert codes == [200] * 5 + [429] * 6
    assert customer == 302


@pytest.fixture
def visitor():
    """A visitor address of this test's own, and its counters removed from Redis after."""
    address = "10.{}.{}.{}".format(*secrets.token_bytes(3))
    connection = redis.Redis.from_url(REDIS_URL)
    connection.ping()
    yield address
    for key in connection.scan_iter(f"*{address}*"):
        connection.delete(key)
    connection.close()


def test_two_server_processes_with_redis_share_one_limit(site, visitor):
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "TRUSTED_PROXIES": "1"}
    with served(site, servers=2, **settings) as (first, second):
        codes = [
            log_in(server, f"redis-{visitor}-{number}@example.test", **{"X-Forwarded-For": visitor})
            for number, server in enumerate([first, second] * 4)
        ]
    # Five failures in all, whichever process answered; then both refuse.
    assert codes == [200] * 5 + [429] * 3


@pytest.mark.parametrize(
    ("settings", "processes"),
    [
        ({}, 1),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 1),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, os.cpu_count()),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "WORKERS": "3"}, 3),
        ({"WORKERS": "2"}, 2),
    ],
)
def test_one_process_unless_the_rate_limits_are_shared(monkeypatch, settings, processes):
    """In-memory limits count per process, so more processes only with a shared store."""
    for name in INHERITED_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SITE_URL", "http://127.0.0.1:5000")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == processes
    assert conf["worker_class"] == "gthread"
