"""What only the PostgreSQL search backend does: its documents in the product rows, its health,
pinyin prefixes. Everything visitors see of search is tested on it too: in the PostgreSQL pass
tests/test_search.py and tests/test_search_index.py run on this backend, the database's default.

Collected only in the PostgreSQL pass (tests/conftest.py): the backend needs PostgreSQL.
"""

import pytest
from sqlalchemy import event, select, update

from products import search
from products.models import Product
from shop.extensions import db
from tests.helpers import BACKEND
from tests.test_search import api, public_slugs_of_region, slugs

if BACKEND != "postgresql":
    # Only when named on the command line: the SQLite pass never collects this module.
    pytest.skip("the PostgreSQL search backend needs PostgreSQL", allow_module_level=True)


def test_a_postgresql_database_searches_with_the_postgresql_backend(seeded):
    assert seeded.config["SEARCH_BACKEND"] == "postgresql"
    with seeded.app_context():
        assert isinstance(search._backend(), search.SearchBackend)
        assert search.health() is None
        assert search.ensure_index() is False


def test_a_product_write_updates_its_document_in_the_same_transaction(seeded, make_product):
    client = seeded.test_client()
    product = make_product(title_zh="高山云雾茶", title_en="Cloud mist tea quokka")
    assert slugs(api(client, q="quokka")) == [product.slug]
    assert slugs(api(client, q="gsywc")) == [product.slug]
    with seeded.app_context():
        saved = db.session.get(Product, product.id)
        saved.title_en = "Cloud mist tea wombat"
        db.session.flush()
        # Not yet: the document is written with the commit, in the same transaction.
        assert api(client, q="wombat")["total"] == 0
        db.session.commit()
    assert api(client, q="quokka")["total"] == 0
    assert slugs(api(client, q="wombat")) == [product.slug]
    with seeded.app_context():
        saved = db.session.get(Product, product.id)
        saved.status = "archived"
        db.session.commit()
        document = select(Product.search_document).where(Product.id == product.id)
        assert db.session.scalar(document) is None
    assert api(client, q="wombat")["total"] == 0


def test_a_sale_leaves_the_words_alone_and_a_new_size_name_is_found(seeded, make_product):
    """Stock and prices are read live by the query: a checkout's stock move must not rewrite
    (and lock) the product row, while a variant's new name is searchable at once."""
    from shop.orders.services import reserve_stock

    client = seeded.test_client()
    product = make_product(title_en="Numbat honey", stock=3, variants=1)
    statements = []

    def remember(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with seeded.app_context():
        variant = db.session.get(Product, product.id).variants[0]
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            reserve_stock(variant.id, 3)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        assert not [
            text for text in statements if text.lstrip().upper().startswith("UPDATE PRODUCT")
        ]
        variant = db.session.get(Product, product.id).variants[0]
        variant.spec_en = "Jarrah jar"
        db.session.commit()
    found = api(client, q="numbat")
    assert slugs(found) == [product.slug]
    assert slugs(api(client, q="jarrah")) == [product.slug]
    # The sold-out product is no longer in the in-stock filter, with no document rewritten.
    assert api(client, q="numbat", in_stock="1")["total"] == 0


@pytest.mark.parametrize("query", ["dangs", "dangsh", "dangshansu", "Dangsha"])
def test_the_start_of_a_pinyin_word_finds_its_products_when_nothing_else_does(seeded, query):
    found = slugs(api(seeded.test_client(), q=query, per_page=48))
    assert found
    assert set(found) <= public_slugs_of_region(seeded, "dangshan")


def test_the_start_of_pingguo_finds_the_apples(seeded):
    found = slugs(api(seeded.test_client(), q="pingg"))
    assert found[0] == "yanan-luochuan-apples"


def test_products_written_outside_the_app_are_reported_and_repaired_by_the_health_check(seeded):
    with seeded.app_context(), db.engine.begin() as connection:
        # As a load by hand (psql, a restore) leaves them: rows without documents.
        table = Product.__table__
        connection.execute(
            update(table).where(table.c.slug.like("dangshan-%")).values(search_document=None)
        )
    client = seeded.test_client()
    assert api(client, q="酥梨")["total"] == 0
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "products not searchable" in response.get_json()["search"]
    # The check wrote them: the next one is healthy and search finds them again.
    assert client.get("/healthz").status_code == 200
    assert slugs(api(client, q="酥梨"))[0] == "dangshan-crisp-pears"
