"""How `make run` serves the site: `gunicorn --config gunicorn.conf.py`, nothing else on the line.

The tests in tests/test_serving.py start gunicorn with exactly this file, so what they measure is
what `make run` serves. HOST, PORT and THREADS come from the environment (the Makefile passes its
variables on).

One process with threads, not several processes:
- the rate limits count in that process's memory unless RATELIMIT_STORAGE_URI names a Redis, so
  with one process "5 failed log-ins" means five for the whole site, not five per worker;
- a client that sends its request slowly holds one thread, not a whole worker, so two of them
  cannot keep the site from answering.
For several processes or machines, point RATELIMIT_STORAGE_URI at Redis (docs/deploy.md).
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
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("THREADS") or 8)
accesslog = "-"
