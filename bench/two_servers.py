"""Two app servers: throughput through both against one, and how long an edit takes to show.

    .venv/bin/python bench/two_servers.py [--duration 10] [--connections 32] [--rounds 20]

Starts the layout of tests/test_two_servers.py (bench/app_servers.py: a PostgreSQL database of
its own, moto's S3 server, Redis, an RQ worker and two gunicorn servers as `make run` starts one,
each with its own instance folder), then:

- runs `wrk` against a product page, once with all connections on server A and once with them
  split over A and B (two wrk processes either way, the same connections in all), for a visitor
  without cookies (the whole page is kept) and one with a session cookie (their shell is drawn);
- `--rounds` times, a seller saves a new title on A and B's search is asked for its word at once;
  and saves a new price on A and B's product page, cached before, is fetched at once. It reports
  how many first requests after the save already showed the change, and the time from the save's
  answer to B's answer that showed it.

Prints a Markdown section for docs/benchmarks.md. Needs wrk (Debian package `wrk`), a
PostgreSQL that the URL's role may create databases on, and Redis.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app_servers import PASSWORD, Layout, Visitor  # noqa: E402
from tests.forms import submit  # noqa: E402

#: A cookie that makes the request a returning visitor's (no valid session: an empty one).
VISITOR_COOKIE = "session=returning-visitor"


def wrk(urls: list[str], connections: int, duration: int, cookie: str | None) -> dict:
    """Two wrk processes side by side, each with half the connections, on urls[0] and urls[-1]."""
    half = max(1, connections // 2)
    commands = []
    for url in (urls[0], urls[-1]):
        command = ["wrk", "-t1", f"-c{half}", f"-d{duration}s", "--latency", url]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        commands.append(command)
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for command in commands]
    outputs = [run.communicate()[0] for run in runs]
    rate = sum(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) for out in outputs)
    p99 = max(_millis(re.search(r"99%\s+([\d.]+\w+)", out).group(1)) for out in outputs)
    errors = sum(
        int(match.group(1))
        for out in outputs
        for match in [re.search(r"Non-2xx or 3xx responses: (\d+)", out)]
        if match
    )
    return {"rate": rate, "p99": p99, "errors": errors}


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def shown_at_once(seller_a: Visitor, look, edit, rounds: int) -> dict:
    """`rounds` times: edit(round) on A, then look(round) on B until it shows the edit."""
    first_tries, lags = 0, []
    for number in range(rounds):
        look(number, before=True)
        edit(number)
        saved = time.perf_counter()
        tries = 0
        while True:
            tries += 1
            if look(number, before=False):
                break
            if time.perf_counter() - saved > 10:
                raise SystemExit(f"round {number}: B did not show the edit within 10 s")
        lags.append((time.perf_counter() - saved) * 1000)
        first_tries += tries == 1
    return {"first": first_tries, "rounds": rounds, "lags": lags}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=20, help="edits per lag measurement")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn processes per server (1: what a second server adds shows on few cores)",
    )
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/vm_bench_two_servers",
        help="made afresh, and dropped at the end",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="vm-two-servers-"))
    started = time.monotonic()
    with Layout(folder, args.database_url, args.redis_url, workers=args.workers) as layout:
        startup = time.monotonic() - started
        a, b = layout.bases
        product = layout.products["dangshan-crisp-pears"]
        variant = product["variants"][0]
        seller = Visitor(a)
        assert (
            submit(seller, "/login", changes={"email": layout.seller_email, "password": PASSWORD})
        ).status_code == 302

        def save(product_id: int, changes: dict) -> None:
            page = f"/sell/products/{product_id}"
            answer = submit(seller, page, page, changes)
            assert answer.status_code == 302, answer.get_data(as_text=True)[:300]

        syrup = layout.products["dangshan-pear-syrup"]["id"]
        searcher = Visitor(b)

        def look_search(number: int, before: bool) -> bool:
            html = searcher.get(f"/search?q=Quokka{number:03d}x").get_data(as_text=True)
            # A hit's own link (featured products shown under "no results" are not hits).
            found = f'class="search-hit-picture" href="/products/{syrup}-' in html
            assert not (before and found)
            return found

        visitor = Visitor(b)

        def price(number: int) -> str:
            return f"{50 + number}.{number % 90 + 10}"

        def look_price(number: int, before: bool) -> bool:
            if before:
                for _ in range(2):  # the second view is B's kept page
                    assert price(number) not in visitor.get(product["url"]).get_data(as_text=True)
                return False
            return price(number) in visitor.get(product["url"]).get_data(as_text=True)

        search = shown_at_once(
            seller,
            look_search,
            lambda number: save(syrup, {"title_en": f"Dangshan pear syrup Quokka{number:03d}x"}),
            args.rounds,
        )
        prices = shown_at_once(
            seller,
            look_price,
            lambda number: save(product["id"], {f"v{variant}-price": price(number)}),
            args.rounds,
        )
        url = product["url"]
        rates = {}
        for label, cookie in (("no cookie", None), ("session cookie", VISITOR_COOKIE)):
            for servers, urls in (("A", [a + url]), ("A+B", [a + url, b + url])):
                rates[label, servers] = wrk(urls, args.connections, args.duration, cookie)
        timings = dict(layout.timings)
    # The processes' logs stay in the folder when a step above failed; kept no longer otherwise.
    shutil.rmtree(folder)
    print(report(args, startup, timings, rates, search, prices, url))


def report(args, startup, timings, rates, search, prices, url) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    lines = [
        f"Run {now}, {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Linux {platform.release()}, Python {platform.python_version()}, load average "
        f"{load:.1f} at the end. Command: `.venv/bin/python bench/two_servers.py "
        f"--duration {args.duration} --connections {args.connections} --rounds {args.rounds} "
        f"--workers {args.workers}`.",
        "",
        f"Product page `{url.split('-')[0]}-…` through wrk, two wrk processes of "
        f"{args.connections // 2} connections each:",
        "",
        "| visitor | server A alone: req/s | p99 | A and B together: req/s | p99 | A+B / A |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label in ("no cookie", "session cookie"):
        one, two = rates[label, "A"], rates[label, "A+B"]
        lines.append(
            f"| {label} | {one['rate']:,.0f} | {one['p99']:.1f} ms | {two['rate']:,.0f} | "
            f"{two['p99']:.1f} ms | {two['rate'] / one['rate']:.2f} |"
        )
    errors = sum(run["errors"] for run in rates.values())
    lines += ["", f"Non-2xx answers in all wrk runs: {errors}.", ""]
    lines += [
        "| an edit on A | B's first request after the save showed it | lag, median | lag, max |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, run in (("new title → search on B", search), ("new price → B's kept page", prices)):
        lines.append(
            f"| {label} | {run['first']} of {run['rounds']} | "
            f"{statistics.median(run['lags']):.1f} ms | {max(run['lags']):.1f} ms |"
        )
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
    lines += ["", f"Starting the layout took {startup:.1f} s ({steps})."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
