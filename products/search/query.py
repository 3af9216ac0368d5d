"""What search is asked and what it answers, whatever the backend: a query with its facet
filters, order and page; a page of results with facet counts; the words a query is made of; and
"did you mean", given what the backend's catalogue knows.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from products.search.analysis import analysed_words

#: Longer queries are refused (with a 400 and a message): no product title is this long, and
#: each word costs a lookup in every field.
MAX_QUERY_LENGTH = 100
SORTS = ("relevance", "price_asc", "price_desc", "newest")
FACETS = ("region", "category", "price", "stock")


class QueryTooLong(ValueError):
    """The visitor's query is longer than MAX_QUERY_LENGTH characters."""


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asked for: words, facet filters, order and page."""

    text: str = ""
    region: str | None = None
    category: str | None = None
    price: str | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24

    def filters(self) -> dict[str, str]:
        """The active facet filters, by facet name."""
        active = {"region": self.region, "category": self.category, "price": self.price}
        if self.in_stock:
            active["stock"] = "yes"
        return {name: value for name, value in active.items() if value}


@dataclass(frozen=True)
class MatchTerms:
    """What a query matched on, for highlighting: stems, pinyin words, Chinese phrases."""

    stems: frozenset[str] = frozenset()
    pinyin: frozenset[str] = frozenset()
    phrases: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.stems or self.pinyin or self.phrases)


@dataclass
class SearchResult:
    """One page of results."""

    ids: list[int]
    total: int
    page: int
    per_page: int
    #: facet name -> [(value, count)], values with at least one product, largest count first.
    facets: dict[str, list[tuple[str, int]]]
    terms: MatchTerms
    #: A corrected query that finds something, when this one found nothing.
    suggestion: str | None = None
    #: True when no product matched every word and these match some of them.
    partial: bool = False

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, -(-self.total // self.per_page))


def clean_query(text: str) -> str:
    """The query as searched: control characters (NUL...) removed, spaces collapsed.

    :raises QueryTooLong: above MAX_QUERY_LENGTH characters.
    """
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Co") else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(text)
    return text


#: Price bands of the facet: key -> (lowest fen, highest fen or None), by the cheapest variant.
PRICE_BANDS: dict[str, tuple[int, int | None]] = {
    "under-30": (0, 2999),
    "30-60": (3000, 5999),
    "60-100": (6000, 9999),
    "100-up": (10000, None),
}


def price_band(price_fen: int) -> str:
    """The PRICE_BANDS key a price falls in."""
    for key, (low, high) in PRICE_BANDS.items():
        if price_fen >= low and (high is None or price_fen <= high):
            return key
    return ""


@dataclass
class WordGroup:
    """Overlapping words of one stretch of the query (延安, 延安市): any of them may match."""

    start: int
    end: int
    #: (lower-cased word, stem) pairs.
    words: list[tuple[str, str]]
    text: str = ""


def query_groups(text: str) -> list[WordGroup]:
    """The query's words, overlapping ones (延安, 延安市) in one group."""
    folded = unicodedata.normalize("NFKC", text)
    groups: list[WordGroup] = []
    for word in analysed_words(folded):
        pair = (word.original, word.stem)
        if groups and word.start < groups[-1].end:
            last = groups[-1]
            last.end = max(last.end, word.end)
            if pair not in last.words:
                last.words.append(pair)
        else:
            groups.append(WordGroup(word.start, word.end, [pair]))
    for group in groups:
        group.text = folded[group.start : group.end]
    return groups


def did_you_mean(
    text: str,
    known: Callable[[str], bool],
    correction: Callable[[str], str | None],
    finds: Callable[[str], bool],
) -> str | None:
    """The query with misspelt words replaced by near words of the catalogue, if that finds something.

    The backend answers from its catalogue: is a word `known`, the `correction` nearest to an
    unknown one, and whether a corrected query `finds` anything.
    """
    changed = False
    words = []
    for chunk in text.split():
        word = unicodedata.normalize("NFKC", chunk).lower()
        replacement = None
        if len(word) >= 3 and word.isalnum() and not known(word):
            replacement = correction(word)
        words.append(replacement or chunk)
        changed = changed or replacement is not None
    if not changed:
        return None
    suggestion = " ".join(words)
    return suggestion if finds(suggestion) else None
