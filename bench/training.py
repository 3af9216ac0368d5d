"""Training sandbox benchmark: the trainer's cohort page, the trainee's pages, share posters,
a product page under a limited-time discount, and simulated customers.

    .venv/bin/python bench/training.py [--views 50] [--posters 20] [--customers 30]

Everything runs in this one process with Flask's test client (no HTTP server, no network): the
trainer's and trainee's pages need a logged-in session, which the client gets the way
tests/conftest.py login_as does (session keys written directly). So the figures are server
time (routing, session, queries, templates), without sockets or gunicorn.

The data: a fresh SQLite file in a temporary instance folder, migrated with flask_migrate, the
demo catalogue from shop.seed, then built through the project's services: the demo trainer opens
a cohort of 40 and one of 10 (create_cohort); each trainee joins (join_cohort), opens a practice
shop (open_shop), adds and publishes two listings with a photo (create_listing, add_photos,
publish_listing; their signals tick lessons), gets two or three simulated customers
(send_customer "normal" and "question"), answers some questions (post_seller_reply) and ships
some orders (mark_shipped). Two lessons per trainee are ticked with tick_lesson as setup.

Measured, each page `--views` times after one first view (reported apart: a first view may
write, e.g. preview tokens): bytes, gzip bytes (level 6), SQL statements per view (a
before_cursor_execute listener, as tests/conftest.py count_queries), p50 and p95. Prints
Markdown tables for docs/benchmarks.md, with the date and the load average at start and end.
"""

import argparse
import gzip
import io
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from shop import create_app  # noqa: E402
from shop.extensions import db  # noqa: E402

#: A question of the "question" scenario gets an answer for every other trainee.
REPLY = "您好，今天下午发顺丰，明天就到。"
#: Class sizes whose cohort pages are compared: the page must not cost more for more trainees.
CLASS_SIZES = (40, 10)
#: Stock of each practice listing: enough for the setup's customers and the timed ones.
PRACTICE_STOCK = 5_000


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.5: the median), as bench/checkout.py computes it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class StatementCounter:
    """Counts every SQL statement the app's engine sends (tests/conftest.py count_queries)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def measure(self, action: Callable[[], object]) -> tuple[object, float, int]:
        """(action's result, milliseconds, statements)."""
        before = self.count
        started = time.perf_counter()
        result = action()
        elapsed = (time.perf_counter() - started) * 1000
        return result, elapsed, self.count - before


def login_as(app, user_id: int):
    """A test client whose session belongs to the user, as tests/conftest.py login_as does."""
    from shop.extensions import login_manager

    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        fingerprint = login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session["_id"] = fingerprint
    return client


# --- Building the data ------------------------------------------------------------------------


def build_app(instance: Path):
    """The app on a new SQLite file in the instance folder, migrated to the latest revision."""
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "SEARCH_INDEX_PATH": str(instance / "search-index"),
        }
    )
    with app.app_context():
        upgrade()
    return app


def seed_catalogue(app) -> None:
    """The demo catalogue, accounts and cohort, as `flask seed` loads them."""
    from products import search
    from shop.seed import seed

    with app.test_request_context():
        seed(app.config["SEED_DATA_PATH"], app.config["MAX_IMAGE_BYTES"])
        db.session.commit()
        search.rebuild()


def add_trainee(number: int, cohort, region, category_id: int, photo, password_hash: str):
    """A trainee who joined (cohort None: none), opened a practice shop and published two
    listings; returns the user and the shop."""
    from products.models import ShopKind
    from shop.accounts.models import User
    from shop.sellers import services as sellers
    from shop.training import lessons
    from shop.training import services as training

    user = User(
        email=f"trainee{number:03d}@bench.test",
        display_name=f"学员{number:03d}",
        language="zh",
        password_hash=password_hash,
    )
    user.add_role("trainee")
    db.session.add(user)
    db.session.flush()
    if cohort is not None:
        training.join_cohort(user, cohort.join_code)
    shop = sellers.open_shop(
        user,
        sellers.ShopDetails(
            name_zh=f"学员{number:03d}的果园",
            name_en=f"Trainee {number} orchard",
            region_id=region.id,
            story_zh="我们家在太行山脚下种核桃和苹果，已经三代人了。",
            shipping_fee_fen=800,
            free_shipping_over_fen=9900,
        ),
    )
    assert shop.kind == ShopKind.PRACTICE
    for position, (title, spec, price) in enumerate(
        (("灵寿核桃 2斤装", "一袋", 4500), ("灵寿红富士苹果 5斤装 礼盒", "一箱", 3990))
    ):
        product = sellers.create_listing(
            shop,
            sellers.ListingDetails(
                title_zh=title,
                description_zh="自家种的，当季采摘，顺丰发货。",
                category_id=category_id,
            ),
            sellers.VariantDetails(
                spec_zh=spec,
                spec_en="",
                price_fen=price + 100 * position,
                stock=PRACTICE_STOCK,
                weight_g=1200,
            ),
        )
        sellers.add_photos(product, [photo])
        sellers.publish_listing(product)
    for key in (lessons.PROFILE, lessons.SHARE_KIT)[: 1 + number % 2]:
        training.tick_lesson(user.id, key)
    db.session.commit()
    return user, shop


def add_customers(number: int, user, shop) -> None:
    """Two or three simulated customers; every other question answered, every third order shipped."""
    from shop.messages.services import post_seller_reply
    from shop.orders.services import mark_shipped
    from shop.training.customers import send_customer

    scenarios = ["normal", "question"] + (["normal"] if number % 2 == 0 else [])
    outcomes = [
        send_customer(shop, scenario, rng=random.Random(number * 10 + index))
        for index, scenario in enumerate(scenarios)
    ]
    db.session.commit()
    question = next(outcome for outcome in outcomes if outcome.scenario == "question")
    if number % 2 == 0:
        post_seller_reply(question.message.thread, user, REPLY)
    if number % 3 == 0:
        mark_shipped(outcomes[0].order, user, "顺丰速运", f"SF{1_000_000 + number}")
    db.session.commit()


def build_training(app) -> dict:
    """Two cohorts of the demo trainer (40 and 10 trainees) and a shop for timed customers."""
    from products.models import Category, Region
    from shop.accounts.models import User
    from shop.sellers.services import store_photo
    from shop.training.cohorts import create_cohort

    ids: dict = {"cohorts": {}, "trainees": {}}
    with app.test_request_context():
        trainer = db.session.scalar(
            select(User).where(User.email == "trainer@demo.villagemarket.test")
        )
        region = db.session.scalar(select(Region).where(Region.slug == "lingshou"))
        category_id = db.session.scalar(select(Category.id).order_by(Category.id).limit(1))
        # One photo processed once; files are named by content, so every listing shares it.
        photo = store_photo(
            (ROOT / "seed_data" / "pictures" / "lingshou-walnuts.webp").read_bytes(),
            app.config["MAX_IMAGE_BYTES"],
        )
        probe = User(email="x@bench.test", display_name="x")
        probe.set_password("bench-only-password")
        ids["trainer"] = trainer.id
        number = 0
        for size in CLASS_SIZES:
            cohort = create_cohort(
                trainer, f"灵寿 {size} 人班", region.id, date(2026, 9, 1), date(2026, 12, 31)
            )
            db.session.commit()
            ids["cohorts"][size] = cohort.id
            for _index in range(size):
                number += 1
                user, shop = add_trainee(
                    number, cohort, region, category_id, photo, probe.password_hash
                )
                add_customers(number, user, shop)
                ids["trainees"].setdefault(size, user.id)
        # A practice shop outside the cohorts for the timed customers, so the pages above
        # keep the data they were measured with.
        number += 1
        user, shop = add_trainee(number, None, region, category_id, photo, probe.password_hash)
        ids["customer_shop"] = shop.id
    return ids


def build_discount_products(app) -> dict:
    """A seed product (2 variants) and a 6-variant listing of the same exhibitor shop."""
    from products.models import Product
    from shop.sellers import services as sellers

    with app.test_request_context():
        seed_product = db.session.scalar(
            select(Product).where(Product.slug == "dangshan-crisp-pears")
        )
        shop = seed_product.shop
        wide = sellers.create_listing(
            shop,
            sellers.ListingDetails(
                title_zh="砀山酥梨 多规格", title_en="Dangshan pears, six sizes"
            ),
            sellers.VariantDetails(spec_zh="2斤", spec_en="1 kg", price_fen=1990, stock=500),
        )
        for kilos in range(2, 7):
            sellers.add_variant(
                wide,
                sellers.VariantDetails(
                    spec_zh=f"{kilos * 2}斤",
                    spec_en=f"{kilos} kg",
                    price_fen=1990 * kilos,
                    stock=500,
                ),
            )
        sellers.publish_listing(wide)
        db.session.commit()
        return {
            "shop": shop.id,
            "products": {
                len(product.variants): (product.id, f"/products/{product.id}-{product.slug}")
                for product in (seed_product, wide)
            },
        }


def schedule_discounts(app, shop_id: int, product_ids: list[int]) -> None:
    """A running 20%-off discount (started 5 minutes ago, ends in 2 hours) on every variant."""
    from products.models import DiscountKind, Product, Shop
    from shop.models_base import utcnow
    from shop.sellers.discounts import DiscountDetails, schedule_discount

    with app.test_request_context():
        now = utcnow()
        shop = db.session.get(Shop, shop_id)
        for product_id in product_ids:
            product = db.session.get(Product, product_id)
            schedule_discount(
                shop,
                DiscountDetails(
                    name_zh="限时特惠",
                    name_en="Flash sale",
                    kind=DiscountKind.PERCENT,
                    percent_off=20,
                    fixed_price_fen=None,
                    starts_at=now - timedelta(minutes=5),
                    ends_at=now + timedelta(hours=2),
                    quantity_cap=None,
                    variant_ids=tuple(variant.id for variant in product.variants),
                ),
            )
        db.session.commit()


# --- Measuring --------------------------------------------------------------------------------


def views(counter: StatementCounter, client, url: str, runs: int, first: bool = True) -> dict:
    """Time a page `runs` times (after one first view, reported apart when `first`)."""
    first_view = None
    if first:
        response, elapsed, statements = counter.measure(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        first_view = {"ms": elapsed, "queries": statements}
    times, queries = [], set()
    body = b""
    for _run in range(runs):
        response, elapsed, statements = counter.measure(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data()
        times.append(elapsed)
        queries.add(statements)
    return {
        "url": url,
        "bytes": len(body),
        "gzip": len(gzip.compress(body, 6)),
        "queries": sorted(queries),
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "first": first_view,
        "body": body,
    }


def queries_text(result: dict) -> str:
    """ "13", or "9-10 (varies)" when the timed views did not all send the same number."""
    found = result["queries"]
    return str(found[0]) if len(found) == 1 else f"{found[0]}-{found[-1]} (varies)"


#: Run in a fresh interpreter: what the first poster of a worker pays once (finding the face in
#: the font collection and opening the poster's five sizes; cached for the process's life after).
FONT_PROBE = """
import time
from products import images
started = time.perf_counter()
for size in (34, 62, 76, 44, 32):
    images.poster_font(size)
print((time.perf_counter() - started) * 1000)
"""


def first_font_load_ms() -> float:
    """Median of three fresh processes' font load, in milliseconds."""
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", FONT_PROBE],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _run in range(3)
    ]
    return sorted(runs)[1]


def row(label: str, result: dict, note: str = "") -> str:
    """One Markdown table row of a measured page."""
    first = result["first"]
    first_text = f"{first['ms']:.0f} ms, {first['queries']} q" if first else ""
    return (
        f"| {label} | {result['bytes']:,} | {result['gzip']:,} | {queries_text(result)} "
        f"| {result['p50']:.1f} | {result['p95']:.1f} | {first_text} | {note} |"
    )


def measure_pages(app, counter, ids: dict, runs: int, poster_runs: int) -> tuple[list, dict]:
    """The table of the trainer's and trainee's pages, and the cohort pages' SQL counts."""
    from PIL import Image

    from products.models import Product, Shop

    lines = [
        "| page | bytes | gzip bytes | SQL per view | p50 ms | p95 ms | first view | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    trainer = login_as(app, ids["trainer"])
    cohort_pages = {}
    for size in CLASS_SIZES:
        url = f"/train/cohorts/{ids['cohorts'][size]}"
        cohort_pages[size] = views(counter, trainer, url, runs)
        assert "学员" in cohort_pages[size]["body"].decode()
        lines.append(row(f"cohort page, {size} trainees", cohort_pages[size]))
    for size in CLASS_SIZES:
        export = views(counter, trainer, f"/train/cohorts/{ids['cohorts'][size]}/export.csv", runs)
        rows = export["body"].decode("utf-8-sig").count("\n") - 1
        lines.append(row(f"cohort CSV export, {size} trainees", export, f"{rows} rows"))

    trainee_id = ids["trainees"][CLASS_SIZES[0]]
    trainee = login_as(app, trainee_id)
    lines.append(row("trainee checklist `/train`", views(counter, trainee, "/train", runs)))
    lines.append(
        row(
            "share kit `/train/share`",
            views(counter, trainee, "/train/share", runs),
            "every view records the share-kit lesson (an INSERT … ON CONFLICT DO NOTHING)",
        )
    )

    with app.app_context():
        shop_id = db.session.scalar(select(Shop.id).where(Shop.owner_id == trainee_id))
        product_id = db.session.scalar(
            select(Product.id).where(Product.shop_id == shop_id).order_by(Product.id)
        )
    poster = views(counter, trainee, f"/sell/share/products/{product_id}/poster.png", poster_runs)
    picture = Image.open(io.BytesIO(poster["body"]))
    font_ms = first_font_load_ms()
    lines.append(
        row(
            "share poster PNG",
            poster,
            f"{picture.format} {picture.size[0]}x{picture.size[1]} px; a worker loads the font "
            f"once, on its first poster ({font_ms:.0f} ms in a fresh process)",
        )
    )
    return lines, {size: result["queries"] for size, result in cohort_pages.items()}


def measure_product_pages(app, counter, runs: int) -> list[str]:
    """Product pages without and with a running discount: cold, session shell, whole page."""
    from products.cache import FragmentCache
    from shop.accounts.models import User

    built = build_discount_products(app)
    with app.app_context():
        customer = db.session.scalar(
            select(User.id).where(User.email == "customer@demo.villagemarket.test")
        )
    lines = [
        "| product page | variants | discount | SQL cold | cold p50 / p95 ms "
        "| SQL warm, logged in | warm logged-in p50 / p95 ms | SQL whole page "
        "| whole page p50 / p95 ms | bytes |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def measure(discounted: bool) -> None:
        for variants, (_product_id, url) in sorted(built["products"].items()):
            logged_in = login_as(app, customer)
            # Cold: the session cookie keeps WholePageCache out and a fragment cache of size 0
            # keeps nothing, so every view builds the whole page.
            kept_fragments = app.extensions.get("fragment_cache")
            app.extensions["fragment_cache"] = FragmentCache(0)
            cold = views(counter, logged_in, url, runs)
            app.extensions["fragment_cache"] = kept_fragments or FragmentCache(2000)
            warm = views(counter, logged_in, url, runs)
            anonymous = app.test_client(use_cookies=False)
            whole = views(counter, anonymous, url, runs)
            page = whole["body"].decode()
            assert ("限时特惠" in page) == discounted, url
            lines.append(
                f"| `{url}` | {variants} | {'20% off, running' if discounted else 'none'} "
                f"| {queries_text(cold)} | {cold['p50']:.1f} / {cold['p95']:.1f} "
                f"| {queries_text(warm)} | {warm['p50']:.1f} / {warm['p95']:.1f} "
                f"| {queries_text(whole)} | {whole['p50']:.2f} / {whole['p95']:.2f} "
                f"| {whole['bytes']:,} |"
            )

    measure(discounted=False)
    schedule_discounts(app, built["shop"], [pid for pid, _url in built["products"].values()])
    measure(discounted=True)
    return lines


def measure_customers(app, counter, shop_id: int, runs: int) -> list[str]:
    """send_customer('normal') and the commit, as the trainer's button does."""
    from products.models import Shop
    from shop.training.customers import send_customer

    times, statements = [], []
    with app.test_request_context():
        for number in range(runs):
            shop = db.session.get(Shop, shop_id)

            def one(shop=shop, number=number):
                send_customer(shop, "normal", rng=random.Random(10_000 + number))
                db.session.commit()

            _result, elapsed, count = counter.measure(one)
            times.append(elapsed)
            statements.append(count)
    return [
        "| simulated customer | runs | SQL per customer | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f'| `send_customer(shop, "normal")` + commit | {runs} '
        f"| {min(statements)}-{max(statements)} | {percentile(times, 0.5):.1f} "
        f"| {percentile(times, 0.95):.1f} | {max(times):.1f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Training sandbox pages, posters and customers.")
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--posters", type=int, default=20)
    parser.add_argument("--customers", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    arguments = parser.parse_args()

    started = datetime.now(UTC)
    load_at_start = load_average()
    instance = Path(tempfile.mkdtemp(prefix="vm-bench-training-"))
    try:
        clock = time.perf_counter()
        app = build_app(instance)
        seed_catalogue(app)
        ids = build_training(app)
        setup_seconds = time.perf_counter() - clock
        with app.app_context():
            counter = StatementCounter(db.engine)
        pages, cohort_queries = measure_pages(app, counter, ids, arguments.views, arguments.posters)
        products = measure_product_pages(app, counter, arguments.views)
        customers = measure_customers(app, counter, ids["customer_shop"], arguments.customers)
    finally:
        if arguments.keep:
            print(f"instance kept in {instance}", file=sys.stderr)
        else:
            shutil.rmtree(instance, ignore_errors=True)
    finished = datetime.now(UTC)

    print(
        f"Run {started:%Y-%m-%d %H:%M}-{finished:%H:%M} UTC on {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}; setup {setup_seconds:.0f} s; load average at start "
        f"{load_at_start}, at end {load_average()}."
    )
    print(
        f"{arguments.views} views per page, {arguments.posters} posters, "
        f"{arguments.customers} customers; in-process Flask test client, SQLite.\n"
    )
    print("\n".join(pages))
    print(f"\nCohort page SQL per view by class size: {cohort_queries}.")
    print()
    print("\n".join(products))
    print()
    print("\n".join(customers))


if __name__ == "__main__":
    main()
