"""Catalogue search. The rest of the app uses this interface, so that another engine could
replace Whoosh:

- ``init_app(app)``: choose the engine, warm the segmenter, keep the index following the database;
- ``search(SearchQuery) -> SearchResult``: ranked product ids, facet counts, a suggestion;
- ``suggest(text)``: the query with misspelt words corrected ("did you mean");
- ``index_products(ids)`` / ``remove_products(ids)``: bring some products up to date;
- ``rebuild()`` / ``ensure_index()``: build the whole index from the database;
- ``health()``: what is wrong with the index, for /healthz;
- ``highlight(text, terms)`` / ``excerpt(...)``: escaped HTML with the matched words marked;
- ``romanize(text)``: pinyin words, for URL slugs.

The package's modules: ``analysis`` (text analysis any backend shares), ``query`` (what search
is asked and answers, "did you mean"), ``highlight``, ``backend`` (the SearchBackend interface
an engine implements), ``whoosh_backend`` (the engine: the only module that uses a Whoosh index),
``postgresql_backend`` (the engine inside PostgreSQL, the default on a PostgreSQL database),
``changes`` (which products a transaction touched, for either engine) and ``service`` (a
search request read and its results loaded, for /search and /api/v1/search).
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
    WhooshBackend,
    index_problem,
    rebuild_in_background,
    wait_for_rebuilds,
)

#: SEARCH_BACKEND values -> the module path of their SearchBackend class.
BACKENDS = {
    "whoosh": "products.search.whoosh_backend:WhooshBackend",
    "postgresql": "products.search.postgresql_backend:PostgresqlBackend",
}


def _backend() -> SearchBackend:
    """The engine the current app chose (Whoosh outside an app, as before the choice existed)."""
    from flask import current_app, has_app_context

    name = current_app.extensions.get("search_backend") if has_app_context() else None
    if name is None or name == "whoosh":
        return WhooshBackend
    from importlib import import_module

    module, _, attribute = BACKENDS[name].partition(":")
    return getattr(import_module(module), attribute)


def default_backend(database_url: str) -> str:
    """The engine used when SEARCH_BACKEND is not set: PostgreSQL's own on PostgreSQL (what
    every app server sees alike), Whoosh files on SQLite."""
    return "postgresql" if database_url.startswith("postgresql") else "whoosh"


def init_app(app) -> None:
    """Choose the engine (config SEARCH_BACKEND, else by the database) and let it follow the
    database."""
    name = app.config.get("SEARCH_BACKEND") or default_backend(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["SEARCH_BACKEND"] = name
    if name not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    app.extensions["search_backend"] = name
    with app.app_context():
        backend = _backend()
    backend.init_app(app)


def search(query: SearchQuery) -> SearchResult:
    """One page of public product ids for a query (SearchBackend.search)."""
    return _backend().search(query)


def suggest(text: str) -> str | None:
    """The query with misspelt words corrected (SearchBackend.suggest)."""
    return _backend().suggest(text)


def index_products(product_ids) -> int:
    """Bring these products up to date in the index (SearchBackend.index_products)."""
    return _backend().index_products(product_ids)


def remove_products(product_ids) -> None:
    """Take these products out of the index (SearchBackend.remove_products)."""
    _backend().remove_products(product_ids)


def rebuild() -> int:
    """Build the whole index from the database (SearchBackend.rebuild)."""
    return _backend().rebuild()


def ensure_index(wait: bool = True, thorough: bool = True) -> bool:
    """Rebuild the index when missing or outdated (SearchBackend.ensure_index)."""
    return _backend().ensure_index(wait=wait, thorough=thorough)


def health() -> str | None:
    """What is wrong with search, for /healthz (SearchBackend.health)."""
    return _backend().health()


__all__ = [
    "BACKENDS",
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
    "default_backend",
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
