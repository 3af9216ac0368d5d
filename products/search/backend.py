"""What the app asks of a search engine: the interface that the Whoosh and PostgreSQL backends
implement, so that one replaces the other without the app changing (config SEARCH_BACKEND).
"""

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from flask import Flask

from products.search.query import SearchQuery, SearchResult


class SearchUnavailable(RuntimeError):
    """The index is missing or unreadable; a rebuild has been started in the background."""


@runtime_checkable
class SearchBackend(Protocol):
    """A search engine over the public catalogue. Product ids in, product ids out: the database
    stays the truth, and everything a backend holds can be rebuilt from it."""

    def init_app(self, app: Flask) -> None:
        """Keep the index following the database, and warm up at worker start."""

    def search(self, query: SearchQuery) -> SearchResult:
        """One page of public product ids for a query, best first, with facet counts, and a
        suggestion when nothing matched.

        :raises SearchUnavailable: at once when the index cannot be read.
        """

    def suggest(self, text: str) -> str | None:
        """The query with misspelt words corrected, when that finds something ("did you mean")."""

    def index_products(self, product_ids: Iterable[int]) -> int:
        """Re-read these products: public ones (re)indexed, others removed. Returns how many are
        in the index afterwards."""

    def remove_products(self, product_ids: Iterable[int]) -> None:
        """Take these products out of the index (whatever the database says)."""

    def rebuild(self) -> int:
        """Build the whole index afresh from the database. Returns how many products it holds."""

    def ensure_index(self, wait: bool = True, thorough: bool = True) -> bool:
        """Rebuild the index when it is missing, unreadable or outdated. Returns True if this
        call rebuilt it."""

    def health(self) -> str | None:
        """None when search can answer; otherwise what is wrong, for /healthz."""
