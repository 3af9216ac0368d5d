"""The PostgreSQL search backend (SEARCH_BACKEND=postgresql) on the cases of tests/test_search.py.

Collected only in the PostgreSQL pass (tests/conftest.py): the backend needs PostgreSQL. The
cases are tests/test_search.py's own functions, run here against an app that chose this backend.
"""

import pytest
from sqlalchemy import select, update

from products import search
from products.models import Product, Region, Variant
from shop.extensions import db
from tests.helpers import BACKEND, build_app, reset_database

if BACKEND != "postgresql":
    # Only when named on the command line: the SQLite pass never collects this module.
    pytest.skip("the PostgreSQL search backend needs PostgreSQL", allow_module_level=True)

from tests.test_search import (  # noqa: F401  (collected here, on this backend)
    api,
    public_slugs_of_region,
    slugs,
    test_a_misspelling_gets_a_suggestion_that_finds_products,
    test_a_region_name_finds_that_regions_products_first,
    test_a_search_that_finds_nothing_says_so_and_shows_featured_products,
    test_a_single_chinese_character_finds_words_containing_it,
    test_an_overlong_query_is_a_400_that_says_why,
    test_any_query_gives_a_normal_page_or_a_400_never_a_500_or_raw_html,
    test_dangshan_finds_exactly_the_dangshan_products,
    test_english_words_are_stemmed,
    test_facet_counts_follow_a_stock_change,
    test_facet_counts_match_the_database,
    test_filters_restrict_results_and_links_keep_the_query,
    test_html_in_product_text_is_escaped_before_marking,
    test_matched_words_are_marked_in_titles_and_excerpts,
    test_pages_cover_every_result_once,
    test_pear_finds_the_pear_products_first_crisp_pears_on_top,
    test_pinyin_and_its_initials_find_dangshan_crisp_pears,
    test_practice_shops_products_are_never_found,
    test_sort_by_newest,
    test_sort_by_price,
    test_suli_finds_dangshan_crisp_pears_first,
    test_two_chinese_words_find_the_product_with_both,
    test_words_found_in_no_single_product_fall_back_to_any_word,
)


@pytest.fixture
def app(tmp_path, postgres_schema):
    """A fresh app that chose the PostgreSQL search backend, with an empty database."""
    app = build_app(tmp_path / "instance", SEARCH_BACKEND="postgresql")
    with app.app_context():
        reset_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def seeded(seeded):
    """The demo catalogue (restored as rows, without documents), its documents written."""
    with seeded.app_context():
        assert search.rebuild() > 10
    return seeded


def test_the_app_searches_with_the_postgresql_backend(seeded):
    assert seeded.extensions["search_backend"] == "postgresql"
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
        db.session.commit()
    assert api(client, q="quokka")["total"] == 0
    assert slugs(api(client, q="wombat")) == [product.slug]
    with seeded.app_context():
        saved = db.session.get(Product, product.id)
        saved.status = "archived"
        db.session.commit()
        assert (
            db.session.scalar(select(Product.search_document).where(Product.id == product.id))
            is None
        )
    assert api(client, q="wombat")["total"] == 0


def test_a_rolled_back_write_leaves_the_document_as_it_was(seeded):
    with seeded.app_context():
        pears = db.session.scalar(select(Product).where(Product.slug == "dangshan-crisp-pears"))
        pears.title_en = "Dangshan crisp pears platypus"
        db.session.flush()
        db.session.rollback()
    assert api(seeded.test_client(), q="platypus")["total"] == 0


@pytest.mark.parametrize("query", ["dangsh", "dangshansu", "Dangsha"])
def test_the_start_of_a_pinyin_word_finds_its_products_when_nothing_else_does(seeded, query):
    found = slugs(api(seeded.test_client(), q=query, per_page=48))
    assert found
    assert set(found) <= public_slugs_of_region(seeded, "dangshan")


def test_renaming_a_region_rewrites_its_products_documents(seeded):
    with seeded.app_context():
        region = db.session.scalar(select(Region).where(Region.slug == "dangshan"))
        region.name_en = "Dangshan Axolotl County"
        db.session.commit()
    found = set(slugs(api(seeded.test_client(), q="axolotl", per_page=48)))
    assert found == public_slugs_of_region(seeded, "dangshan")


def test_a_stock_change_written_as_an_update_statement_moves_the_stock_facet(seeded):
    with seeded.app_context():
        pears = db.session.scalar(select(Product).where(Product.slug == "dangshan-crisp-pears"))
        db.session.execute(update(Variant).where(Variant.product_id == pears.id).values(stock=0))
        db.session.commit()
    client = seeded.test_client()
    assert "dangshan-crisp-pears" in slugs(api(client, q="酥梨"))
    assert "dangshan-crisp-pears" not in slugs(api(client, q="酥梨", in_stock="1"))
