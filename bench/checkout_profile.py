"""Server CPU of the checkout journey, in one process: CPU ms and SQL statements per request.

    .venv/bin/python bench/checkout_profile.py [--journeys 60] [--buyers 8] [--warmup 2] [--profile]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<database> \
        .venv/bin/python bench/checkout_profile.py

Builds a fresh database as bench/checkout.py does (an SQLite file in a temporary instance folder,
or the PostgreSQL database of DATABASE_URL, whose public schema is DROPPED and rebuilt), migrated
with flask_migrate.upgrade(), with one shop and one product per buyer. Then --buyers buyers (each
a Flask test client with its own cookies, sending a phone browser's Accept-Encoding) take turns
at the whole journey, --journeys times in all: the CSRF token for the add-to-cart script, add to
cart, the checkout form, place the order (POST /checkout), the sandbox's card page, pay with
4242 4242 4242 4242. The first --warmup journeys of each buyer are not counted (template
compilation, first queries' statement cache).

No HTTP server and no sockets: what is measured is the app's own work per request, its process
CPU time (time.process_time; on SQLite that includes the database's work, on PostgreSQL the
server's work is not counted) and the statements sent (a before_cursor_execute listener, as
tests/conftest.py's count_queries). Every answer is checked (a failed journey stops the bench),
so a faster figure is never a broken page. --profile adds cProfile's top 30 functions (timed by
process CPU, not wall clock) by cumulative and by own time over the counted journeys. Results go to docs/benchmarks.md
("Checkout").
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkout import make_catalogue, reset_postgres  # noqa: E402
from bench.http_buyer import ADDRESS  # noqa: E402

STEPS = ("token", "add", "form", "place", "card page", "pay")
CARD = {
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/34",
    "cvc": "123",
    "cardholder": "BENCH",
}
#: What a phone browser sends: compression may be chosen, as it would be for a real buyer.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "zh-CN,zh;q=0.9"}


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


class Meter:
    """CPU seconds and statements per journey step."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = 0
        self.cpu = {step: [] for step in STEPS}
        self.sql = {step: [] for step in STEPS}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs) -> None:
        self.statements += 1

    def request(self, step: str, counted: bool, send):
        before_sql, before_cpu = self.statements, time.process_time()
        response = send()
        if counted:
            self.cpu[step].append(time.process_time() - before_cpu)
            self.sql[step].append(self.statements - before_sql)
        return response


def expect(response, status: int, step: str) -> None:
    if response.status_code != status:
        raise SystemExit(f"{step}: answered {response.status_code}, expected {status}")


def journey(client, variant: int, meter: Meter, counted: bool) -> None:
    """One whole journey, every answer checked."""
    call = meter.request
    response = call("token", counted, lambda: client.get("/cart/form-token"))
    expect(response, 200, "token")
    token = json.loads(response.get_data())["csrf_token"]
    response = call(
        "add",
        counted,
        lambda: client.post(
            "/cart/add", data={"variant_id": variant, "quantity": 1, "csrf_token": token}
        ),
    )
    if response.status_code not in (200, 302, 303):
        raise SystemExit(f"add: answered {response.status_code}")
    response = call("form", counted, lambda: client.get("/checkout"))
    expect(response, 200, "form")
    page = response.get_data(as_text=True)
    form = {**ADDRESS, "csrf_token": hidden(page, "csrf_token"), "quote": hidden(page, "quote")}
    response = call("place", counted, lambda: client.post("/checkout", data=form))
    expect(response, 303, "place")
    token = response.headers["Location"].rsplit("/payments/", 1)[1].split("/")[0]
    address = f"/payments/sandbox/{token}"
    response = call("card page", counted, lambda: client.get(address))
    expect(response, 200, "card page")
    csrf = hidden(response.get_data(as_text=True), "csrf_token")
    response = call("pay", counted, lambda: client.post(address, data={**CARD, "csrf_token": csrf}))
    expect(response, 303, "pay")


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU and SQL per request of the checkout journey.")
    parser.add_argument("--journeys", type=int, default=60, help="counted journeys in all")
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2, help="uncounted journeys per buyer")
    parser.add_argument("--profile", action="store_true", help="cProfile top 30 (slower)")
    parser.add_argument("--profile-file", help="with --profile: also save the stats there (pstats)")
    arguments = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="vm-bench-checkout-profile-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'village-market.db'}"
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    if database == "PostgreSQL":
        reset_postgres(database_url)
    os.environ.pop("STRIPE_SECRET_KEY", None)

    from flask_migrate import upgrade

    from shop import create_app
    from shop.extensions import db

    config = {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-only",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Every buyer comes from 127.0.0.1: lift the per-address checkout limits.
        "CHECKOUT_LIMIT": "100000 per minute",
        "OPEN_CHECKOUTS_PER_ADDRESS": 100000,
    }
    with create_app(config).app_context():
        upgrade()
        db.engine.dispose()
    variants, _, _ = make_catalogue(instance, database_url, arguments.buyers, 0)
    app = create_app(config)
    with app.app_context():
        meter = Meter(db.engine)
    clients = []
    for _ in variants:
        client = app.test_client()
        client.environ_base.update(
            {"HTTP_" + k.upper().replace("-", "_"): v for k, v in BROWSER_HEADERS.items()}
        )
        clients.append(client)

    for _ in range(arguments.warmup):
        for client, variant in zip(clients, variants, strict=True):
            journey(client, variant, meter, counted=False)
    # Timed by CPU, not wall clock: waiting for the database or for the cores is not our cost.
    profiler = cProfile.Profile(time.process_time) if arguments.profile else None
    load = os.getloadavg()
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for number in range(arguments.journeys):
        index = number % len(clients)
        journey(clients[index], variants[index], meter, counted=True)
    if profiler:
        profiler.disable()
    cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started_wall

    print(
        f"{database}, {arguments.journeys} journeys by {len(clients)} buyers"
        f"{' (under cProfile: times inflated)' if profiler else ''}; "
        f"load average {load[0]:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(f"{'request':<12} {'CPU ms p50':>10} {'CPU ms mean':>11} {'SQL':>5}")
    for step in STEPS:
        print(
            f"{step:<12} {statistics.median(meter.cpu[step]) * 1000:>10.2f}"
            f" {statistics.fmean(meter.cpu[step]) * 1000:>11.2f}"
            f" {statistics.fmean(meter.sql[step]):>5.1f}"
        )
    statements = sum(statistics.fmean(meter.sql[step]) for step in STEPS)
    print(
        f"{'journey':<12} {'':>10} {cpu / arguments.journeys * 1000:>11.2f} {statements:>5.1f}"
        f"   (wall {wall / arguments.journeys * 1000:.1f} ms)"
    )
    if profiler:
        if arguments.profile_file:
            profiler.dump_stats(arguments.profile_file)
        for order in ("cumulative", "tottime"):
            print(f"\n--- top 30 by {order} ---")
            pstats.Stats(profiler).sort_stats(order).print_stats(30)
    shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
