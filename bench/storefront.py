"""Storefront benchmark: region and product pages against a static file of the same size.

    .venv/bin/python bench/storefront.py [--products 10000] [--duration 15] [--connections 32]

Builds a fresh instance (SQLite by default; DATABASE_URL for PostgreSQL) with the seed catalogue
plus a synthetic one (bench/make_catalogue.py), serves it with gunicorn (2 workers) on loopback,
and runs `wrk --latency` against: a region page, a static file of the region page's size, a
product page and a static file of the product page's size, all from the same server. Each page
is measured twice: as a first-time visitor without cookies (the whole page is kept), and as a
visitor with a session cookie (their own shell rendered around the cached shared blocks). Prints a
Markdown table for docs/benchmarks.md (req/s, p99, and page/static ratio) and the home page's
compressed weight (HTML + CSS + JS).

Target: each page at least 40% of its static file's req/s, p99 under 100 ms.
Needs wrk (Debian package `wrk`).
"""

import argparse
import gzip
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A cookie that makes the request a returning visitor's (not a valid session, so an empty one).
VISITOR_COOKIE = "session=returning-visitor"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def wrk(url: str, duration: int, connections: int, threads: int, cookie: str = "") -> dict:
    """req/s and p99 (ms) of one wrk run."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rate": rate,
        "p99": p99,
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Storefront pages vs a static file, under wrk.")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    instance = Path(tempfile.mkdtemp(prefix="vm-bench-"))
    env = {**os.environ, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench-only"}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "seed"], **run)
    made = subprocess.run(
        [
            sys.executable,
            "bench/make_catalogue.py",
            "--products",
            str(arguments.products),
            "--practice",
            "50",
        ],
        **run,
        text=True,
    )
    print(made.stdout.strip(), file=sys.stderr)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(arguments.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    static_files = []
    try:
        wait_for(base + "/healthz")
        product_path = re.search(
            r'href="(/products/\d+-[^"]+)"', fetch(base + "/regions/dangshan").decode()
        ).group(1)
        pages = {"region": "/regions/dangshan", "product": product_path}
        rows = []
        for name, path in pages.items():
            for _ in range(20):  # every worker renders and caches the page
                body = fetch(base + path)
            static = ROOT / "static" / f".bench-{name}-{os.getpid()}.html"
            static.write_bytes(b"x" * len(body))
            static_files.append(static)
            static_url = f"{base}/static/{static.name}"
            fetch(static_url)
            load = (arguments.duration, arguments.connections, arguments.threads)
            static_result = wrk(static_url, *load)
            rows.append((name, path, len(body), wrk(base + path, *load), static_result))
            # A visitor with a session: their own shell is rendered around the cached blocks.
            returning = wrk(base + path, *load, cookie=VISITOR_COOKIE)
            rows.append(
                (f"{name}, with a session cookie", path, len(body), returning, static_result)
            )

        home = fetch(base + "/")
        css = fetch(base + "/static/css/site.css")
        scripts = re.findall(r'<script src="([^"]+)"', home.decode())
        js = b"".join(fetch(base + src) for src in scripts)
        weight = sum(len(gzip.compress(part, 6)) for part in (home, css, js) if part)
    finally:
        server.terminate()
        server.wait(timeout=30)
        for static in static_files:
            static.unlink(missing_ok=True)
        if not arguments.keep:
            shutil.rmtree(instance, ignore_errors=True)

    print(
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}; database: "
        f"{'SQLite' if 'DATABASE_URL' not in os.environ else 'DATABASE_URL'}; "
        f"{arguments.products} synthetic products + the seed catalogue."
    )
    print(
        f"Command: wrk -t{arguments.threads} -c{arguments.connections} -d{arguments.duration}s --latency; "
        f"gunicorn --workers {arguments.workers} (sync), loopback.\n"
    )
    print("| page | bytes | page req/s | page p99 | static req/s | static p99 | ratio | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, path, size, page_result, static_result in rows:
        ratio = page_result["rate"] / static_result["rate"]
        errors = page_result["non2xx"] + static_result["non2xx"]
        print(
            f"| {name} `{path}` | {size:,} | {page_result['rate']:,.0f} | {page_result['p99']:.1f} ms "
            f"| {static_result['rate']:,.0f} | {static_result['p99']:.1f} ms | {ratio:.0%} "
            f"| {errors} non-2xx{', ' + page_result['socket_errors'] if page_result['socket_errors'] else ''} |"
        )
    print(
        f"\nHome page, gzip -6: HTML {len(gzip.compress(home, 6)):,} B + CSS {len(gzip.compress(css, 6)):,} B"
        f" + JS {len(gzip.compress(js, 6)) if js else 0:,} B = {weight / 1024:.1f} KB (target < 60 KB)"
    )


if __name__ == "__main__":
    main()
