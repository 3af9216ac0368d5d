"""Checkout benchmark: 32 buyers on distinct products, sellers saving stock, a product page read
during a sale, and the oversell race.

    .venv/bin/python bench/checkout.py [--buyers 32] [--duration 20] [--workers 2] [--threads 4]
        [--sellers 2] [--page-duration 8]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<database> .venv/bin/python bench/checkout.py

Builds a fresh database (an SQLite file in a temporary instance folder, or the PostgreSQL database
of DATABASE_URL, whose public schema is DROPPED and rebuilt), migrates it, adds one shop and one
product per buyer (plenty of stock), a product nobody buys and a product with 5 units for the
race, and serves the app on loopback with gunicorn as `make run` does (gunicorn.conf.py; --workers
and --threads become its WORKERS and THREADS).

Throughput: each buyer (its own cookies, one kept-alive connection) repeats the whole journey for
--duration seconds: add to cart, open the checkout form, place the order (POST /checkout:
validation, opportunistic expiry, stock reservation, orders, commit), pay on the sandbox page with
4242 4242 4242 4242. Meanwhile --sellers sellers save their product's stock through the seller's
stock form. Reports orders per second, p50/p99 of placing and of paying, the sellers' saves, the
deadlocks and 5xx in the server's log, and the CPU per paid order of server, client and database.
Page rate: 4 visitors read the unbought product's page alone, then while 16 buyers buy.
Race: 40 buyers with 1 unit each in their cart post the checkout at the same instant for the last
5 units; reports how many orders were placed (must be 5) and the stock left (must be 0).
"""

import argparse
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.http_buyer import ADDRESS, Browser  # noqa: E402
from tests.forms import form_data, form_on  # noqa: E402

RACE_BUYERS = 40
RACE_UNITS = 5
SELLER_EMAIL = "bench-seller-{}@example.test"
SELLER_PASSWORD = "bench-only-password"  # noqa: S105 - a throwaway account of the bench
#: Buyers who buy while the product page's rate is measured, and the readers of that page.
SALE_BUYERS = 16
PAGE_READERS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer at {url}")


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_catalogue(
    instance: Path, database_url: str, buyers: int, sellers: int
) -> tuple[list[int], int, int]:
    """One shop and product per buyer, a product nobody buys (for the page rate) and the race
    product. The first `sellers` shops each belong to a seller of their own, who logs in as
    SELLER_EMAIL; returns the buyers' variant ids, the race variant's and the page product's id.
    """
    from products.models import Product, Region, Shop, Variant
    from shop import create_app
    from shop.accounts.models import User
    from shop.extensions import db
    from shop.models_base import utcnow

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        owner = User(email="bench-seller@example.test", display_name="Bench seller")
        owner.set_password("bench-only-password")
        owner.add_role("exhibitor")
        region = Region(slug="bench", name_zh="测试", name_en="Bench", latitude=30, longitude=110)
        db.session.add_all([owner, region])
        own = []
        for number in range(sellers):
            seller = User(email=SELLER_EMAIL.format(number), display_name=f"Seller {number}")
            seller.set_password(SELLER_PASSWORD)
            seller.add_role("exhibitor")
            own.append(seller)
        db.session.add_all(own)
        db.session.flush()
        variants, products = [], []
        # Buyers' products, then the page product, then the race product.
        for number in range(buyers + 2):
            shop = Shop(
                owner_id=own[number].id if number < sellers else owner.id,
                region_id=region.id,
                slug=f"bench-shop-{number}",
                name_zh=f"测试店{number}",
                shipping_fee_fen=800,
                free_shipping_over_fen=9900,
                # Only an approved shop's listings are for sale.
                approved_at=utcnow(),
            )
            product = Product(
                shop=shop,
                region_id=region.id,
                slug=f"bench-product-{number}",
                title_zh=f"测试商品{number}",
                status="published",
            )
            variant = Variant(
                spec_zh="一箱",
                price_fen=3990,
                stock=RACE_UNITS if number == buyers + 1 else 1_000_000,
            )
            product.variants.append(variant)
            db.session.add(product)
            variants.append(variant)
            products.append(product)
        db.session.commit()
        ids = [variant.id for variant in variants]
        page_product = products[buyers].id
        db.engine.dispose()
    return ids[:buyers], ids[-1], page_product


def stock_of(database_url: str, variant_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        stock = connection.execute(
            text("SELECT stock FROM variant WHERE id = :id"), {"id": variant_id}
        ).scalar()
    engine.dispose()
    return stock


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def log_in_seller(base: str, number: int) -> Browser:
    """A seller's browser, logged in through the log-in form."""
    browser = Browser(base)
    login = form_on(browser.request("/login")[2], "/login", "/login")
    changes = {"email": SELLER_EMAIL.format(number), "password": SELLER_PASSWORD}
    status, _, _ = browser.request("/login", list(form_data(login, changes).items(multi=True)))
    if status != 302:
        raise SystemExit(f"seller {number} could not log in ({status})")
    return browser


def journeys(
    base: str,
    variants: list[int],
    duration: float,
    sellers: list[tuple[Browser, int]] = (),
    page: str | None = None,
) -> dict:
    """Every buyer repeats add, checkout form, place, pay until the time is up.

    Meanwhile each seller saves their product's stock through the seller's stock form, over and
    over, and PAGE_READERS visitors read `page` over and over (when given).
    """
    place_ms: list[float] = []
    pay_ms: list[float] = []
    failures: list[str] = []
    saves: list[int] = []
    page_reads: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def buyer(variant: int) -> None:
        browser = Browser(base)
        while time.monotonic() < stop_at:
            browser.add_to_cart(variant, 1)
            form = browser.checkout_form(ADDRESS)
            started = time.perf_counter()
            status, location, _ = browser.place_order(form)
            placed = time.perf_counter()
            if status != 303:
                with lock:
                    failures.append(f"place {status}")
                continue
            token = location.rsplit("/payments/", 1)[1].split("/")[0]
            page = browser.request(f"/payments/sandbox/{token}")[2]
            csrf = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
            paying = time.perf_counter()
            status, _, _ = browser.request(
                f"/payments/sandbox/{token}",
                {
                    "csrf_token": csrf,
                    "card_number": "4242 4242 4242 4242",
                    "expiry": "12/34",
                    "cvc": "123",
                    "cardholder": "BENCH",
                },
            )
            paid = time.perf_counter()
            with lock:
                place_ms.append((placed - started) * 1000)
                if status == 303:
                    pay_ms.append((paid - paying) * 1000)
                else:
                    failures.append(f"pay {status}")

    def seller(browser: Browser, variant: int) -> None:
        round_number = 0
        while time.monotonic() < stop_at:
            listing = browser.request("/sell/products")[2]
            form = form_on(listing, "/sell/products", "/sell/products")
            changes = {f"stock-{variant}": str(900_000 + round_number % 1000)}
            status, _, _ = browser.request(
                "/sell/products", list(form_data(form, changes).items(multi=True))
            )
            round_number += 1
            with lock:
                saves.append(status)

    def reader() -> None:
        browser = Browser(base)
        while time.monotonic() < stop_at:
            status = browser.request(page)[0]
            with lock:
                page_reads.append(status)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(variants) + len(sellers) + PAGE_READERS) as pool:
        jobs = [pool.submit(buyer, variant) for variant in variants]
        jobs += [pool.submit(seller, browser, variant) for browser, variant in sellers]
        if page is not None:
            jobs += [pool.submit(reader) for _ in range(PAGE_READERS)]
        for job in jobs:
            job.result()
    elapsed = time.monotonic() - started
    return {
        "elapsed": elapsed,
        "place": place_ms,
        "pay": pay_ms,
        "failures": failures,
        "saves": saves,
        "page_reads": page_reads,
    }


def race(base: str, variant: int) -> dict:
    """40 buyers post the checkout at the same instant for the last 5 units."""
    buyers = [Browser(base) for _ in range(RACE_BUYERS)]

    def fill(buyer: Browser) -> dict:
        buyer.add_to_cart(variant, 1)
        return buyer.checkout_form(ADDRESS)

    with ThreadPoolExecutor(max_workers=RACE_BUYERS) as pool:
        forms = list(pool.map(fill, buyers))
    start = threading.Barrier(RACE_BUYERS)

    def post(index: int):
        start.wait()
        began = time.perf_counter()
        status, location, _ = buyers[index].place_order(forms[index])
        return status, location, (time.perf_counter() - began) * 1000

    with ThreadPoolExecutor(max_workers=RACE_BUYERS) as pool:
        results = list(pool.map(post, range(RACE_BUYERS)))
    return {
        "placed": sum(
            1 for status, location, _ in results if status == 303 and "/payments/" in location
        ),
        "refused": sum(1 for status, _, _ in results if status == 302),
        "errors": sum(1 for status, _, _ in results if status >= 500),
        "slowest_ms": max(ms for _, _, ms in results),
    }


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_used(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn processes, this client and the local PostgreSQL.

    Read from /proc (Linux); what the ceiling of a machine's cores is computed from.
    """
    gunicorn, postgres = 0.0, 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat.split("(", 1)[1].rsplit(")", 1)
        parent = int(rest.split()[1])
        if int(entry.name) == server_pid or parent == server_pid:
            gunicorn += _cpu_seconds(int(entry.name))
        elif name == "postgres":
            postgres += _cpu_seconds(int(entry.name))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": gunicorn,
        "client": usage.ru_utime + usage.ru_stime,
        "postgres": postgres,
    }


def server_problems(log: Path) -> tuple[int, int]:
    """(PostgreSQL deadlock errors, 5xx answers) in the server's log."""
    text = log.read_text(errors="replace")
    # /healthz answers 503 while the server starts; wait_for() asks until it is ready.
    answers = [line for line in text.splitlines() if "GET /healthz" not in line]
    errors = sum(1 for line in answers if re.search(r'" 5\d\d ', line))
    return text.count("deadlock detected"), errors


def main() -> None:
    parser = argparse.ArgumentParser(description="Checkout throughput, p99 and the oversell race.")
    parser.add_argument("--buyers", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument(
        "--workers", type=int, help="gunicorn processes (default: what gunicorn.conf.py chooses)"
    )
    parser.add_argument("--threads", type=int, help="threads per process (default: the conf's)")
    parser.add_argument(
        "--sellers", type=int, default=0, help="sellers saving stock during the throughput run"
    )
    parser.add_argument(
        "--page-duration",
        type=float,
        default=10,
        help="seconds of reading a product page alone, then as long during a sale (0: skip)",
    )
    arguments = parser.parse_args()
    if arguments.buyers < max(arguments.sellers, SALE_BUYERS):
        raise SystemExit(f"--buyers must be at least {max(arguments.sellers, SALE_BUYERS)}")

    instance = Path(tempfile.mkdtemp(prefix="vm-bench-checkout-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'village-market.db'}"
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite (WAL)"
    if database == "PostgreSQL":
        reset_postgres(database_url)
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only",
        # Every simulated buyer comes from 127.0.0.1: lift the per-address checkout limits.
        "CHECKOUT_LIMIT": "100000 per minute",
        "OPEN_CHECKOUTS_PER_ADDRESS": "100000",
    }
    env.pop("STRIPE_SECRET_KEY", None)
    for name, value in (("WORKERS", arguments.workers), ("THREADS", arguments.threads)):
        if value is not None:
            env[name] = str(value)
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    variants, race_variant, page_product = make_catalogue(
        instance, database_url, arguments.buyers, arguments.sellers
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = instance / "gunicorn.log"
    load_before = os.getloadavg()
    # As `make run` serves: gunicorn.conf.py, with the process and thread counts it chooses.
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(base + "/healthz")
        sellers = [
            (log_in_seller(base, number), variants[number]) for number in range(arguments.sellers)
        ]
        cpu_before = cpu_used(server.pid)
        load = journeys(base, variants, arguments.duration, sellers)
        cpu_after = cpu_used(server.pid)
        idle = sale = None
        if arguments.page_duration > 0:
            page = f"/products/{page_product}-bench-product-{arguments.buyers}"
            idle = journeys(base, [], arguments.page_duration, page=page)
            sale = journeys(base, variants[:SALE_BUYERS], arguments.page_duration, page=page)
        contest = race(base, race_variant)
        left = stock_of(database_url, race_variant)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    deadlocks, server_errors = server_problems(log)
    if deadlocks or server_errors:
        kept = Path(tempfile.gettempdir()) / f"vm-bench-checkout-{port}.log"
        shutil.copy(log, kept)
        print(f"The server's log, with its errors, is kept at {kept}", file=sys.stderr)
    settings = re.search(r"Using worker: (\w+)", log.read_text(errors="replace"))
    shutil.rmtree(instance, ignore_errors=True)

    place, pay = load["place"], load["pay"]
    workers = arguments.workers or "conf"
    threads = arguments.threads or "conf"
    print(
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}; database: {database}; "
        f"gunicorn --config gunicorn.conf.py (workers {workers}, threads {threads}, "
        f"worker {settings.group(1) if settings else '?'}), loopback; "
        f"{arguments.buyers} buyers and {arguments.sellers} sellers for "
        f"{arguments.duration:.0f} s; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after.\n"
    )
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| orders placed and paid | {len(pay)} in {load['elapsed']:.1f} s |")
    print(f"| checkout throughput | {len(pay) / load['elapsed']:.1f} orders/s |")
    print(
        f"| place order (POST /checkout) p50 / p99 | {statistics.median(place):.0f} ms / {percentile(place, 0.99):.0f} ms |"
    )
    print(
        f"| pay on the sandbox page p50 / p99 | {statistics.median(pay):.0f} ms / {percentile(pay, 0.99):.0f} ms |"
    )
    print(f"| failed requests | {len(load['failures'])} |")
    orders = max(1, len(pay))
    spent = {key: (cpu_after[key] - cpu_before[key]) * 1000 / orders for key in cpu_after}
    print(
        f"| CPU per paid order: server / client / PostgreSQL (total) | {spent['server']:.0f} / "
        f"{spent['client']:.0f} / {spent['postgres']:.0f} ms ({sum(spent.values()):.0f} ms: "
        f"{os.cpu_count()} cores would allow {os.cpu_count() * 1000 / sum(spent.values()):.1f} "
        f"orders/s) |"
    )
    if arguments.sellers:
        refused = sum(1 for status in load["saves"] if status != 302)
        print(
            f"| sellers' stock saves during the run | {len(load['saves'])} "
            f"({len(load['saves']) / load['elapsed']:.1f}/s), {refused} not redirected |"
        )
    print(
        f"| PostgreSQL deadlocks in the server log / 5xx answers | {deadlocks} / {server_errors} |"
    )
    if idle is not None:
        print(
            f"| product page, {PAGE_READERS} readers: alone / while {SALE_BUYERS} buyers buy "
            f"another product | {len(idle['page_reads']) / idle['elapsed']:.0f} req/s / "
            f"{len(sale['page_reads']) / sale['elapsed']:.0f} req/s "
            f"({len(sale['pay']) / sale['elapsed']:.1f} orders/s meanwhile; "
            f"{sum(1 for status in idle['page_reads'] + sale['page_reads'] if status != 200)} "
            "answers other than 200) |"
        )
    print(
        f"| race: {RACE_BUYERS} buyers, {RACE_UNITS} units | {contest['placed']} orders, "
        f"{contest['refused']} sent back to the cart, {contest['errors']} errors, stock left {left}, "
        f"slowest answer {contest['slowest_ms']:.0f} ms |"
    )
    if contest["placed"] != RACE_UNITS or left != 0:
        raise SystemExit("OVERSOLD or undersold: the race result is wrong")


if __name__ == "__main__":
    main()
