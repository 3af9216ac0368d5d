"""The search index follows the data, survives damage, and keeps answering during a rebuild."""

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

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
    assert result.output == "Search index built.\n"
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


def test_unpublishing_and_publishing_again(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince")
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


def test_stock_changed_on_the_variant_row(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=3)
    assert found(indexed, "quince", in_stock="1") == ["fruit"]
    with indexed.app_context():
        variant = db.session.scalar(select(Variant).where(Variant.product_id == product.id))
        variant.stock = 0
        db.session.commit()
    assert found(indexed, "quince", in_stock="1") == []
    assert found(indexed, "quince") == ["fruit"]


def test_stock_moved_by_an_atomic_update_statement(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=2)
    with indexed.app_context():
        variant_id = db.session.scalar(select(Variant.id).where(Variant.product_id == product.id))
        sold = db.session.execute(
            update(Variant)
            .where(Variant.id == variant_id, Variant.stock >= 2)
            .values(stock=Variant.stock - 2)
        )
        assert sold.rowcount == 1
        db.session.commit()
    assert found(indexed, "quince", in_stock="1") == []


def test_stock_moved_by_sql_text(indexed, make_product):
    product = make_product(slug="fruit", title_en="Golden quince", stock=1)
    with indexed.app_context():
        variant_id = db.session.scalar(select(Variant.id).where(Variant.product_id == product.id))
        db.session.execute(
            text(
                "UPDATE variant SET stock = stock - :quantity WHERE id = :id AND stock >= :quantity"
            ),
            {"quantity": 1, "id": variant_id},
        )
        db.session.commit()
    assert found(indexed, "quince", in_stock="1") == []


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


def test_an_update_waits_for_another_workers_write_lock(indexed, make_product):
    from whoosh import index as whoosh_index

    product = make_product(slug="fruit", title_en="Golden quince", stock=5)
    with indexed.app_context():
        variant_id = db.session.scalar(select(Variant.id).where(Variant.product_id == product.id))
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


# --- A damaged or missing index ------------------------------------------------------------


def _corrupt(folder: Path) -> None:
    for path in Path(os.path.realpath(folder)).iterdir():
        if path.is_file():
            path.write_bytes(b"\x00garbage" * 10)


def test_a_corrupt_index_gives_a_friendly_page_and_ensure_index_repairs_it(seeded):
    _corrupt(Path(seeded.config["SEARCH_INDEX_PATH"]))
    client = seeded.test_client()
    page = client.get("/search", query_string={"q": "酥梨", "lang": "en"})
    assert page.status_code == 503
    assert "Search is not available at the moment." in page.get_data(as_text=True)
    assert client.get("/api/v1/search?q=酥梨").get_json()["error"]["code"] == "search_unavailable"
    assert client.get("/").status_code == 200
    result = seeded.test_cli_runner().invoke(args=["ensure-index"])
    assert result.output == "Search index built.\n"
    assert found(seeded, "酥梨")[0] == "dangshan-crisp-pears"


def test_the_app_starts_with_a_corrupt_index(seeded, tmp_path):
    from tests.conftest import build_app

    _corrupt(Path(seeded.config["SEARCH_INDEX_PATH"]))
    restarted = build_app(
        Path(seeded.instance_path),
        SQLALCHEMY_DATABASE_URI=seeded.config["SQLALCHEMY_DATABASE_URI"],
    )
    assert restarted.test_client().get("/").status_code == 200
    with restarted.app_context():
        db.engine.dispose()


def test_a_missing_index_is_built_by_ensure_index(app, make_product):
    make_product(slug="fruit", title_en="Golden quince")
    assert app.test_client().get("/search?q=quince").status_code == 503
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ensure-index"]).output == "Search index built.\n"
    assert runner.invoke(args=["ensure-index"]).output == "Search index is present.\n"
    assert found(app, "quince") == ["fruit"]


def test_an_index_of_an_older_schema_is_rebuilt(seeded):
    version_file = Path(os.path.realpath(seeded.config["SEARCH_INDEX_PATH"])) / search.VERSION_FILE
    version_file.write_text("0")
    result = seeded.test_cli_runner().invoke(args=["ensure-index"])
    assert result.output == "Search index built.\n"
    assert found(seeded, "dssl")[0] == "dangshan-crisp-pears"
