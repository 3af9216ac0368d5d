"""Plain helpers the tests share (fixtures stay in conftest.py): the test app and database, the
CSRF token of a page, a trainee's steps through the seller pages, a recording SMTP server."""

import io
import os
import re
import secrets
import socketserver
from contextlib import contextmanager
from pathlib import Path

from PIL import Image
from sqlalchemy import create_engine, make_url, select, text

import shop.models  # noqa: F401  (every table, before a schema is made from the metadata)
from products.models import Shop, Variant
from shop import create_app
from shop.cart import services as carts
from shop.cart.models import Cart
from shop.checkout.payment_events import process_event
from shop.checkout.services import Delivery, place_order
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.sandbox_gateway import paid_event
from shop.training import services as training
from tests.forms import submit

# --- The test app and its database ---------------------------------------------------------------

#: `make test` runs the suite a second time with VM_TEST_DATABASE=postgresql and TEST_DATABASE_URL.
BACKEND = os.environ.get("VM_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")

if BACKEND == "postgresql" and not POSTGRES_URL:
    raise RuntimeError("VM_TEST_DATABASE=postgresql needs TEST_DATABASE_URL")

#: Under pytest-xdist ("gw0", "gw1", ...) each worker process has a database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database_url(url: str) -> str:
    """The PostgreSQL database of this worker: the given one, or `<name>_<worker>` beside it."""
    if not WORKER:
        return url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{WORKER}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


if BACKEND == "postgresql":
    POSTGRES_URL = worker_database_url(POSTGRES_URL)


def database_url(folder: Path) -> str:
    """The database a test's app uses: a new SQLite file, or the PostgreSQL test database."""
    if BACKEND == "postgresql":
        return POSTGRES_URL
    return f"sqlite:///{folder / 'test.db'}"


def build_app(folder: Path, **overrides):
    """An app whose instance folder (uploads, index, secret) lives in `folder`."""
    config = {
        "INSTANCE_PATH": str(folder),
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url(folder),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "SEARCH_INDEX_PATH": str(folder / "search-index"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Jobs run in-process unless a test gives a Redis (tests/test_jobs.py).
        "REDIS_URL": None,
    }
    config.update(overrides)
    return create_app(config)


@contextmanager
def fresh_app(folder: Path, **overrides):
    """An app with an empty database, closed after its test: rebuilds it started end first."""
    app = build_app(folder, **overrides)
    with app.app_context():
        reset_database()
    yield app
    from products import search

    # A search or health check that found no index started a rebuild: let it end with its test.
    search.wait_for_rebuilds()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def reset_database() -> None:
    """Empty schema matching the models: created on SQLite, truncated on PostgreSQL."""
    if BACKEND == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:
        db.create_all()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


# --- A trainee's steps through the seller pages ----------------------------------------------


def jpeg(width=1200, height=900, colour=(180, 90, 30)) -> bytes:
    """A photo as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def shop_form(region_id: int, **fields) -> dict:
    data = {
        "name_zh": "砀山梨园",
        "name_en": "Dangshan Pear Orchard",
        "region": str(region_id),
        "story_zh": "",
        "story_en": "",
        "contact_phone": "138 1234 5678",
        "shipping_fee": "0",
        "free_shipping_over": "",
    }
    data.update(fields)
    return data


def open_shop(client, region_id: int, **fields):
    """Open (or save) the shop profile through /sell/shop."""
    return submit(client, "/sell/shop?lang=en", "/sell/shop", shop_form(region_id, **fields))


def new_listing(**fields) -> dict:
    """The new-listing form's fields, filled in as a seller would, then `fields`."""
    data = {
        "title_zh": "砀山酥梨 5斤装",
        "title_en": "Dangshan crisp pears, 5 jin",
        "description_zh": "",
        "description_en": "",
        "category": "0",
        "tags": "",
        "spec_zh": "一箱 5 斤",
        "spec_en": "5 jin box",
        "price": "39.9",
        "stock": "20",
        "weight_g": "2600",
        "sku": "",
    }
    data.update(fields)
    return data


def create_listing(client, **fields) -> int:
    """A new draft listing through /sell/products/new; returns its id."""
    response = submit(client, "/sell/products/new?lang=en", changes=new_listing(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/sell/products/(\d+)$", response.headers["Location"]).group(1))


def publish(client, product_id: int) -> None:
    page = f"/sell/products/{product_id}"
    response = submit(client, page, f"{page}/publish")
    assert response.status_code == 302


def save_listing(client, product_id: int, changes: dict):
    """The listing page's one form, saved with `changes`."""
    page = f"/sell/products/{product_id}"
    return submit(client, f"{page}?lang=en", page, changes)


def upload_photos(client, product_id: int, *pictures: bytes):
    files = [(io.BytesIO(data), f"photo{number}.jpg") for number, data in enumerate(pictures)]
    return save_listing(client, product_id, {"photos": files})


DELIVERY = Delivery(
    contact_name="王小明",
    phone="13812345678",
    email="buyer@example.test",
    country="中国",
    province="北京市",
    city="北京市",
    district="海淀区",
    street="中关村大街 1 号",
    postal_code="100080",
    note="",
)


def place_practice_order(app, shop_id: int, variant_id: int, quantity: int = 1, pay=True) -> str:
    """A practice customer's order, placed and paid as the sandbox page does; its number."""
    with app.test_request_context():
        cart = Cart(token=secrets.token_urlsafe(16), practice_shop_id=shop_id)
        db.session.add(cart)
        db.session.flush()
        carts.add_item(cart, carts.buyable_variant(variant_id), quantity)
        payment = place_order(cart, DELIVERY, None, carts.summarize(cart).quote, "sandbox")
        db.session.commit()
        if pay:
            process_event(paid_event(payment))
            db.session.commit()
        return db.session.scalar(select(Order.number).where(Order.payment_id == payment.id))


def first_variant_id(app, product_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Variant.id).where(Variant.product_id == product_id).order_by(Variant.id)
        )


def done_lessons(app, user_id: int) -> dict:
    with app.app_context():
        return training.completed_lessons(user_id)


def shop_of(app, user_id: int) -> Shop:
    with app.app_context():
        shop = db.session.scalar(select(Shop).where(Shop.owner_id == user_id))
        db.session.expunge(shop)
        return shop


class RecordingSmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server to accept one message and keep it."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 test.local ESMTP")
        while True:
            line = self.rfile.readline().decode().strip()
            command = line.split(" ", 1)[0].upper()
            if command in ("EHLO", "HELO"):
                self.reply("250-test.local")
                self.reply("250 8BITMIME")
            elif command in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.server.envelope.append(line)
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                self.server.messages.append("".join(lines))
                self.reply("250 queued")
            elif command == "QUIT" or not line:
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")
