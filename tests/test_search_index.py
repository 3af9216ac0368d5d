"""The search index follows the data, survives damage, and keeps answering during a rebuild.

The tests of how changes reach search run on the database's own engine (PostgreSQL's in the
PostgreSQL pass, Whoosh on SQLite); those of Whoosh's files, locks, generations and repair are
pinned to Whoosh (the search_backend marker)."""

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update

from products import search
from products.models import Category, Product, Region, Shop, Variant
from products.services import publish
from shop.extensions import db


def found(app, query: str, **params) -> list[str]:
    """Slugs the search API answers with, as a visitor's next request would see them."""
    response = app.test_client().get(
        "/api/v1/search", query_string={"q": query, "per_page": 48, **params}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["product"]["slug"] for hit in response.get_json()["hits"]]


@pytest.fixture
def indexed(app, runner):
    """An app whose (empty) database has a search index, as after `make run` starts."""
    result = runner.invoke(args=["ensure-index"])
    # Whoosh builds its (empty) index files; PostgreSQL's documents live in the rows.
    whoosh = app.config["SEARCH_BACKEND"] == "whoosh"
    assert result.output == ("Search index built.\n" if whoosh else "Search index is present.\n")
    return app


def change(app, model, object_id, **values):
    """Load a row, set attributes and commit, as a request would."""
    with app.app_context():
        row = db.session.get(model, object_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


# --- Every kind of change shows in the next search -----------------------------------------


def test_a_new_product_is_found_right_after_its_commit(indexed, make_product):
    make_product(slug="golden-quince", title_en="Golden quince", title_zh="金色榅桲")
    assert found(indexed, "quince") == ["golden-quince"]
    assert found(indexed, "榅桲") == ["golden-quince"]


def test_an_edited_title_is_searched_by_its_new_words_only(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince")
    change(indexed, Product, product.id, title_en="Silver medlar")
    assert found(indexed, "medlar") == ["fruit"]
    assert found(indexed, "quince") == []


def test_unpublishing_and_publishing_again(indexed, make_shop, make_product):
    # A shop with another public listing: its listings go public without waiting for review.
    shop = make_shop()
    make_product(shop=shop, slug="pear", title_en="Crisp pear")
    product = make_product(shop=shop, slug="fruit", title_en="Golden quince")
    change(indexed, Product, product.id, status="draft")
    assert found(indexed, "quince") == []
    with indexed.app_context():
        publish(db.session.get(Product, product.id))
        db.session.commit()
    assert found(indexed, "quince") == ["fruit"]


def test_a_deleted_product_is_gone(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince")
    with indexed.app_context():
        db.session.delete(db.session.get(Product, product.id))
        db.session.commit()
    assert found(indexed, "quince") == []


def sizes(app, product) -> list[int]:
    """The product's variant ids (one box, then two boxes)."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Variant.id)
                .where(Variant.product_id == product.id)
                .order_by(Variant.position, Variant.id)
            )
        )


def test_stock_changed_on_the_variant_row(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=3)
    assert found(indexed, "quince", in_stock="1") == ["fruit"]
    one_box, two_boxes = sizes(indexed, product)
    change(indexed, Variant, one_box, stock=0)
    assert found(indexed, "quince", in_stock="1") == ["fruit"]  # two boxes are still for sale
    change(indexed, Variant, two_boxes, stock=0)
    assert found(indexed, "quince", in_stock="1") == []
    assert found(indexed, "quince") == ["fruit"]


def test_stock_moved_by_an_atomic_update_statement(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=2)
    for variant_id, still_for_sale in zip(sizes(indexed, product), (["fruit"], []), strict=True):
        with indexed.app_context():
            sold = db.session.execute(
                update(Variant)
                .where(Variant.id == variant_id, Variant.stock >= 2)
                .values(stock=Variant.stock - 2)
            )
            assert sold.rowcount == 1
            db.session.commit()
        assert found(indexed, "quince", in_stock="1") == still_for_sale


def test_stock_moved_by_sql_text(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=1)
    for variant_id, still_for_sale in zip(sizes(indexed, product), (["fruit"], []), strict=True):
        with indexed.app_context():
            db.session.execute(
                text(
                    "UPDATE variant SET stock = stock - :quantity"
                    " WHERE id = :id AND stock >= :quantity"
                ),
                {"quantity": 1, "id": variant_id},
            )
            db.session.commit()
        assert found(indexed, "quince", in_stock="1") == still_for_sale


def test_products_inserted_in_bulk_are_found(indexed, make_shop):
    from sqlalchemy import insert

    shop = make_shop()
    rows = [
        {
            "shop_id": shop.id,
            "region_id": shop.region_id,
            "slug": f"bulk-{number}",
            "title_zh": f"批量{number}",
            "title_en": f"Bulk quince {number}",
            "status": "published",
        }
        for number in range(3)
    ]
    with indexed.app_context():
        # As a CSV import would: rows without ids, numbered by the database.
        db.session.execute(insert(Product), rows)
        db.session.commit()
        ids = list(db.session.scalars(select(Product.id).order_by(Product.id)))
        db.session.execute(
            insert(Variant),
            [
                {"product_id": product_id, "spec_zh": "一箱", "price_fen": 990, "stock": 5}
                for product_id in ids
            ],
        )
        db.session.commit()
    assert sorted(found(indexed, "quince")) == ["bulk-0", "bulk-1", "bulk-2"]
    assert len(found(indexed, "quince", in_stock="1", price="under-30")) == 3


def test_a_new_cheaper_variant_moves_the_product_to_its_price_band(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", price_fen=12000)
    assert found(indexed, "quince", price="under-30") == []
    with indexed.app_context():
        row = db.session.get(Product, product.id)
        row.variants.append(Variant(spec_zh="小袋", spec_en="small bag", price_fen=990, stock=4))
        db.session.commit()
    assert found(indexed, "quince", price="under-30") == ["fruit"]


def test_a_shop_turned_practice_takes_its_products_out(indexed, make_shop, make_product):
    shop = make_shop()
    make_product(shop=shop, slug="fruit", title_en="Golden quince")
    change(indexed, Shop, shop.id, kind="practice")
    assert found(indexed, "quince") == []


def test_renamed_shop_region_and_category_are_searchable_by_their_new_names(
    indexed, make_region, make_shop, make_product
):
    region = make_region()
    shop = make_shop(region=region)
    with indexed.app_context():
        category = Category(slug="orchard", name_zh="果园", name_en="Orchard")
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    make_product(shop=shop, slug="fruit", title_en="Golden quince", category_id=category_id)
    change(indexed, Shop, shop.id, name_en="Moonlight Farm")
    change(indexed, Region, region.id, name_zh="蓬莱县", name_en="Penglai County")
    change(indexed, Category, category_id, name_en="Treasures")
    assert found(indexed, "moonlight") == ["fruit"]
    assert found(indexed, "蓬莱") == ["fruit"]
    assert found(indexed, "penglai") == ["fruit"]
    assert found(indexed, "treasures") == ["fruit"]


def test_a_rolled_back_change_leaves_the_index_as_it_was(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince")
    with indexed.app_context():
        row = db.session.get(Product, product.id)
        row.title_en = "Silver medlar"
        db.session.flush()
        db.session.rollback()
        # A later commit of something else must not index the rolled-back title.
        db.session.get(Product, product.id).featured = True
        db.session.commit()
    assert found(indexed, "quince") == ["fruit"]
    assert found(indexed, "medlar") == []


def test_the_interface_removes_and_reindexes_a_product(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince")
    with indexed.app_context():
        search.remove_products([product.id])
    assert found(indexed, "quince") == []
    with indexed.app_context():
        assert search.index_products([product.id]) == 1
    assert found(indexed, "quince") == ["fruit"]


def test_practice_products_are_never_indexed(indexed, make_shop, make_product):
    practice = make_shop(kind="practice")
    make_product(shop=practice, slug="practice-fruit", title_en="Practice quince")
    assert found(indexed, "quince") == []
    assert indexed.test_cli_runner().invoke(args=["reindex"]).exit_code == 0
    assert found(indexed, "quince") == []


# --- Writers of several workers never lose an update ----------------------------------------


def _set_stock(app, variant_id: int, stock: int, errors: list) -> None:
    try:
        with app.app_context():
            db.session.get(Variant, variant_id).stock = stock
            db.session.commit()
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


@pytest.mark.search_backend("whoosh")
def test_an_update_waits_for_another_workers_write_lock(indexed, make_product):
    from whoosh import index as whoosh_index

    product = make_product(slug="fruit", title_en="Golden quince", stock=5)
    variant_id, two_boxes = sizes(indexed, product)
    change(indexed, Variant, two_boxes, stock=0)
    assert found(indexed, "quince", in_stock="1") == ["fruit"]  # one box is left to sell
    with indexed.app_context():
        live = os.path.realpath(indexed.config["SEARCH_INDEX_PATH"])
    # Another worker is in the middle of writing the index.
    other_writer = whoosh_index.open_dir(live).writer()
    errors: list = []
    worker = threading.Thread(target=_set_stock, args=(indexed, variant_id, 0, errors))
    worker.start()
    time.sleep(0.5)
    other_writer.commit()
    worker.join(timeout=30)
    assert not worker.is_alive() and errors == []
    assert found(indexed, "quince", in_stock="1") == []


def test_simultaneous_commits_all_reach_the_index(indexed, make_product):
    products = [make_product(slug=f"fruit-{n}", title_en=f"Quince {n}", stock=5) for n in range(6)]
    with indexed.app_context():
        variant_ids = list(
            db.session.scalars(
                select(Variant.id).where(Variant.product_id.in_([p.id for p in products]))
            )
        )
    errors: list = []
    workers = [
        threading.Thread(target=_set_stock, args=(indexed, variant_id, 0, errors))
        for variant_id in variant_ids
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert found(indexed, "quince") and found(indexed, "quince", in_stock="1") == []


# --- Rebuilding ----------------------------------------------------------------------------


@pytest.mark.search_backend("whoosh")
def test_reindex_rebuilds_aside_and_swaps(seeded):
    runner = seeded.test_cli_runner()
    live = Path(seeded.config["SEARCH_INDEX_PATH"])
    with seeded.app_context():
        public = db.session.scalar(
            select(db.func.count(Product.id))
            .join(Product.shop)
            .where(Product.status == "published", Shop.kind == "exhibitor")
        )
    for _ in range(3):
        result = runner.invoke(args=["reindex"])
        assert result.output == f"Search index rebuilt: {public} products indexed.\n"
    assert live.is_symlink()
    generations = [p for p in live.parent.iterdir() if p.name.startswith(".search-index.gen-")]
    # The live generation and the one before it (a searcher may still be reading it).
    assert len(generations) == 2
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"


@pytest.mark.search_backend("whoosh")
def test_queries_keep_answering_during_a_rebuild(seeded):
    errors: list = []

    def rebuild_three_times():
        try:
            with seeded.app_context():
                for _ in range(3):
                    search.rebuild()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    builder = threading.Thread(target=rebuild_three_times)
    client = seeded.test_client()
    answers = []
    builder.start()
    while builder.is_alive():
        response = client.get("/api/v1/search", query_string={"q": "酥梨"})
        answers.append((response.status_code, response.get_json()["hits"][0]["product"]["slug"]))
    builder.join()
    assert errors == []
    assert len(answers) >= 5
    assert set(answers) == {(200, "dangshan-crisp-pears")}


@pytest.mark.search_backend("whoosh")
def test_a_change_committed_while_a_rebuild_runs_is_not_lost(app, make_shop):
    shop = make_shop()
    with app.app_context():
        for number in range(1500):
            product = Product(
                shop_id=shop.id,
                region_id=shop.region_id,
                slug=f"item-{number}",
                title_zh=f"商品{number}",
                title_en=f"Item {number}",
                status="published",
            )
            product.variants.append(Variant(spec_zh="一件", price_fen=1000 + number, stock=3))
            db.session.add(product)
        db.session.commit()
        first_id = db.session.scalar(select(db.func.min(Product.id)))
    live = Path(app.config["SEARCH_INDEX_PATH"])
    errors: list = []

    def rebuild():
        try:
            with app.app_context():
                search.rebuild()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    builder = threading.Thread(target=rebuild)
    builder.start()
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".search-index.gen-") for p in live.parent.iterdir()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # the first batch of products has been read by now
    change(app, Product, first_id, title_en="Zanzibar quince")
    builder.join()
    assert errors == []
    assert found(app, "zanzibar") == ["item-0"]


# --- A damaged or missing index reports itself, fails fast and heals -----------------------

ROOT = Path(__file__).resolve().parent.parent


def _corrupt(folder: Path) -> None:
    """Overwrite every file of the live generation in place (truncated, then junk written)."""
    for path in Path(os.path.realpath(folder)).iterdir():
        if path.is_file():
            path.write_bytes(b"\x00garbage" * 10)


def _generations(app) -> list[Path]:
    live = Path(app.config["SEARCH_INDEX_PATH"])
    return [p for p in live.parent.iterdir() if p.name.startswith(f".{live.name}.gen-")]


@contextmanager
def _another_worker_rebuilding(app):
    """Hold the rebuild lock, as another worker rebuilding the index does: until it lets go,
    this process cannot start its own rebuild, so the broken index stays broken."""
    live = Path(app.config["SEARCH_INDEX_PATH"])
    handle = os.open(live.parent / f".{live.name}.rebuild-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _healthz(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def _search_fails_fast(app) -> None:
    """The search page and the API answer a friendly 503 at once, telling when to come back."""
    client = app.test_client()
    started = time.perf_counter()
    page = client.get("/search", query_string={"q": "酥梨", "lang": "en"})
    page_seconds = time.perf_counter() - started
    started = time.perf_counter()
    api = client.get("/api/v1/search", query_string={"q": "酥梨"})
    api_seconds = time.perf_counter() - started
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Search is being rebuilt" in html and "browse the market by region" in html
    assert int(page.headers["Retry-After"]) > 0
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "search_unavailable"
    assert int(api.headers["Retry-After"]) > 0
    # Generous bounds for a busy test machine: the retry loop this replaces took about 3 s.
    assert page_seconds < 0.5 and api_seconds < 0.5, (page_seconds, api_seconds)
    assert client.get("/regions/dangshan").status_code == 200


def _wait_until_healthy(app, seconds: float = 60.0) -> dict:
    """Poll /healthz as a load balancer would, until the background rebuild has swapped in."""
    deadline = time.monotonic() + seconds
    status, body = _healthz(app)
    while status != 200:
        assert time.monotonic() < deadline, body
        time.sleep(0.05)
        status, body = _healthz(app)
    return body


def test_healthz_says_search_is_ok(indexed):
    assert _healthz(indexed) == (200, {"status": "ok", "database": "ok", "search": "ok"})


@pytest.mark.search_backend("whoosh")
def test_a_deleted_index_is_reported_and_rebuilt_while_search_fails_fast(seeded):
    client = seeded.test_client()
    assert client.get("/search", query_string={"q": "酥梨"}).status_code == 200
    shutil.rmtree(os.path.realpath(seeded.config["SEARCH_INDEX_PATH"]))
    with _another_worker_rebuilding(seeded):
        assert _healthz(seeded) == (
            503,
            {"status": "degraded", "database": "ok", "search": "index missing — rebuilding"},
        )
        _search_fails_fast(seeded)
    # That worker died without building anything: this one rebuilds the index by itself.
    assert _wait_until_healthy(seeded) == {"status": "ok", "database": "ok", "search": "ok"}
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"
    # One rebuild, however many requests noticed the missing index.
    assert len(_generations(seeded)) == 1


@pytest.mark.search_backend("whoosh")
def test_a_corrupt_index_is_reported_and_rebuilt_while_search_fails_fast(seeded):
    assert seeded.test_client().get("/").status_code == 200
    _corrupt(Path(seeded.config["SEARCH_INDEX_PATH"]))
    with _another_worker_rebuilding(seeded):
        status, body = _healthz(seeded)
        assert (status, body["status"], body["database"]) == (503, "degraded", "ok")
        assert body["search"] == "index unreadable — rebuilding"
        _search_fails_fast(seeded)
    assert _wait_until_healthy(seeded)["search"] == "ok"
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"


_OVERWRITING_WORKER = """
import os, sys, time
from pathlib import Path
from products import search
from tests.helpers import build_app

app = build_app(Path(sys.argv[1]), SQLALCHEMY_DATABASE_URI=sys.argv[2], SEARCH_BACKEND="whoosh")
client = app.test_client()
def status():
    return client.get("/api/v1/search", query_string={"q": "酥梨"}).status_code
print(status(), flush=True)
for path in Path(os.path.realpath(app.config["SEARCH_INDEX_PATH"])).iterdir():
    if path.is_file():
        path.write_bytes(b"\\x00garbage" * 10)
print(status(), flush=True)
print(client.get("/healthz").status_code, flush=True)
deadline = time.monotonic() + 60
while client.get("/healthz").status_code != 200 and time.monotonic() < deadline:
    time.sleep(0.05)
search.wait_for_rebuilds(60)
print(status(), flush=True)
"""


@pytest.mark.search_backend("whoosh")
def test_overwriting_the_index_under_a_running_worker_does_not_kill_it(seeded):
    """A worker that has the index open keeps running when its files are overwritten in place
    (with memory-mapped files it died of SIGBUS); its health check notices and it rebuilds."""
    worker = subprocess.run(
        [
            sys.executable,
            "-c",
            _OVERWRITING_WORKER,
            seeded.instance_path,
            seeded.config["SQLALCHEMY_DATABASE_URI"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, (worker.returncode, worker.stderr[-3000:])
    before, after_overwrite, health, healed = worker.stdout.split()
    # Right after the overwrite it answers from what it had read, or a 503: never a crash.
    assert (before, health, healed) == ("200", "503", "200")
    assert after_overwrite in ("200", "503")


_NOTICING_WORKER = """
import sys, time
from pathlib import Path
from products import search
from tests.helpers import build_app

app = build_app(Path(sys.argv[1]), SQLALCHEMY_DATABASE_URI=sys.argv[2], SEARCH_BACKEND="whoosh")
Path(sys.argv[3]).touch()
deadline = time.monotonic() + 60
while not Path(sys.argv[4]).exists() and time.monotonic() < deadline:
    time.sleep(0.005)
client = app.test_client()
first = status = client.get("/healthz").status_code
while status != 200 and time.monotonic() < deadline + 60:
    time.sleep(0.05)
    status = client.get("/healthz").status_code
search.wait_for_rebuilds(60)
print(first, status, flush=True)
"""


@pytest.mark.search_backend("whoosh")
def test_two_processes_noticing_a_missing_index_at_once_build_it_once(seeded, tmp_path):
    shutil.rmtree(os.path.realpath(seeded.config["SEARCH_INDEX_PATH"]))
    with seeded.app_context():
        # Enough products that the rebuild takes a few seconds: both notice before it ends.
        shop = db.session.scalar(select(Shop).where(Shop.kind == "exhibitor").limit(1))
        rows = [
            {
                "shop_id": shop.id,
                "region_id": shop.region_id,
                "slug": f"bulk-{number}",
                "title_zh": f"批量商品{number}",
                "title_en": f"Bulk item {number}",
                "description_en": "A box of fruit from the orchard, picked this week. " * 3,
                "status": "published",
            }
            for number in range(1000)
        ]
        db.session.execute(insert(Product), rows)
        db.session.commit()
    ready = [tmp_path / "ready-1", tmp_path / "ready-2"]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _NOTICING_WORKER,
                seeded.instance_path,
                seeded.config["SQLALCHEMY_DATABASE_URI"],
                str(me),
                str(other),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (ready, ready[::-1])
    ]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err[-3000:] for _, err in outputs]
    # Both saw it missing; both are healthy again; only one of them built an index.
    assert [out.split() for out, _err in outputs] == [["503", "200"], ["503", "200"]]
    assert len(_generations(seeded)) == 1
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"


@pytest.mark.search_backend("whoosh")
def test_ensure_index_repairs_a_corrupt_index(seeded):
    _corrupt(Path(seeded.config["SEARCH_INDEX_PATH"]))
    result = seeded.test_cli_runner().invoke(args=["ensure-index"])
    assert result.output == "Search index built.\n"
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"


@pytest.mark.search_backend("whoosh")
def test_the_app_starts_with_a_corrupt_index(seeded, tmp_path):
    from tests.helpers import build_app

    _corrupt(Path(seeded.config["SEARCH_INDEX_PATH"]))
    restarted = build_app(
        Path(seeded.instance_path),
        SQLALCHEMY_DATABASE_URI=seeded.config["SQLALCHEMY_DATABASE_URI"],
        SEARCH_BACKEND="whoosh",
    )
    assert restarted.test_client().get("/").status_code == 200
    with restarted.app_context():
        db.engine.dispose()


@pytest.mark.search_backend("whoosh")
def test_a_missing_index_is_built_by_ensure_index(app, make_product):
    make_product(slug="fruit", title_en="Golden quince")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ensure-index"]).output == "Search index built.\n"
    assert runner.invoke(args=["ensure-index"]).output == "Search index is present.\n"
    assert found(app, "quince") == ["fruit"]


@pytest.mark.search_backend("whoosh")
def test_an_index_of_an_older_schema_is_rebuilt(seeded):
    version_file = Path(os.path.realpath(seeded.config["SEARCH_INDEX_PATH"])) / search.VERSION_FILE
    version_file.write_text("0")
    result = seeded.test_cli_runner().invoke(args=["ensure-index"])
    assert result.output == "Search index built.\n"
    assert found(seeded, "dssl")[0] == "dangshan-crisp-pears"
