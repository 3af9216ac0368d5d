"""Fixtures: a fresh app and database per test (SQLite, or PostgreSQL when asked), builders."""

import os
import shutil
import socketserver
import threading
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text

import shop.models  # noqa: F401  (every table, before the schema is created)
from shop.extensions import db
from tests.helpers import (
    BACKEND,
    POSTGRES_URL,
    RecordingSmtpHandler,
    build_app,
    fresh_app,
    reset_database,
)

TRANSLATIONS = Path(__file__).resolve().parent.parent / "shop" / "translations"

# The PostgreSQL search backend's tests, and the two app servers (which share a PostgreSQL),
# run only in the PostgreSQL pass (skip-free elsewhere).
collect_ignore = (
    [] if BACKEND == "postgresql" else ["test_search_postgresql.py", "test_two_servers.py"]
)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Compile the message catalogues, so that a plain `pytest` serves Chinese pages too."""
    compile_translations()


def compile_translations() -> None:
    """Write each .mo that is missing or older than its .po, as `make translations` does.

    Every pytest-xdist worker runs this as well: each writes to a file of its own, then renames it
    into place, so a worker never reads half a catalogue.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.partial")
        with partial.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)
        partial.replace(mo)


@pytest.fixture(scope="session")
def postgres_schema():
    """On PostgreSQL, create the schema once per run (tests then truncate)."""
    if BACKEND != "postgresql":
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        db.metadata.create_all(connection)
    engine.dispose()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "search_backend(name): build the app with this SEARCH_BACKEND (tests of one engine's "
        "internals); otherwise the database's default (PostgreSQL's own, or Whoosh on SQLite)",
    )


def _search_backend(request) -> dict:
    marker = request.node.get_closest_marker("search_backend")
    return {"SEARCH_BACKEND": marker.args[0]} if marker else {}


@pytest.fixture
def app(request, tmp_path, postgres_schema):
    """A fresh app with an empty database."""
    with fresh_app(tmp_path / "instance", **_search_backend(request)) as app:
        yield app


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def seed_snapshot(tmp_path_factory, postgres_schema):
    """Seed the demo catalogue once per run; keep its rows, image files and search index."""
    folder = tmp_path_factory.mktemp("seeded") / "instance"
    app = build_app(folder)
    with app.app_context():
        reset_database()
        result = app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 0, result.output
        if app.config["SEARCH_BACKEND"] != "whoosh":
            # Tests pinned to Whoosh (search_backend marker) restore its index too.
            from products import search

            whoosh = build_app(folder, SEARCH_BACKEND="whoosh")
            with whoosh.app_context():
                search.rebuild()
                db.engine.dispose()
        rows = {
            table.name: [dict(row._mapping) for row in db.session.execute(select(table))]
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
        db.engine.dispose()
    return {"rows": rows, "uploads": folder / "uploads", "index": folder / "search-index"}


@pytest.fixture
def seeded(app, seed_snapshot):
    """The app with the demo catalogue loaded (rows, pictures and search index restored)."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = seed_snapshot["rows"][table.name]
            if rows:
                db.session.execute(insert(table), rows)
        if BACKEND == "postgresql":
            for table in db.metadata.sorted_tables:
                if "id" in table.c and seed_snapshot["rows"][table.name]:
                    db.session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f'(SELECT max(id) FROM "{table.name}"))'
                        )
                    )
        db.session.commit()
    shutil.copytree(seed_snapshot["uploads"], app.config["UPLOAD_FOLDER"], dirs_exist_ok=True)
    shutil.copytree(seed_snapshot["index"], app.config["SEARCH_INDEX_PATH"], dirs_exist_ok=True)
    return app


_numbers = count(1)


def _saved(app, obj):
    """Commit obj in its own app context and return it detached, with its columns loaded.

    Tests then read the database through requests or fresh queries, as the app does, instead
    of sharing a session with the code under test.
    """
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """Builder: a user with roles (password 'correct horse battery')."""
    from shop.accounts.models import User

    def make(*roles: str, email: str | None = None, language: str = "zh") -> User:
        number = next(_numbers)
        user = User(
            email=email or f"user{number}@example.test",
            display_name=f"User {number}",
            language=language,
        )
        user.set_password("correct horse battery")
        for role in roles or ("customer",):
            user.add_role(role)
        return _saved(app, user)

    return make


@pytest.fixture
def make_region(app):
    """Builder: a region."""
    from products.models import Region

    def make(**fields) -> Region:
        number = next(_numbers)
        values = {
            "slug": f"region-{number}",
            "name_zh": f"地区{number}",
            "name_en": f"Region {number}",
            "latitude": 30.0,
            "longitude": 110.0,
            "position": number,
        }
        values.update(fields)
        return _saved(app, Region(**values))

    return make


@pytest.fixture
def make_category(app):
    """Builder: a category."""
    from products.models import Category

    def make(**fields) -> Category:
        number = next(_numbers)
        values = {
            "slug": f"category-{number}",
            "name_zh": f"类目{number}",
            "name_en": f"Category {number}",
            "position": number,
        }
        values.update(fields)
        return _saved(app, Category(**values))

    return make


#: Where real sellers commonly do not ship; a rule that leaves the suite's addresses served.
NO_SHIPPING_REGIONS = "西藏自治区,新疆维吾尔自治区"


@pytest.fixture
def make_shop(app, make_user, make_region):
    """Builder: a shop as sellers run them (exhibitor by default) with an owner and a region.

    Like the programme's real exhibitors, an owner the builder makes is also a trainee with a
    practice shop beside the real one, so a page that picks "the owner's shop" carelessly shows.
    The shop has a shipping rule (regions it does not ship to).
    """
    from products.models import Shop
    from shop.models_base import utcnow

    def make(owner=None, region=None, kind: str = "exhibitor", **fields) -> Shop:
        number = next(_numbers)
        region = region or make_region()
        practice_beside = owner is None and kind == "exhibitor"
        if owner is None:
            owner = make_user(*(("trainee",) if kind == "practice" else ("exhibitor", "trainee")))
        values = {
            "slug": f"shop-{number}",
            "name_zh": f"店铺{number}",
            "name_en": f"Shop {number}",
            "owner_id": owner.id,
            "region_id": region.id,
            "kind": kind,
            "no_shipping_regions": NO_SHIPPING_REGIONS,
            # An exhibitor shop sells publicly once approved; tests of approval pass None.
            "approved_at": utcnow() if kind == "exhibitor" else None,
        }
        values.update(fields)
        if practice_beside:
            _saved(
                app,
                Shop(
                    slug=f"practice-{number}",
                    name_zh=f"练习店{number}",
                    name_en=f"Practice shop {number}",
                    owner_id=owner.id,
                    region_id=region.id,
                    kind="practice",
                ),
            )
        return _saved(app, Shop(**values))

    return make


@pytest.fixture(scope="session")
def listing_photo():
    """One processed product photo (its renditions), made once per run."""
    import io

    from PIL import Image

    from products.images import process_image

    picture = Image.new("RGB", (800, 600), (196, 120, 40))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return process_image(buffer.getvalue(), max_bytes=5 * 1024 * 1024)


@pytest.fixture
def make_product(app, make_shop, make_category, listing_photo):
    """Builder: a published product as sellers list them.

    A category, tags, two variants (the first at `price_fen` with `stock`; a double box at
    twice the price with the same stock) and a cover photo. `variants=1` and `photo=False`
    are for the tests about exactly that.
    """
    from products.models import Product, ProductImage, Variant
    from products.storage import image_store

    def make(
        shop=None, price_fen: int = 3990, stock: int = 10, variants: int = 2, photo=True, **fields
    ) -> Product:
        number = next(_numbers)
        shop = shop or make_shop()
        values = {
            "shop_id": shop.id,
            "region_id": shop.region_id,
            "slug": f"product-{number}",
            "title_zh": f"测试商品{number}",
            "title_en": f"Test product {number}",
            "status": "published",
            "tags": "产地直发,农家",
        }
        if "category_id" not in fields and "category" not in fields:
            values["category_id"] = make_category().id
        values.update(fields)
        product = Product(**values)
        specs = [("一箱", "one box", price_fen, ""), ("两箱", "two boxes", price_fen * 2, "-2")]
        for position, (spec_zh, spec_en, price, suffix) in enumerate(specs[:variants]):
            product.variants.append(
                Variant(
                    sku=f"SKU-{number}{suffix}",
                    spec_zh=spec_zh,
                    spec_en=spec_en,
                    price_fen=price,
                    stock=stock,
                    position=position,
                )
            )
        if photo:
            with app.app_context():
                store = image_store()
                for name, body in listing_photo.files.items():
                    store.save(name, body)
            product.images.append(
                ProductImage(
                    key=listing_photo.key, width=listing_photo.width, height=listing_photo.height
                )
            )
        return _saved(app, product)

    return make


@pytest.fixture
def clock():
    """The site's clock, to move forward in a test; back to real time afterwards."""
    from shop.models_base import CLOCK

    yield CLOCK
    CLOCK.ahead = timedelta(0)


_order_numbers = count(1)


def _first_variant_id(product) -> int | None:
    from products.models import Variant

    return db.session.scalar(
        select(Variant.id).where(Variant.product_id == product.id).order_by(Variant.id).limit(1)
    )


@pytest.fixture
def make_order(app):
    """Builder: an order of a shop, as checkout and payment leave it, optionally with a thread.

    `asks` is None (no thread), "message" (a buyer's message waiting for a reply) or "refund"
    (a refund request waiting for the seller).
    """
    from shop.messages.models import Message, MessageKind, RequestState, Thread
    from shop.models_base import utcnow
    from shop.orders.models import Order, OrderLine

    def make(
        shop,
        status="paid",
        total_fen=5000,
        paid_at="now",
        practice=None,
        product=None,
        city="杭州市",
        asks=None,
    ):
        number = next(_order_numbers)
        with app.app_context():
            order = Order(
                number=f"VM-2612-T{number:05d}",
                shop_id=shop.id,
                status=status,
                is_practice=(shop.kind == "practice") if practice is None else practice,
                contact_name=f"买家{number}",
                phone="13812345678",
                province="浙江省",
                city=city,
                district="西湖区",
                street="文三路 1 号",
                items_fen=total_fen,
                total_fen=total_fen,
                paid_at=utcnow() if paid_at == "now" else paid_at,
            )
            order.lines.append(
                OrderLine(
                    product_id=product.id if product else None,
                    variant_id=_first_variant_id(product) if product else None,
                    title_zh=product.title_zh if product else f"商品{number}",
                    title_en=product.title_en if product else f"Item {number}",
                    spec_zh="一箱",
                    spec_en="one box",
                    unit_price_fen=total_fen,
                    quantity=1,
                )
            )
            db.session.add(order)
            db.session.flush()
            if asks:
                thread = Thread(
                    order_id=order.id, shop_id=shop.id, awaiting_seller=True, seller_unread=1
                )
                db.session.add(thread)
                db.session.flush()
                refund = asks == "refund"
                db.session.add(
                    Message(
                        thread_id=thread.id,
                        kind=MessageKind.REFUND_REQUEST if refund else MessageKind.MESSAGE,
                        body="请退款" if refund else "什么时候发货？",
                        request_state=RequestState.OPEN if refund else RequestState.NONE,
                    )
                )
            db.session.commit()
            db.session.refresh(order)
            db.session.expunge(order)
        return order

    return make


@pytest.fixture
def login_as(app):
    """A test client whose session already belongs to `user`, as after a real log-in.

    For tests about what a role may do; the log-in form itself is tested in test_accounts.py.
    """
    from shop.extensions import login_manager

    def make(user):
        client = app.test_client()
        # "strong" session protection checks this fingerprint of the address and browser.
        with app.test_request_context(environ_base=client.environ_base):
            fingerprint = login_manager._session_identifier_generator()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["_id"] = fingerprint
        return client

    return make


@pytest.fixture
def count_queries(app):
    """count_queries(client, url) -> how many SQL statements serving that page took (a 200)."""
    from sqlalchemy import event

    from shop.extensions import db

    def run(client, url: str) -> int:
        statements = []

        def remember(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", remember)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert response.status_code == 200, url
        return len(statements)

    return run


@pytest.fixture
def smtp_server():
    """A local SMTP server that keeps the messages it is sent (server.messages, server.envelope)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RecordingSmtpHandler)
    server.daemon_threads = True
    server.messages, server.envelope = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
