"""Checkout benchmark: 32 buyers on distinct products, and the oversell race.

    .venv/bin/python bench/checkout.py [--buyers 32] [--duration 20] [--workers 2]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_h6 .venv/bin/python bench/checkout.py

Builds a fresh database (an SQLite file in a temporary instance folder, or the PostgreSQL database
of DATABASE_URL, whose public schema is DROPPED and rebuilt), migrates it, adds one shop and one
product per buyer (plenty of stock) and a product with 5 units for the race, and serves the app
with gunicorn (2 sync workers, as `make run`) on loopback.

Throughput: each buyer (its own cookies) repeats the whole journey for --duration seconds: add to
cart, open the checkout form, place the order (POST /checkout: validation, opportunistic expiry,
stock reservation, orders, commit), pay on the sandbox page with 4242 4242 4242 4242. Reports
orders per second and p50/p99 of placing and of paying.
Race: 40 buyers with 1 unit each in their cart post the checkout at the same instant for the last
5 units; reports how many orders were placed (must be 5) and the stock left (must be 0).
"""

import argparse
import os
import platform
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

RACE_BUYERS = 40
RACE_UNITS = 5


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


def make_catalogue(instance: Path, database_url: str, buyers: int) -> tuple[list[int], int]:
    """One shop and product per buyer, and the race product; returns their variant ids."""
    from products.models import Product, Region, Shop, Variant
    from shop import create_app
    from shop.accounts.models import User
    from shop.extensions import db

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        owner = User(email="bench-seller@example.test", display_name="Bench seller")
        owner.set_password("bench-only-password")
        owner.add_role("exhibitor")
        region = Region(slug="bench", name_zh="测试", name_en="Bench", latitude=30, longitude=110)
        db.session.add_all([owner, region])
        db.session.flush()
        variants = []
        for number in range(buyers + 1):
            shop = Shop(
                owner_id=owner.id,
                region_id=region.id,
                slug=f"bench-shop-{number}",
                name_zh=f"测试店{number}",
                shipping_fee_fen=800,
                free_shipping_over_fen=9900,
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
                stock=RACE_UNITS if number == buyers else 1_000_000,
            )
            product.variants.append(variant)
            db.session.add(product)
            variants.append(variant)
        db.session.commit()
        ids = [variant.id for variant in variants]
        db.engine.dispose()
    return ids[:-1], ids[-1]


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


def journeys(base: str, variants: list[int], duration: float) -> dict:
    """Every buyer repeats add, checkout form, place, pay until the time is up."""
    place_ms: list[float] = []
    pay_ms: list[float] = []
    failures: list[str] = []
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

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(variants)) as pool:
        list(pool.map(buyer, variants))
    elapsed = time.monotonic() - started
    return {"elapsed": elapsed, "place": place_ms, "pay": pay_ms, "failures": failures}


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


def main() -> None:
    parser = argparse.ArgumentParser(description="Checkout throughput, p99 and the oversell race.")
    parser.add_argument("--buyers", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    arguments = parser.parse_args()

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
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    variants, race_variant = make_catalogue(instance, database_url, arguments.buyers)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(arguments.workers),
            "--threads",
            str(arguments.threads),
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base + "/healthz")
        load = journeys(base, variants, arguments.duration)
        contest = race(base, race_variant)
        left = stock_of(database_url, race_variant)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)

    place, pay = load["place"], load["pay"]
    print(
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}; database: {database}; "
        f"gunicorn --workers {arguments.workers} --threads {arguments.threads}, loopback; "
        f"{arguments.buyers} buyers for {arguments.duration:.0f} s.\n"
    )
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| orders placed and paid | {len(pay)} in {load['elapsed']:.1f} s |")
    print(f"| checkout throughput | {len(place) / load['elapsed']:.1f} orders/s |")
    print(
        f"| place order (POST /checkout) p50 / p99 | {statistics.median(place):.0f} ms / {percentile(place, 0.99):.0f} ms |"
    )
    print(
        f"| pay on the sandbox page p50 / p99 | {statistics.median(pay):.0f} ms / {percentile(pay, 0.99):.0f} ms |"
    )
    print(f"| failed requests | {len(load['failures'])} |")
    print(
        f"| race: {RACE_BUYERS} buyers, {RACE_UNITS} units | {contest['placed']} orders, "
        f"{contest['refused']} sent back to the cart, {contest['errors']} errors, stock left {left}, "
        f"slowest answer {contest['slowest_ms']:.0f} ms |"
    )
    if contest["placed"] != RACE_UNITS or left != 0:
        raise SystemExit("OVERSOLD or undersold: the race result is wrong")


if __name__ == "__main__":
    main()
