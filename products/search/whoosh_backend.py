"""Catalogue search on Whoosh files: the index, keeping it up to date, and queries over it. The
only module that uses a Whoosh index; the text analysis it indexes with is products.search.analysis.

How the index follows the data: products.search.changes notes which products a transaction
touched, and after the database commit (``after_commit``) those products are re-read and
re-indexed; a rollback forgets them. Whoosh's file lock serializes writers of several gunicorn
workers: a writer waits for the lock instead of dropping its update.

How a query runs: the words are segmented like the text was, each word is looked up in the
weighted `text` field and, when it is pinyin, in the `pinyin` field; matching, facet counts and
sorting are set operations over postings and per-document columns, and relevance is BM25 (the
same scores Whoosh's BM25F gives) computed over whole postings blocks. Whoosh's own collectors
step through every matching document in Python, which took seconds on 100,000 products; see
docs/benchmarks.md.

On disk, ``SEARCH_INDEX_PATH`` is a symbolic link to one generation folder beside it.
``rebuild()`` builds a new generation, then swaps the link atomically, so queries keep answering
during a rebuild; updates committed while it builds are written to a journal and replayed into
the new generation after the swap.

A missing or damaged index heals itself: ``health()`` (behind /healthz) and a failed search
start ``rebuild_in_background()``, one thread per process, and the rebuild lock lets one process
build while the others wait for its swap. Meanwhile search fails at once (SearchUnavailable, a
503), without retrying. Segment files are read into memory rather than memory-mapped, so files
overwritten under a worker cannot kill it with SIGBUS.
"""

import fcntl
import heapq
import logging
import math
import os
import shutil
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from operator import itemgetter

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer
from whoosh.analysis.filters import Filter
from whoosh.codec.base import Segment
from whoosh.columns import NumericColumn, RefBytesColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Every, Or, Phrase, Query, Term
from whoosh.searching import Searcher

from products.models import Product
from products.search.analysis import (
    ALL_STOP_WORDS,
    is_cjk,
    pinyin_text,
    pinyin_words,
    segment,
    stem,
    warm_up,
    weighted_parts,
    weighted_text,
)
from products.search.backend import SearchUnavailable
from products.search.changes import follow, take
from products.search.query import (
    FACETS,
    PRICE_BANDS,
    MatchTerms,
    SearchQuery,
    SearchResult,
    WordGroup,
    clean_query,
    did_you_mean,
    price_band,
    query_groups,
)
from products.services import in_stock, lowest_regular_price_fen, public_products

log = logging.getLogger(__name__)

# --- Analysis as Whoosh tokenizers ----------------------------------------------------------


class ChineseTokenizer(Tokenizer):
    """Segments mixed Chinese/English text (analysis.segment()), keeping positions and character
    offsets.

    Search mode also yields the shorter words inside long ones (延安市 -> 延安, 延安市), so a
    query for either finds the text.
    """

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        yield from self._tokens(
            token, value, 1.0, positions, chars, keeporiginal, start_pos, start_char
        )

    def _tokens(self, token, value, boost, positions, chars, keeporiginal, start_pos, start_char):
        position = start_pos
        for word, start, end in segment(value):
            token.text = word
            token.boost = boost
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class WeightedChineseTokenizer(ChineseTokenizer):
    """ChineseTokenizer over weighted_text(): each word's boost is its part's weight."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, boost in weighted_parts(value):
            yield from self._tokens(token, text, boost, positions, chars, keeporiginal, 0, 0)


class CharacterTokenizer(Tokenizer):
    """Each Chinese character as a token, with positions, so that single characters (梨) and
    words the segmenter cut differently can still be found as a phrase."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for offset, character in enumerate(value):
            if not is_cjk(character):
                continue
            token.text = character
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = character
            if positions:
                # Non-Chinese characters still take a position: a phrase never spans them.
                token.pos = start_pos + offset
            if chars:
                token.startchar = start_char + offset
                token.endchar = start_char + offset + 1
            yield token


class PinyinTokenizer(Tokenizer):
    """Space-separated pinyin words as produced by pinyin_text()."""

    def __call__(self, value, positions=False, chars=False, removestops=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, word in enumerate(value.split()):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = position
            yield token


class WordFilter(Filter):
    """Lower case, stop words out, English stemmed (Chinese words pass unchanged), and the
    unstemmed word kept as `original` (pinyin matching and highlighting need it).

    One filter instead of Whoosh's four chained ones: indexing time goes per token.
    """

    def __call__(self, tokens):
        for token in tokens:
            lowered = token.text.lower()
            if lowered in ALL_STOP_WORDS:
                if token.removestops:
                    continue
                token.stopped = True
            token.original = lowered
            token.text = stem(lowered)
            yield token


def spelling_analyzer():
    """Segmenter + lower case, no stemming: the words a "did you mean" may propose."""
    return ChineseTokenizer() | LowercaseFilter() | StopFilter(stoplist=ALL_STOP_WORDS, minsize=3)


# --- Schema and documents ------------------------------------------------------------------

#: Bump when the schema or the analysis (products.search.analysis, MARKET_WORDS and the stemmer
#: too) changes: ensure_index() then rebuilds an index built by an older version.
SCHEMA_VERSION = "6"
VERSION_FILE = "village-market-schema"

SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    #: Titles, tags, region and shop names, descriptions and variant specs in both languages,
    #: each word weighted by where it appears (PART_WEIGHTS).
    text=TEXT(analyzer=WeightedChineseTokenizer() | WordFilter(), phrase=False),
    #: Chinese characters of the title one by one, for 梨 and for words cut differently.
    title_chars=TEXT(analyzer=CharacterTokenizer(), phrase=True, field_boost=2.0),
    #: Pinyin of the Chinese title: syllables, words, initials (dssl).
    pinyin=TEXT(analyzer=PinyinTokenizer(), phrase=False, field_boost=2.5),
    #: Unstemmed English title words a "did you mean" may propose (pinyin ones come from the
    #: pinyin field); never searched.
    spelling=TEXT(analyzer=spelling_analyzer(), phrase=False),
    # Facet and sort values are columns only, read by _Opened, never searched as terms:
    # indexing them too would cost a posting (and, in Whoosh, a file check) per value.
    region=COLUMN(RefBytesColumn()),
    category=COLUMN(RefBytesColumn()),
    #: b"yes" when any variant can be bought.
    stock=COLUMN(RefBytesColumn()),
    #: The PRICE_BANDS key of the lowest variant price.
    band=COLUMN(RefBytesColumn()),
    #: Lowest regular variant price in fen (limited-time discounts left out: they end by the clock).
    price=COLUMN(NumericColumn("q")),
    featured=COLUMN(NumericColumn("B")),
    created=COLUMN(NumericColumn("q")),
)


def _document(product: Product) -> dict:
    region, shop, category = product.region, product.shop, product.category
    category_names = [category.name_zh, category.name_en] if category else []
    place = [
        region.name_zh,
        region.name_en,
        region.province_zh,
        region.province_en,
        shop.name_zh,
        shop.name_en,
    ]
    place_pinyin = " ".join(pinyin_words(text) for text in (region.name_zh, shop.name_zh))
    title_pinyin = pinyin_text(product.title_zh)
    tags = " ".join(product.tag_list + category_names)
    body = " ".join(
        [product.description_zh, product.description_en]
        + [f"{variant.spec_zh} {variant.spec_en}" for variant in product.variants]
    )
    title = f"{product.title_zh} {product.title_en}"
    price = lowest_regular_price_fen(product)
    document = {
        "id": str(product.id),
        "text": weighted_text(
            title=title, tags=tags, place=" ".join([*place, place_pinyin]), body=body
        ),
        "title_chars": product.title_zh,
        "pinyin": title_pinyin,
        "spelling": product.title_en,
        "region": region.slug.encode(),
        "category": category.slug.encode() if category else b"",
        "stock": b"yes" if in_stock(product) else b"no",
        "featured": 1 if product.featured else 0,
        "created": int(product.created_at.timestamp()) if product.created_at else 0,
    }
    if price is not None:
        # A product without variants has no price: it belongs to no price band.
        document["price"] = price
        document["band"] = price_band(price).encode()
    return document


def _load_public(session: Session, product_ids: list[int]) -> list[Product]:
    """The public ones among these products, with everything a document needs loaded."""
    return list(session.scalars(public_products().where(Product.id.in_(product_ids))).unique())


# --- Where the index lives -----------------------------------------------------------------


def _live_path() -> str:
    return os.path.abspath(current_app.config["SEARCH_INDEX_PATH"])


def _sibling(name: str) -> str:
    """A hidden path beside the live index: '.search-index.<name>'."""
    live = _live_path()
    return os.path.join(os.path.dirname(live), f".{os.path.basename(live)}.{name}")


#: Parts of compound segment files (terms, postings, stored fields...) read into memory, shared
#: by every thread's searcher: (path, inode, size, modified, offset, length) -> bytes. Whoosh
#: never changes a segment file once written, so a part is read again only from a new file.
_segment_parts: dict[tuple, bytes] = {}
_segment_parts_lock = threading.Lock()


class _SegmentFile(StructFile):
    """A compound segment file whose parts are read whole, once per process, not memory-mapped.

    Whoosh maps these files by default: a mapped file truncated or overwritten under a reader
    kills the whole worker with SIGBUS. Parts in memory cannot change under a reader; a reader
    opened after the damage fails with an error that search turns into a 503 and a rebuild.
    Whoosh's own `supports_mmap=False` reads them a system call at a time (slower queries, up
    to twice as slow on a busy machine); its mapped reader copied every part into each thread's
    searcher (eight threads on a 9 MB index: 166 MB, against 35 MB for parts shared here).
    """

    def __init__(self, path: str, name: str, **kwargs):
        super().__init__(open(path, "rb"), name=name, **kwargs)  # noqa: SIM115 - closed by Whoosh
        stat = os.fstat(self.file.fileno())
        self._key = (path, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def subset(self, position, length, name=None):
        """One part of the file, as Whoosh's CompoundStorage asks for it."""
        key = (*self._key, position, length)
        with _segment_parts_lock:
            part = _segment_parts.get(key)
        if part is None:
            part = os.pread(self.file.fileno(), length, position)
            if len(part) != length:
                raise ValueError(f"segment file {self._name} is shorter than its directory says")
            with _segment_parts_lock:
                part = _segment_parts.setdefault(key, part)
        return BufferFile(part, name=name or self._name)


def _forget_replaced_parts(folder: str) -> None:
    """Drop parts of segment files outside this folder (an older generation), deleted (merged
    away) or replaced. Readers still using them keep their own references."""
    with _segment_parts_lock:
        files = {key[:4] for key in _segment_parts}
    gone = set()
    for path, inode, size, modified in files:
        if os.path.dirname(path) != folder:
            gone.add((path, inode, size, modified))
            continue
        try:
            stat = os.stat(path)
        except OSError:
            gone.add((path, inode, size, modified))
            continue
        if (stat.st_ino, stat.st_size, stat.st_mtime_ns) != (inode, size, modified):
            gone.add((path, inode, size, modified))
    if gone:
        with _segment_parts_lock:
            for key in [key for key in _segment_parts if key[:4] in gone]:
                del _segment_parts[key]


class _Storage(FileStorage):
    """A generation folder whose compound segment files are read into memory (_SegmentFile),
    never memory-mapped. Files opened while an index is being opened are remembered, so that a
    failed open closes them at once instead of leaving them to the garbage collector."""

    def __init__(self, folder: str):
        super().__init__(folder, supports_mmap=False)
        #: Files opened since opening began, or None outside an open.
        self.opening: list | None = None

    def open_file(self, name, **kwargs):
        """Open a file of the folder (remembered while the index is being opened)."""
        if name.endswith(Segment.COMPOUND_EXT):
            path = self._fpath(name)
            _forget_replaced_parts(os.path.dirname(path))
            opened = _SegmentFile(path, name, **kwargs)
        else:
            opened = super().open_file(name, **kwargs)
        if self.opening is not None:
            self.opening.append(opened)
        return opened


#: Opening races with another process's commit, which deletes the table of contents and the
#: merged segments it replaced: while the folder's files keep changing, try again this many times.
OPEN_ATTEMPTS = 5


def _open_index(folder: str, searcher: bool = False):
    """Open one generation folder (never the link itself: a swap must not change it mid-use),
    or a searcher on it.

    Fails fast: it tries again only when the folder's files changed while it was opening (a
    commit), never for files that are simply missing or damaged.

    :raises SearchUnavailable: when it is missing, half-written or corrupt.
    """
    problem = "no attempt"
    for _attempt in range(OPEN_ATTEMPTS):
        try:
            before = sorted(os.listdir(folder))
        except OSError as error:
            raise SearchUnavailable(f"no search index at {folder}: {error}") from error
        storage = _Storage(folder)
        storage.opening = []
        try:
            ix = storage.open_index(schema=None)
            if not searcher:
                return ix
            # Not ix.searcher(): Whoosh's reader() sleeps and retries ten times on a missing
            # file, half a second before a deleted segment is reported.
            toc = ix._read_toc()
            reader = ix._reader(storage, toc.schema, toc.segments, toc.generation)
            return Searcher(reader, fromindex=ix)
        except Exception as error:  # noqa: BLE001 - a commit under us, or damage
            problem = f"{type(error).__name__}: {error}"
            for opened in storage.opening:
                with suppress(Exception):
                    opened.close()
        finally:
            storage.opening = None
        try:
            if sorted(os.listdir(folder)) == before:
                break
        except OSError:
            break
    raise SearchUnavailable(f"search index at {folder} is unreadable: {problem}")


def _live_folder() -> str:
    """The generation folder the live path points at now.

    :raises SearchUnavailable: when there is none.
    """
    resolved = None
    for _attempt in range(OPEN_ATTEMPTS):
        folder = os.path.realpath(_live_path())
        if os.path.isdir(folder):
            return folder
        if folder == resolved:
            break
        # Resolved just before two quick rebuilds swapped in newer generations and removed
        # this one: the link points at a newer folder now, so resolve it again.
        resolved = folder
    raise SearchUnavailable(f"no search index at {_live_path()}")


# Queries reuse one open searcher per thread and index generation: opening one costs more
# than a whole small query.
_searchers = threading.local()


def _forget_searchers() -> None:
    """Close this thread's searchers (after a failure: the next query opens the index afresh)."""
    cached = getattr(_searchers, "by_folder", None) or {}
    for opened in cached.values():
        with suppress(Exception):
            opened.searcher.close()
    cached.clear()


@contextmanager
def _opened() -> Iterator["_Opened"]:
    """The searcher of the current generation (reopened when writers have committed since)
    with its facet and sort columns."""
    cached = getattr(_searchers, "by_folder", None)
    if cached is None:
        cached = _searchers.by_folder = {}
    for attempt in range(OPEN_ATTEMPTS):
        folder = _live_folder()
        try:
            opened = _current_searcher(cached, folder)
            break
        except SearchUnavailable:
            cached.pop(folder, None)
            # Two quick rebuilds can swap in a newer generation and remove this one between
            # resolving the link and opening the folder: open the newer one instead.
            if attempt + 1 == OPEN_ATTEMPTS or os.path.realpath(_live_path()) == folder:
                raise
    yield opened


def _current_searcher(cached: dict, folder: str) -> "_Opened":
    """This thread's searcher on `folder`, opened again when writers have committed since."""
    opened = cached.get(folder)
    try:
        if opened is not None and not opened.searcher.up_to_date():
            # Not searcher.refresh(): whoosh-reloaded 2.7.5's reader reuse brings back
            # segments that a merge replaced, so refreshed results list documents twice.
            opened.searcher.close()
            opened = None
        if opened is None:
            for stale in cached.values():
                with suppress(Exception):
                    stale.searcher.close()
            cached.clear()
            opened = _Opened(folder, _open_index(folder, searcher=True))
    except SearchUnavailable:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. segment files vanished under a swap
        raise SearchUnavailable(str(error)) from error
    cached[folder] = opened
    return opened


#: Index fields whose values make the facets (facet name -> field), and fields results sort by.
FACET_FIELDS = {"region": "region", "category": "category", "price": "band", "stock": "stock"}
SORT_FIELDS = ("price", "created", "featured")


#: Whoosh's BM25F defaults, so the ranking is the one Whoosh's own scorer would give.
K1, B = 1.2, 0.75
#: Scored fields whose per-document lengths BM25 needs.
SCORED_FIELDS = ("text", "pinyin", "title_chars")


@dataclass
class _SegmentColumns:
    """One segment's facet and sort values and field lengths by document number (segments
    never change)."""

    values: dict[str, list]
    docs_by_value: dict[str, dict[str, frozenset[int]]]
    lengths: dict[str, list[int]]


_segment_columns: dict[tuple[str, str], _SegmentColumns] = {}
# Threads of one process share the segment cache (each has its own searcher).
_segment_lock = threading.Lock()


def _read_segment_columns(reader) -> _SegmentColumns:
    count = reader.doc_count_all()
    values: dict[str, list] = {}
    for name in (*FACET_FIELDS.values(), *SORT_FIELDS):
        column = list(reader.column_reader(name)) if reader.has_column(name) else []
        if name not in SORT_FIELDS:
            column = [value.decode() for value in column]
        values[name] = column + [0 if name in SORT_FIELDS else ""] * (count - len(column))
    docs_by_value: dict[str, dict[str, frozenset[int]]] = {}
    for name in FACET_FIELDS.values():
        groups: dict[str, list[int]] = {}
        for docnum, value in enumerate(values[name]):
            groups.setdefault(value, []).append(docnum)
        docs_by_value[name] = {value: frozenset(docs) for value, docs in groups.items()}
    lengths = {
        name: [reader.doc_field_length(docnum, name, 0) or 0 for docnum in range(count)]
        for name in SCORED_FIELDS
    }
    return _SegmentColumns(values, docs_by_value, lengths)


def _close_quietly(searcher) -> None:
    with suppress(Exception):
        searcher.close()


class _Opened:
    """A searcher and, read once per generation, the columns that facets and sorting use.

    Facet counts and non-relevance orders come from plain Python sets and lists (set
    intersections and heap selection run in C), not from Whoosh's per-document facet
    collectors, which cost seconds on 100,000 products. Deleted documents stay in the
    columns: every set used here is first intersected with a query's matches, which never
    contain them.
    """

    def __init__(self, folder: str, searcher):
        self.folder = folder
        self.searcher = searcher
        # Its files stay open (they are read, not mapped): close them when a thread that
        # cached this searcher ends, rather than leave them to the garbage collector.
        weakref.finalize(self, _close_quietly, searcher)
        self._columns: tuple[dict, dict, dict] | None = None
        self._all_docs: frozenset[int] | None = None
        self._browse_rank: list[int] | None = None
        self._postings: dict[tuple[str, str], dict[int, float]] = {}
        self._length_norms: dict[str, list[float]] = {}
        self._all_counts: dict[str, Counter] = {}

    def count_values(self, fieldname: str, docs) -> Counter:
        """How many of these documents have each value of a facet field."""
        if docs is self._all_docs:
            # Browsing everything: the same counts until the index changes.
            if fieldname not in self._all_counts:
                self._all_counts[fieldname] = self.count_values(fieldname, set(docs))
            return self._all_counts[fieldname]
        return Counter(map(self.values[fieldname].__getitem__, docs))

    def postings(self, fieldname: str, text: str) -> dict[int, float]:
        """Document -> weight of a term, read once per query (matching and scoring share it)."""
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = _read_postings(self, fieldname, text)
        return self._postings[key]

    def forget_postings(self) -> None:
        """Start a new query: postings are not kept between queries (they can be large)."""
        self._postings.clear()

    def length_norm(self, fieldname: str) -> list[float]:
        """BM25's length part per document: K1 * (1 - B + B * length / average length)."""
        if fieldname not in self._length_norms:
            lengths = self._load()[2].get(fieldname, [])
            average = self.searcher.avg_field_length(fieldname) or 1.0
            self._length_norms[fieldname] = [
                K1 * (1 - B + B * length / average) for length in lengths
            ]
        return self._length_norms[fieldname]

    def _load(self) -> tuple[dict, dict, dict]:
        if self._columns is None:
            values: dict[str, list] = {name: [] for name in (*FACET_FIELDS.values(), *SORT_FIELDS)}
            lengths: dict[str, list[int]] = {name: [] for name in SCORED_FIELDS}
            docs_by_value: dict[str, dict[str, frozenset[int]]] = {
                name: {} for name in FACET_FIELDS.values()
            }
            in_use = set()
            for leaf, offset in self.searcher.leaf_searchers():
                reader = leaf.reader()
                if reader.doc_count_all() == 0:
                    continue
                key = (self.folder, reader.segment().segment_id())
                in_use.add(key)
                with _segment_lock:
                    segment = _segment_columns.get(key)
                if segment is None:
                    segment = _read_segment_columns(reader)
                    with _segment_lock:
                        _segment_columns[key] = segment
                for name, column in segment.values.items():
                    values[name].extend(column)
                for name, column in segment.lengths.items():
                    lengths[name].extend(column)
                for name, groups in segment.docs_by_value.items():
                    merged = docs_by_value[name]
                    for value, docs in groups.items():
                        shifted = docs if offset == 0 else frozenset(d + offset for d in docs)
                        merged[value] = merged[value] | shifted if value in merged else shifted
            with _segment_lock:
                for key in [key for key in _segment_columns if key not in in_use]:
                    del _segment_columns[key]
            self._columns = (values, docs_by_value, lengths)
        return self._columns

    @property
    def values(self) -> dict[str, list]:
        """Facet and sort field -> value by global document number."""
        return self._load()[0]

    @property
    def docs_by_value(self) -> dict[str, dict[str, frozenset[int]]]:
        """Facet field -> value -> document numbers having it (deleted ones included)."""
        return self._load()[1]

    @property
    def all_docs(self) -> frozenset[int]:
        """Every live document."""
        if self._all_docs is None:
            self._all_docs = frozenset(self.searcher.reader().all_doc_ids())
        return self._all_docs

    @property
    def browse_rank(self) -> list[int]:
        """Featured first, then newest: one number per document, larger first."""
        if self._browse_rank is None:
            self._browse_rank = [
                featured * 2**40 + created
                for featured, created in zip(
                    self.values["featured"], self.values["created"], strict=True
                )
            ]
        return self._browse_rank


# --- Keeping the index up to date ----------------------------------------------------------

#: How long a writer waits for another process's write lock before giving up (and logging).
WRITE_LOCK_TIMEOUT = 30.0


def _writer(ix):
    # Whoosh's file lock lets one writer at a time in; waiting for it (instead of failing at
    # once) is what keeps two gunicorn workers from losing each other's updates.
    return ix.writer(timeout=WRITE_LOCK_TIMEOUT, delay=0.02)


def index_products(product_ids: Iterable[int]) -> int:
    """Re-read these products and update their documents: public ones (re)indexed, others removed.

    Returns how many are in the index afterwards. Does nothing when there is no index yet
    (`flask ensure-index` builds it from the database).
    """
    from shop.extensions import db

    ids = sorted({int(product_id) for product_id in product_ids})
    if not ids:
        return 0
    _journal_if_rebuilding(ids)
    try:
        folder = _live_folder()
    except SearchUnavailable:
        return 0
    ix = _open_index(folder)
    writer = _writer(ix)
    try:
        # Read the rows only once holding the write lock: two commits to one product (say, its
        # two sizes selling out at once) must not let the earlier read be written last.
        with Session(db.engine) as session:
            products = {product.id: product for product in _load_public(session, ids)}
            documents = {product_id: _document(product) for product_id, product in products.items()}
        for product_id in ids:
            if product_id in documents:
                writer.update_document(**documents[product_id])
            else:
                writer.delete_by_term("id", str(product_id))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return len(documents)


def remove_products(product_ids: Iterable[int]) -> None:
    """Take these products out of the index (whatever the database says)."""
    ids = sorted({int(product_id) for product_id in product_ids})
    if not ids:
        return
    try:
        folder = _live_folder()
    except SearchUnavailable:
        return
    writer = _writer(_open_index(folder))
    try:
        for product_id in ids:
            writer.delete_by_term("id", str(product_id))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def _apply_committed(session) -> None:
    """After the commit: re-index what the transaction changed. Never fails the request."""
    changes = take(session)
    if not changes or not has_app_context():
        return
    if current_app.extensions.get("search_backend", "whoosh") != "whoosh":
        return  # the app searches with another engine, which follows the changes itself
    from shop.extensions import db

    try:
        with Session(db.engine) as reader:
            ids = changes.product_ids(reader)
        index_products(ids)
    except SearchUnavailable as error:
        # The rebuild reads the committed data, this change included.
        log.warning("Search index not updated (%s); rebuilding it in the background", error)
        rebuild_in_background()
    except Exception:  # noqa: BLE001 - the data is committed; a later reindex repairs the index
        log.exception("Search index update failed; run `flask reindex` to repair it")


_events_installed = False


def init_app(app: Flask) -> None:
    """Keep the index following the database, and warm the segmenter at worker start."""
    global _events_installed
    if not _events_installed:
        from shop.extensions import db

        # db.session is one scoped session for every app in the process: listen once.
        follow(db.session)
        event.listen(db.session, "after_commit", _apply_committed)
        _events_installed = True
    app.extensions["search_warm_up_seconds"] = warm_up()
    _open_at_start(app)


def _open_at_start(app: Flask) -> None:
    """Open the index and read its facet columns now, so the first visitor does not wait.

    A missing or damaged index is only logged: the site starts, search pages say search is
    being rebuilt, and the first search or health check rebuilds it in the background
    (`flask ensure-index`, run by `make run`, rebuilds it before the site starts).
    """
    with app.app_context():
        try:
            with _opened() as opened:
                opened.docs_by_value  # noqa: B018 - reading it is the point
        except Exception as error:  # noqa: BLE001 - the site must start whatever the index is like
            if os.path.lexists(_live_path()):
                log.warning(
                    "Search index unavailable at start (%s); the first search or health "
                    "check rebuilds it",
                    error,
                )


# --- Rebuilding ----------------------------------------------------------------------------


@contextmanager
def _rebuild_lock(wait: bool = True) -> Iterator[bool]:
    """Only one rebuild at a time, whatever the process; writers see it held and journal their
    updates. Yields False, without waiting, when another holds it and `wait` is False."""
    path = _sibling("rebuild-lock")
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _rebuild_running() -> bool:
    try:
        handle = os.open(_sibling("rebuild-lock"), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)  # closing also releases a shared lock we may have taken
    return False


def _journal_if_rebuilding(product_ids: list[int]) -> None:
    """While a rebuild runs, remember updated ids so they are replayed into the new index."""
    if not _rebuild_running():
        return
    line = (" ".join(str(product_id) for product_id in product_ids) + "\n").encode()
    handle = os.open(_sibling("journal"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(handle, line)  # one small O_APPEND write: lines from workers never interleave
    finally:
        os.close(handle)


def _take_journal() -> set[int]:
    path = _sibling("journal")
    taken = _sibling(f"journal-{os.getpid()}-{time.time_ns()}")
    try:
        os.replace(path, taken)
    except FileNotFoundError:
        return set()
    with open(taken, encoding="ascii") as handle:
        ids = {int(word) for line in handle for word in line.split()}
    os.remove(taken)
    return ids


def _generations() -> list[str]:
    live = _live_path()
    prefix = f".{os.path.basename(live)}.gen-"
    parent = os.path.dirname(live)
    return [os.path.join(parent, name) for name in os.listdir(parent) if name.startswith(prefix)]


def _swap_in(folder: str) -> None:
    """Point the live path at a new generation in one atomic rename."""
    live = _live_path()
    if os.path.isdir(live) and not os.path.islink(live):
        # An index folder from before generations (or copied in): move it aside first.
        os.replace(live, _sibling(f"gen-{time.time_ns()}-old"))
    link = _sibling(f"link-{os.getpid()}-{time.time_ns()}")
    os.symlink(os.path.basename(folder), link)
    os.replace(link, live)


#: From this many products a rebuild analyses documents in two processes (Whoosh's MpWriter,
#: one segment each): analysis is pure Python, so a second core nearly halves the time.
PARALLEL_REBUILD_FROM = 20_000


def _write_documents(ix, batches: Iterable[list[dict]], expected: int) -> int:
    # MpWriter forks: only from a process with one thread (`flask reindex`), never from a
    # threaded worker rebuilding in the background, where the child could inherit a lock that
    # another thread held at that moment and wait for it forever.
    if (
        expected >= PARALLEL_REBUILD_FROM
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
    ):
        writer = ix.writer(procs=2, limitmb=128, multisegment=True)
    else:
        writer = ix.writer(limitmb=256)
    count = 0
    try:
        for batch in batches:
            for document in batch:
                writer.add_document(**document)
            count += len(batch)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return count


REBUILD_BATCH = 1000


def _all_documents() -> Iterator[list[dict]]:
    """Documents of every public product, read in batches so memory stays flat."""
    from shop.extensions import db

    last_id = 0
    while True:
        with Session(db.engine) as session:
            ids = list(
                session.scalars(
                    public_products()
                    .with_only_columns(Product.id)
                    .where(Product.id > last_id)
                    .order_by(Product.id)
                    .limit(REBUILD_BATCH)
                )
            )
            if not ids:
                return
            yield [_document(product) for product in _load_public(session, ids)]
        last_id = ids[-1]


def _public_count() -> int:
    from shop.extensions import db

    with Session(db.engine) as session:
        return session.scalar(
            select(func.count()).select_from(
                public_products().with_only_columns(Product.id).subquery()
            )
        )


def rebuild() -> int:
    """Build a fresh index from the database beside the live one, then swap it in. Returns the count."""
    os.makedirs(os.path.dirname(_live_path()), exist_ok=True)
    with _rebuild_lock():
        count, missed = _build_and_swap()
    if missed:
        index_products(missed)
    return count


def _build_and_swap() -> tuple[int, set[int]]:
    """Build a new generation and swap it in, the rebuild lock held. Returns how many products
    it holds and the ids updated while it was built (to index again once the lock is let go)."""
    live = _live_path()
    _take_journal()  # updates journalled before now are in the snapshot read below
    current = os.path.realpath(live)
    for old in _generations():
        # Keep the live generation and the one before it (a searcher may still read it).
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
    folder = _sibling(f"gen-{time.time_ns()}")
    os.makedirs(folder)
    try:
        ix = _Storage(folder).create_index(SCHEMA)
        count = _write_documents(ix, _all_documents(), _public_count())
        with open(os.path.join(folder, VERSION_FILE), "w", encoding="ascii") as handle:
            handle.write(SCHEMA_VERSION)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _swap_in(folder)
    return count, _take_journal()


#: Generation folder -> its files (name, size, modification time, inode) when it was last found
#: readable: while they stay the same, the health check does not open the index again.
_verified: dict[str, tuple] = {}


def _fingerprint(folder: str) -> tuple | None:
    try:
        return tuple(
            sorted(
                (entry.name, stat.st_size, stat.st_mtime_ns, stat.st_ino)
                for entry in os.scandir(folder)
                for stat in (entry.stat(),)
            )
        )
    except OSError:
        return None


def _read_samples(searcher, everything: bool) -> None:
    """Read a little of each segment's files (terms, stored fields, lengths, columns), or, when
    `everything`, every stored document and a whole query."""
    for leaf, _offset in searcher.leaf_searchers():
        reader = leaf.reader()
        reader.doc_frequency("text", "梨")
        if reader.doc_count_all():
            reader.stored_fields(0)
            reader.doc_field_length(0, "text")
            if reader.has_column("price"):
                reader.column_reader("price")[0]
    if everything:
        searcher.search(Every(), limit=1)
        for _stored in searcher.reader().all_stored_fields():
            pass


def _diagnose(thorough: bool) -> tuple[str, str] | None:
    """(what is wrong, the details) of the live index, or None when it can serve queries."""
    try:
        folder = _live_folder()
    except SearchUnavailable as error:
        return "missing", str(error)
    fingerprint = _fingerprint(folder)
    if not thorough and fingerprint is not None and _verified.get(folder) == fingerprint:
        return None
    try:
        searcher = _open_index(folder, searcher=True)
        try:
            _read_samples(searcher, everything=thorough)
        finally:
            searcher.close()
    except Exception as error:  # noqa: BLE001 - anything unreadable means rebuild
        return "unreadable", f"{type(error).__name__}: {error}"
    try:
        with open(os.path.join(folder, VERSION_FILE), encoding="ascii") as handle:
            version = handle.read().strip()
    except (OSError, UnicodeError) as error:
        version = repr(error)
    if version != SCHEMA_VERSION:
        return "built by an older version", f"schema {version!r}, this code {SCHEMA_VERSION!r}"
    if fingerprint is not None:
        _verified.clear()
        _verified[folder] = fingerprint
    return None


def index_problem(thorough: bool = False) -> str | None:
    """Why the live index cannot serve queries ("missing", "unreadable", "built by an older
    version"), or None when it can.

    Quick enough for every health check: the index is opened and a little of each file read
    only when its files changed since it was last found readable. `thorough` always opens it
    and reads every stored document.
    """
    diagnosis = _diagnose(thorough)
    return diagnosis[0] if diagnosis else None


def ensure_index(wait: bool = True, thorough: bool = True) -> bool:
    """Rebuild the index when it is missing, unreadable or outdated. Returns True if this call
    rebuilt it.

    It looks again once it holds the rebuild lock, so processes that notice the same problem
    build one index between them. With `wait` False it returns False at once while another
    process rebuilds (that rebuild's swap repairs the index).
    """
    if _diagnose(thorough) is None:
        return False
    os.makedirs(os.path.dirname(_live_path()), exist_ok=True)
    with _rebuild_lock(wait=wait) as locked:
        diagnosis = _diagnose(thorough) if locked else None
        if diagnosis is None:
            return False
        log.warning("Search index %s (%s); rebuilding it from the database", *diagnosis)
        _count, missed = _build_and_swap()
    if missed:
        index_products(missed)
    return True


# --- Healing -------------------------------------------------------------------------------

#: Seconds a client is told to wait (Retry-After) while the index is rebuilt: the demo
#: catalogue takes about a second, 100,000 products about three minutes.
RETRY_AFTER_SECONDS = 30
#: After a background rebuild failed (database down, disk full), the next health check or
#: search starts another only after this many seconds.
HEAL_RETRY_SECONDS = 30.0

_healing_lock = threading.Lock()
#: Live index path -> the thread of this process rebuilding it.
_healers: dict[str, threading.Thread] = {}
#: Live index path -> when its last background rebuild failed (time.monotonic()).
_heal_failed: dict[str, float] = {}


def rebuild_in_background() -> bool:
    """Start rebuilding a missing or broken index in a thread of this process, unless one is
    running already or the last one failed under HEAL_RETRY_SECONDS ago. Returns whether a
    rebuild is under way."""
    app = current_app._get_current_object()
    live = _live_path()
    with _healing_lock:
        for path, thread in list(_healers.items()):
            if not thread.is_alive():
                del _healers[path]
        if live in _healers:
            return True
        failed = _heal_failed.get(live)
        if failed is not None and time.monotonic() - failed < HEAL_RETRY_SECONDS:
            return False
        thread = threading.Thread(
            target=_heal, args=(app, live), name="search-index-rebuild", daemon=True
        )
        _healers[live] = thread
        thread.start()
    return True


def _heal(app: Flask, live: str) -> None:
    with app.app_context():
        try:
            ensure_index(wait=False, thorough=False)
        except Exception:  # noqa: BLE001 - nobody to raise to: logged, and tried again later
            _heal_failed[live] = time.monotonic()
            log.exception("Rebuilding the search index in the background failed")
        else:
            _heal_failed.pop(live, None)


def wait_for_rebuilds(timeout: float = 60.0) -> bool:
    """Wait for this process's background rebuilds to end; False if one is still running."""
    deadline = time.monotonic() + timeout
    with _healing_lock:
        threads = list(_healers.values())
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


def health() -> str | None:
    """None when search can answer; otherwise what is wrong, for /healthz ("index missing —
    rebuilding"), a background rebuild having been started."""
    problem = index_problem()
    if problem is None:
        return None
    if rebuild_in_background():
        return f"index {problem} — rebuilding"
    return f"index {problem} — the last rebuild failed; retrying in {HEAL_RETRY_SECONDS:.0f} s"


# --- Querying ------------------------------------------------------------------------------

_WORD_FIELDS = ("text",)


def _group_query(group: WordGroup, reader) -> tuple[Query, set[str], set[str], set[str]]:
    """Any word of the group in any field; Chinese text not indexed as a word is matched as
    a phrase of characters instead (single characters such as 梨 always are)."""
    alternatives: list[Query] = []
    stems, pinyin, phrases = set(), set(), set()
    found_word = False
    for word, stemmed in group.words:
        for name in _WORD_FIELDS:
            alternatives.append(Term(name, stemmed))
            found_word = found_word or reader.doc_frequency(name, stemmed) > 0
        stems.add(stemmed)
        if word.isascii() and word.isalnum() and reader.doc_frequency("pinyin", word) > 0:
            # Only words that are pinyin of some title: highlighting then converts Chinese
            # text to pinyin only when the query really used it.
            alternatives.append(Term("pinyin", word))
            pinyin.add(word)
            found_word = True
    characters = [ch for ch in group.text if is_cjk(ch)]
    if characters and (len(characters) == 1 or not found_word):
        if len(characters) == 1:
            alternatives.append(Term("title_chars", characters[0]))
        else:
            alternatives.append(Phrase("title_chars", characters))
        phrases.add("".join(characters))
    return Or(alternatives), stems, pinyin, phrases


def _docs(opened: _Opened, whoosh_query: Query) -> set[int] | frozenset[int]:
    """Document numbers matching a query built by _text_query(), by set algebra."""
    if isinstance(whoosh_query, Every):
        return opened.all_docs
    if isinstance(whoosh_query, Or):
        return set().union(*(_docs(opened, part) for part in whoosh_query.subqueries))
    if isinstance(whoosh_query, And):
        parts = sorted((_docs(opened, part) for part in whoosh_query.subqueries), key=len)
        return set(parts[0]).intersection(*parts[1:])
    if isinstance(whoosh_query, Term):
        return set(opened.postings(whoosh_query.fieldname, whoosh_query.text))
    return set(opened.searcher.docs_for_query(whoosh_query))


def _read_postings(opened: _Opened, fieldname: str, text: str) -> dict[int, float]:
    """Every live document containing a term, with the term's weight there."""
    weights: dict[int, float] = {}
    for leaf, offset in opened.searcher.leaf_searchers():
        reader = leaf.reader()
        if (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        deleted: frozenset[int] = frozenset()
        if isinstance(matcher, FilterMatcher):  # the segment has deleted documents
            deleted, matcher = reader.deleted_docs_set, matcher.child
        ids, values = _block_postings(matcher)
        if offset:
            ids = [docnum + offset for docnum in ids]
            deleted = frozenset(docnum + offset for docnum in deleted)
        weights.update(zip(ids, values, strict=True))
        for docnum in deleted:
            weights.pop(docnum, None)
    return weights


def _block_postings(matcher) -> tuple[list[int], list[float]]:
    """A postings list's document numbers and weights, whole blocks at once.

    Stepping a matcher one document at a time in Python (all_ids(), or Whoosh's collectors)
    costs tens of milliseconds per common word on 100,000 products. Whoosh's W3 leaf matcher
    keeps each decoded block in `_ids` and `_weights`; whoosh-reloaded is pinned, and any other
    matcher falls back to stepping.
    """
    ids: list[int] = []
    weights: list[float] = []
    if not all(hasattr(matcher, name) for name in ("_ids", "_i", "_read_ids", "_read_weights")):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        ids.extend(matcher._ids[matcher._i :])
        weights.extend(matcher._weights[matcher._i :])
        matcher._next_block()
    return ids, weights


def _leaf_queries(whoosh_query: Query) -> Iterator[Query]:
    if isinstance(whoosh_query, Or | And):
        for part in whoosh_query.subqueries:
            yield from _leaf_queries(part)
    elif isinstance(whoosh_query, Term | Phrase):
        yield whoosh_query


def _bm25(opened: _Opened, whoosh_query: Query, candidates) -> dict[int, float]:
    """BM25 scores of the candidate documents: the sum over the query's terms, as Whoosh's
    BM25F scorer computes them, but over whole postings blocks instead of per-document
    matcher calls (five to ten times faster for words found in thousands of products)."""
    scores: dict[int, float] = {}
    get = scores.get
    searcher = opened.searcher
    for leaf in _leaf_queries(whoosh_query):
        if isinstance(leaf, Term):
            weights = opened.postings(leaf.fieldname, leaf.text)
            if not weights:
                continue
            idf_k1 = searcher.idf(leaf.fieldname, leaf.text) * (K1 + 1)
            norm = opened.length_norm(leaf.fieldname)
            if len(candidates) < len(weights):
                pairs = ((d, weights[d]) for d in candidates if d in weights)
            else:
                pairs = ((d, w) for d, w in weights.items() if d in candidates)
            for docnum, weight in pairs:
                scores[docnum] = get(docnum, 0.0) + idf_k1 * weight / (weight + norm[docnum])
        else:
            # A phrase of characters: one average occurrence in the field.
            docs = _docs(opened, leaf) & candidates
            if not docs:
                continue
            idf = math.log(searcher.doc_count() / (len(docs) + 1)) + 1
            weight = searcher.schema[leaf.fieldname].format.field_boost
            score = idf * weight * (K1 + 1) / (weight + K1)
            for docnum in docs:
                scores[docnum] = get(docnum, 0.0) + score
    return scores


def _restrict(opened: _Opened, docs, filters: dict[str, str]):
    for name, value in filters.items():
        docs = docs & opened.docs_by_value[FACET_FIELDS[name]].get(value, frozenset())
    return docs


def _facet_counts(opened: _Opened, matched, filters: dict[str, str], selected):
    """Counts per facet value. A facet's counts ignore its own filter and apply the others,
    so the visitor sees what choosing another value would give."""
    facets = {}
    for name, field_name in FACET_FIELDS.items():
        if name in filters:
            others = {key: value for key, value in filters.items() if key != name}
            base = _restrict(opened, matched, others)
        else:
            base = selected
        counts = [
            (value, count)
            for value, count in opened.count_values(field_name, base).items()
            if value
        ]
        if name == "price":
            counts.sort(key=lambda item: list(PRICE_BANDS).index(item[0]))
        else:
            counts.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = counts
    return facets


def _ordered(opened: _Opened, docs, sort: str, limit: int) -> list[int]:
    """The first `limit` documents in a non-relevance order (ties: index order)."""
    in_index_order = sorted(docs)
    if sort == "price_asc":
        return heapq.nsmallest(limit, in_index_order, key=opened.values["price"].__getitem__)
    if sort == "price_desc":
        return heapq.nlargest(limit, in_index_order, key=opened.values["price"].__getitem__)
    if sort == "newest":
        return heapq.nlargest(limit, in_index_order, key=opened.values["created"].__getitem__)
    return heapq.nlargest(limit, in_index_order, key=opened.browse_rank.__getitem__)


def _run(opened: _Opened, whoosh_query: Query, query: SearchQuery, scored: bool):
    """One page of product ids, the total and the facet counts."""
    filters = query.filters()
    matched = _docs(opened, whoosh_query)
    selected = _restrict(opened, matched, filters)
    facets = _facet_counts(opened, matched, filters, selected)
    limit = query.page * query.per_page
    start = (query.page - 1) * query.per_page
    if start >= len(selected):
        docnums = []
    elif scored and query.sort == "relevance":
        scores = _bm25(opened, whoosh_query, selected)
        best = heapq.nlargest(limit, scores.items(), key=itemgetter(1))
        docnums = [docnum for docnum, _score in best[start:limit]]
    else:
        docnums = _ordered(opened, selected, query.sort, limit)[start:]
    stored = opened.searcher.stored_fields
    return [int(stored(docnum)["id"]) for docnum in docnums], len(selected), facets


#: Fields whose words a "did you mean" may propose: English words and pinyin.
_SPELLING_FIELDS = ("spelling", "pinyin")


def _known(reader, word: str) -> bool:
    return any(
        reader.doc_frequency(name, token.text) > 0
        for name in _SPELLING_FIELDS
        for token in spelling_analyzer()(word)
    )


def _correction(reader, word: str) -> str | None:
    """The catalogue word nearest to a misspelt one (fewest edits, then most products)."""
    maxdist = 1 if len(word) <= 4 or not word.isascii() else 2
    for distance in range(1, maxdist + 1):
        candidates = {
            (reader.doc_frequency(name, candidate), candidate)
            for name in _SPELLING_FIELDS
            for candidate in reader.terms_within(name, word, distance, prefix=1)
            if candidate != word and len(candidate) >= 3
        }
        if candidates:
            return max(candidates)[1]
    return None


def _suggest(opened: _Opened, text: str) -> str | None:
    """The query with misspelt words replaced by near words of the catalogue, if that finds something."""
    reader = opened.searcher.reader()

    def finds(suggestion: str) -> bool:
        whoosh_query, _terms = _text_query(suggestion, reader)
        return whoosh_query is not None and bool(_docs(opened, whoosh_query))

    return did_you_mean(
        text, lambda word: _known(reader, word), lambda word: _correction(reader, word), finds
    )


def _text_query(text: str, reader, all_words: bool = True) -> tuple[Query | None, MatchTerms]:
    groups = query_groups(text)
    if not groups:
        return None, MatchTerms()
    parts, stems, pinyin, phrases = [], set(), set(), set()
    for group in groups:
        part, group_stems, group_pinyin, group_phrases = _group_query(group, reader)
        parts.append(part)
        stems |= group_stems
        pinyin |= group_pinyin
        phrases |= group_phrases
    combined = parts[0] if len(parts) == 1 else (And(parts) if all_words else Or(parts))
    return combined, MatchTerms(frozenset(stems), frozenset(pinyin), frozenset(phrases))


def search(query: SearchQuery) -> SearchResult:
    """Public product ids for a query, best first, with facet counts and a suggestion.

    :raises SearchUnavailable: at once when the index cannot be read (a rebuild is started in
        the background).
    """
    text = clean_query(query.text)
    with _healing():
        return _search(text, query)


def suggest(text: str) -> str | None:
    """The query with misspelt words replaced by near words of the catalogue, if that finds
    something ("did you mean"; search() gives it when a query finds nothing).

    :raises SearchUnavailable: as search() does.
    """
    text = clean_query(text)
    with _healing(), _opened() as opened:
        opened.forget_postings()
        return _suggest(opened, text)


@contextmanager
def _healing() -> Iterator[None]:
    """Any failure to read the index: forget this thread's searchers, start a rebuild in the
    background, and raise SearchUnavailable."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - e.g. a segment file damaged after opening
        _forget_searchers()
        rebuild_in_background()
        if isinstance(error, SearchUnavailable):
            raise
        raise SearchUnavailable(f"search index unreadable: {error!r}") from error


def _search(text: str, query: SearchQuery) -> SearchResult:
    with _opened() as opened:
        opened.forget_postings()
        reader = opened.searcher.reader()
        if not text:
            whoosh_query, terms, scored = Every(), MatchTerms(), False
        else:
            whoosh_query, terms = _text_query(text, reader)
            scored = True
        if whoosh_query is None:
            # Only punctuation, emoji or stop words: nothing to look for.
            empty = {name: [] for name in FACETS}
            return SearchResult([], 0, query.page, query.per_page, empty, terms)
        ids, total, facets = _run(opened, whoosh_query, query, scored)
        partial = False
        if total == 0 and isinstance(whoosh_query, And):
            # No product has every word: show those with some of them, best first.
            any_query, terms = _text_query(text, reader, all_words=False)
            ids, total, facets = _run(opened, any_query, query, scored)
            partial = total > 0
        suggestion = None
        if total == 0 and text and not query.filters():
            suggestion = _suggest(opened, text)
        return SearchResult(
            ids, total, query.page, query.per_page, facets, terms, suggestion, partial
        )


class WhooshBackend:
    """This module as a SearchBackend (products.search.backend): the interface the app calls."""

    init_app = staticmethod(init_app)
    search = staticmethod(search)
    suggest = staticmethod(suggest)
    index_products = staticmethod(index_products)
    remove_products = staticmethod(remove_products)
    rebuild = staticmethod(rebuild)
    ensure_index = staticmethod(ensure_index)
    health = staticmethod(health)
