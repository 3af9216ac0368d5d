"""How `make run` serves the site: `gunicorn --config gunicorn.conf.py`, nothing else on the line.

The tests in tests/test_serving.py start gunicorn with exactly this file, so what they measure is
what `make run` serves. HOST, PORT, WORKERS and THREADS come from the environment (the Makefile
passes its variables on).

Threads, so a client that sends its request slowly holds one thread, not a whole worker, and two
of them cannot keep the site from answering. How many processes:
- with the rate limits in memory (the default), one: they count in that process's memory, and
  "5 failed log-ins" must mean five for the whole site, not five per process;
- with RATELIMIT_STORAGE_URI naming a Redis, one process per core: Python runs one thread at a
  time per process, so one process uses at most one core, and a checkout costs the server more
  than 100 ms of CPU (docs/benchmarks.md, "Checkout").
WORKERS, when set, wins. Each process holds its own database pool (docs/benchmarks.md).
"""

import os
import socket

host = os.environ.get("HOST") or "127.0.0.1"
port = os.environ.get("PORT") or "5000"


def _address_others_use(host: str) -> str:
    """The address to put in links: the machine's own address when serving on every interface."""
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 - a comparison, not a bind
        return f"[{host}]" if ":" in host else host
    # Connecting a UDP socket sends nothing; it only picks the interface with the default route.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


# Links in mails (password reset, order notices) point here, never at the Host header a request
# carries. Set SITE_URL to the address people really use when it differs.
os.environ.setdefault("SITE_URL", f"http://{_address_others_use(host)}:{port}")

wsgi_app = "wsgi:app"
bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _workers() -> int:
    """One process per core when the rate limits are shared, else one (see the docstring)."""
    if os.environ.get("WORKERS"):
        return int(os.environ["WORKERS"])
    if (os.environ.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        return 1
    return os.cpu_count() or 1


workers = _workers()
worker_class = "gthread"
threads = int(os.environ.get("THREADS") or 8)
accesslog = "-"
