"""Catalogue search. The rest of the app uses this interface, so that another engine could
replace Whoosh:

- ``init_app(app)``: warm the segmenter and keep the index following the database;
- ``search(SearchQuery) -> SearchResult``: ranked product ids, facet counts, a suggestion;
- ``suggest(text)``: the query with misspelt words corrected ("did you mean");
- ``index_products(ids)`` / ``remove_products(ids)``: bring some products up to date;
- ``rebuild()`` / ``ensure_index()``: build the whole index from the database;
- ``health()``: what is wrong with the index, for /healthz;
- ``highlight(text, terms)`` / ``excerpt(...)``: escaped HTML with the matched words marked;
- ``romanize(text)``: pinyin words, for URL slugs.

The package's modules: ``analysis`` (text analysis any backend shares), ``query`` (what search
is asked and answers, "did you mean"), ``highlight``, ``backend`` (the SearchBackend interface
an engine implements), ``whoosh_backend`` (the engine: the only module that uses a Whoosh index) and
``service`` (a search request read and its results loaded, for /search and /api/v1/search).
"""

from products.search.analysis import romanize
from products.search.backend import SearchBackend, SearchUnavailable
from products.search.highlight import excerpt, highlight
from products.search.query import (
    FACETS,
    MAX_QUERY_LENGTH,
    PRICE_BANDS,
    SORTS,
    MatchTerms,
    QueryTooLong,
    SearchQuery,
    SearchResult,
    clean_query,
    price_band,
)
from products.search.whoosh_backend import (
    RETRY_AFTER_SECONDS,
    SCHEMA_VERSION,
    VERSION_FILE,
    ensure_index,
    health,
    index_problem,
    index_products,
    init_app,
    rebuild,
    rebuild_in_background,
    remove_products,
    search,
    suggest,
    wait_for_rebuilds,
)

__all__ = [
    "FACETS",
    "MAX_QUERY_LENGTH",
    "PRICE_BANDS",
    "RETRY_AFTER_SECONDS",
    "SCHEMA_VERSION",
    "SORTS",
    "VERSION_FILE",
    "MatchTerms",
    "QueryTooLong",
    "SearchBackend",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "clean_query",
    "ensure_index",
    "excerpt",
    "health",
    "highlight",
    "index_problem",
    "index_products",
    "init_app",
    "price_band",
    "rebuild",
    "rebuild_in_background",
    "remove_products",
    "romanize",
    "search",
    "suggest",
    "wait_for_rebuilds",
]
