"""Recall on the search benchmark's 30 labelled queries, over a small catalogue from the same
generator (bench/make_search_corpus.py): every product a query should find is found, on the
database's own engine (Whoosh on SQLite, PostgreSQL's in the PostgreSQL pass)."""

import importlib.util
from pathlib import Path

from products import search
from shop.extensions import db

BENCH = Path(__file__).resolve().parent.parent / "bench" / "search.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_search", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_labelled_query_finds_every_product_it_should(app, runner):
    bench = _bench()
    with app.app_context():
        truth = bench.make_corpus(600, practice=20)
        db.session.remove()
    assert runner.invoke(args=["ensure-index"]).exit_code == 0
    missed = {}
    with app.app_context():
        for text, relevant_if in bench.LABELLED:
            relevant = {pid for pid, fact in truth.items() if relevant_if(fact)}
            found = set(search.search(search.SearchQuery(text=text, per_page=len(truth))).ids)
            assert found <= set(truth), text  # practice products are never found
            if relevant - found:
                missed[text] = len(relevant - found)
    assert missed == {}
