"""Catalogue search inside PostgreSQL: a `tsvector` per product, matched with full-text queries
and ranked with ts_rank. The default on a PostgreSQL database (or ``SEARCH_BACKEND=postgresql``).

Stock Debian PostgreSQL cannot cut Chinese into words, so the application does: the words of
products.search.analysis (rjieba words, pinyin syllables, words and initials, English stems)
are joined with spaces and turned into a tsvector with the 'simple' configuration, which only
splits at spaces and lower-cases. Weights: A for the title (its words, pinyin and single
characters), B for tags, category and place names, C for descriptions and variant specs.

How the documents follow the data: products.search.changes notes which products a transaction
touched; just before the commit, their documents are written in the
same transaction, so search never disagrees with committed rows. Facet values (region,
category, price band, stock) and sort values are read live from the rows at query time.
"""

import logging
import threading
from collections.abc import Iterable
from functools import lru_cache

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    Text,
    and_,
    case,
    cast,
    event,
    func,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from products.models import CatalogueVersion, Category, Product, Region, Shop, Variant
from products.search.analysis import (
    ALL_STOP_WORDS,
    analysed_words,
    is_cjk,
    pinyin_text,
    pinyin_words,
    segment,
    warm_up,
)
from products.search.changes import follow, forget, pending
from products.search.query import (
    FACETS,
    PRICE_BANDS,
    MatchTerms,
    SearchQuery,
    SearchResult,
    WordGroup,
    clean_query,
    did_you_mean,
    query_groups,
)
from products.services import public_clause, public_products

log = logging.getLogger(__name__)

NAME = "postgresql"

# --- Documents -------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Stems of a text's words (stop words out), as the index and queries both see them."""
    return [word.stem for word in analysed_words(text)]


def document_parts(product: Product) -> dict[str, str]:
    """The space-joined tokens of a product by tsvector weight (A title, B tags and places,
    C descriptions)."""
    region, shop, category = product.region, product.shop, product.category
    title = _tokens(f"{product.title_zh} {product.title_en}")
    title += pinyin_text(product.title_zh).split()
    # Each Chinese character of the title, in order: single characters (梨) and words the
    # segmenter cut differently are found as a phrase of them.
    title += [character for character in product.title_zh if is_cjk(character)]
    names = [category.name_zh, category.name_en] if category else []
    place = [
        region.name_zh,
        region.name_en,
        region.province_zh,
        region.province_en,
        shop.name_zh,
        shop.name_en,
    ]
    tags = _tokens(" ".join(product.tag_list + names + place))
    tags += " ".join(pinyin_words(text) for text in (region.name_zh, shop.name_zh)).split()
    body = _tokens(
        " ".join(
            [product.description_zh, product.description_en]
            + [f"{variant.spec_zh} {variant.spec_en}" for variant in product.variants]
        )
    )
    return {"A": " ".join(title), "B": " ".join(tags), "C": " ".join(body)}


_WRITE_DOCUMENT = sql_text(
    "UPDATE product SET search_document ="
    " setweight(to_tsvector('simple', :a), 'A')"
    " || setweight(to_tsvector('simple', :b), 'B')"
    " || setweight(to_tsvector('simple', :c), 'C')"
    " WHERE id = :id"
)


def _write_documents(session: Session, product_ids: Iterable[int]) -> int:
    """Write the documents of these products in the session's transaction: public ones get
    their words, others none. Returns how many public ones were written."""
    ids = sorted({int(product_id) for product_id in product_ids})
    if not ids:
        return 0
    connection = session.connection()
    written = 0
    # Batches bound the memory a rebuild of a large catalogue needs.
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        products = session.scalars(public_products().where(Product.id.in_(batch))).unique()
        rows = []
        for product in products:
            parts = document_parts(product)
            rows.append({"id": product.id, "a": parts["A"], "b": parts["B"], "c": parts["C"]})
        if rows:
            connection.execute(_WRITE_DOCUMENT, rows)
        public = {row["id"] for row in rows}
        others = [product_id for product_id in batch if product_id not in public]
        if others:
            # Through the connection, not the ORM: this write is not a change to track.
            connection.execute(
                update(Product.__table__)
                .where(Product.__table__.c.id.in_(others))
                .values(search_document=None)
            )
        written += len(rows)
    return written


def _is_chosen() -> bool:
    return has_app_context() and current_app.extensions.get("search_backend") == NAME


def _before_commit(session: Session) -> None:
    """Write the documents of the products this transaction touched, inside it."""
    if not _is_chosen() or session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    changes = pending(session)
    if not changes:
        return
    # Stock and prices are read live at query time: a checkout does not rewrite documents.
    _write_documents(session, changes.product_ids(session, words_only=True))


def _forget(session: Session) -> None:
    if _is_chosen():
        forget(session)


_events_installed = False


def init_app(app: Flask) -> None:
    """Keep the documents following the database; PostgreSQL only."""
    global _events_installed
    from shop.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise RuntimeError("SEARCH_BACKEND=postgresql needs a PostgreSQL DATABASE_URL")
    if not _events_installed:
        # db.session is one scoped session for every app in the process: listen once, and act
        # only for apps that chose this backend (the Whoosh backend may follow it too).
        follow(db.session)
        event.listen(db.session, "before_commit", _before_commit)
        event.listen(db.session, "after_commit", _forget)
        _events_installed = True
    app.extensions["search_warm_up_seconds"] = warm_up()


def index_products(product_ids: Iterable[int]) -> int:
    """Rewrite these products' documents and commit. Returns how many are public."""
    from shop.extensions import db

    with Session(db.engine) as session:
        written = _write_documents(session, product_ids)
        session.commit()
    return written


def remove_products(product_ids: Iterable[int]) -> None:
    """Clear these products' documents (whatever the database says)."""
    from shop.extensions import db

    ids = sorted({int(product_id) for product_id in product_ids})
    if not ids:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(Product.__table__)
            .where(Product.__table__.c.id.in_(ids))
            .values(search_document=None)
        )


def rebuild() -> int:
    """Write every product's document afresh. Returns how many public products have one."""
    from shop.extensions import db

    with Session(db.engine) as session:
        ids = list(session.scalars(select(Product.id)))
        written = _write_documents(session, ids)
        session.commit()
    return written


def ensure_index(wait: bool = True, thorough: bool = True) -> bool:
    """Write the documents missing from public products. Returns True if any was missing."""
    from shop.extensions import db

    with Session(db.engine) as session:
        missing = _missing_documents(session)
        if not missing:
            return False
        _write_documents(session, missing)
        session.commit()
    return True


#: Documents written by one health check at most (a few milliseconds each): a check stays quick.
HEALTH_REPAIR_BATCH = 100


def _missing_documents(session: Session, limit: int | None = None) -> list[int]:
    """Public products without a document (written outside the app, or before it chose this
    backend): search cannot find them."""
    missing = (
        select(Product.id)
        .join(Product.shop)
        .where(public_clause(), Product.search_document.is_(None))
        .order_by(Product.id)
    )
    return list(session.scalars(missing.limit(limit) if limit else missing))


def health() -> str | None:
    """None when every public product has its document; otherwise what is wrong, for /healthz
    ("12 products not searchable — writing their documents"), a batch of them being written
    at once (as the Whoosh backend starts its rebuild); the periodic ensure_index writes the rest.
    """
    from shop.extensions import db

    with Session(db.engine) as session:
        missing = _missing_documents(session, HEALTH_REPAIR_BATCH + 1)
        if not missing:
            return None
        many = f"{HEALTH_REPAIR_BATCH}+" if len(missing) > HEALTH_REPAIR_BATCH else len(missing)
        try:
            _write_documents(session, missing[:HEALTH_REPAIR_BATCH])
            session.commit()
        except Exception:  # noqa: BLE001 - reported below; the next check or ensure_index retries
            session.rollback()
            log.exception("Writing missing search documents failed")
            return f"{many} products not searchable — writing their documents failed"
    return f"{many} products not searchable — writing their documents"


# --- Queries ---------------------------------------------------------------------------------


#: The text search configuration: words are already cut, 'simple' only lower-cases them.
_SIMPLE = literal_column("'simple'::regconfig")


def _word(value: str) -> ColumnElement:
    return func.plainto_tsquery(_SIMPLE, cast(literal(value), Text))


def _any(parts: list[ColumnElement]) -> ColumnElement:
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    return combined


def _all(parts: list[ColumnElement]) -> ColumnElement:
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    return combined


#: Shortest word searched as the start of title words and pinyin (dangsh -> dangshan).
PREFIX_LENGTH = 3


def _group_query(
    group: WordGroup, prefixes: bool = False
) -> tuple[ColumnElement, set[str], set[str], set[str]]:
    """Any word of the group (stemmed, or as pinyin); Chinese also as a phrase of title
    characters (single characters such as 梨 always). With `prefixes`, Latin words also match
    the start of title words and pinyin."""
    alternatives, stems, pinyin, phrases = [], set(), set(), set()
    for word, stemmed in group.words:
        alternatives.append(_word(stemmed))
        stems.add(stemmed)
        if word.isascii() and word.isalnum() and word != stemmed:
            alternatives.append(_word(word))
        if word.isascii() and word.isalnum():
            pinyin.add(word)
            if prefixes and len(word) >= PREFIX_LENGTH:
                # Only letters and digits: safe inside tsquery syntax. A: the title's weight.
                prefix = func.to_tsquery(_SIMPLE, cast(literal(f"{word}:*A"), Text))
                alternatives.append(prefix)
    characters = [character for character in group.text if is_cjk(character)]
    if characters:
        alternatives.append(
            func.phraseto_tsquery(_SIMPLE, cast(literal(" ".join(characters)), Text))
        )
        phrases.add("".join(characters))
    return _any(alternatives), stems, pinyin, phrases


def _text_query(
    text: str, all_words: bool = True, prefixes: bool = False
) -> tuple[ColumnElement | None, MatchTerms]:
    groups = query_groups(text)
    if not groups:
        return None, MatchTerms()
    parts, stems, pinyin, phrases = [], set(), set(), set()
    for group in groups:
        part, group_stems, group_pinyin, group_phrases = _group_query(group, prefixes)
        parts.append(part)
        stems |= group_stems
        pinyin |= group_pinyin
        phrases |= group_phrases
    combined = _all(parts) if all_words else _any(parts)
    return combined, MatchTerms(frozenset(stems), frozenset(pinyin), frozenset(phrases))


def _band(price: ColumnElement) -> ColumnElement:
    whens = []
    for key, (low, high) in PRICE_BANDS.items():
        condition = price >= low if high is None else and_(price >= low, price <= high)
        whens.append((condition, key))
    return case(*whens, else_="")


def _matched(tsquery: ColumnElement | None, ranked: bool):
    """Public products matching a query with their facet and sort values, read once per
    search (a materialized CTE that the counts and the page both read)."""
    # One index lookup per matched product for its lowest regular price and stock (limited-time
    # discounts end by the clock, so they never decide a band or an order).
    variants = (
        select(
            func.min(Variant.price_fen).label("price_fen"),
            func.coalesce(func.bool_or(Variant.stock > 0), False).label("in_stock"),
        )
        .where(Variant.product_id == Product.id)
        .correlate(Product)
        .lateral("variants")
    )
    # ts_rank, not ts_rank_cd: the cover density of phrase queries (single characters, 礼 <-> 盒)
    # cost half a second on 16,000 matches; word frequency by weight ranks as well here.
    rank = func.ts_rank(Product.search_document, tsquery) if ranked else literal(0.0)
    rows = (
        select(
            Product.id.label("id"),
            Region.slug.label("region"),
            func.coalesce(Category.slug, "").label("category"),
            case((variants.c.in_stock, "yes"), else_="no").label("stock"),
            variants.c.price_fen.label("price_fen"),
            _band(variants.c.price_fen).label("price"),
            Product.featured.label("featured"),
            Product.created_at.label("created"),
            rank.label("rank"),
        )
        .select_from(Product)
        .join(Shop, Product.shop_id == Shop.id)
        .join(Region, Product.region_id == Region.id)
        .outerjoin(Category, Product.category_id == Category.id)
        .join(variants, true())
        .where(public_clause())
    )
    if tsquery is not None:
        rows = rows.where(Product.search_document.op("@@")(tsquery))
    return rows.cte("matched").prefix_with("MATERIALIZED")


def _order(columns, sort: str, scored: bool) -> list:
    if sort == "price_asc":
        return [columns.price_fen.asc().nulls_last(), columns.id]
    if sort == "price_desc":
        return [columns.price_fen.desc().nulls_last(), columns.id]
    if sort == "newest":
        return [columns.created.desc(), columns.id]
    if scored:
        return [columns.rank.desc(), columns.id]
    return [columns.featured.desc(), columns.created.desc(), columns.id]


def _run(session: Session, tsquery, query: SearchQuery, scored: bool):
    """One page of ids, the total and the facet counts, in one statement: the matches are read
    once, the four facets counted in one grouped pass (a facet's counts ignore its own filter
    and apply the others), and the page taken from the same rows."""
    filters = query.filters()
    ranked = scored and query.sort == "relevance"
    matched = _matched(tsquery, ranked)
    c = matched.c
    chosen = {name: c[name] == value for name, value in filters.items()}

    def all_but(name: str | None) -> ColumnElement:
        return and_(true(), *(cond for key, cond in chosen.items() if key != name))

    page = (
        select(c.id, c.price_fen, c.created, c.featured, c.rank)
        .where(all_but(None))
        .order_by(*_order(c, query.sort, ranked))
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
        .subquery("page")
    )
    page_ids = select(
        func.array_agg(aggregate_order_by(page.c.id, *_order(page.c, query.sort, ranked)))
    ).scalar_subquery()
    statement = select(
        *(c[name] for name in FACETS),
        *(func.grouping(c[name]).label(f"g_{name}") for name in FACETS),
        *(func.count().filter(all_but(name)).label(f"n_{name}") for name in FACETS),
        func.count().filter(all_but(None)).label("n_total"),
        page_ids.label("page_ids"),
    ).group_by(func.grouping_sets(*(c[name] for name in FACETS)))
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    total, ids = 0, []
    for row in session.execute(statement).mappings():
        ids = row["page_ids"] or []
        for name in FACETS:
            if row[f"g_{name}"] == 0:  # this row is a value of this facet
                if row[name] and row[f"n_{name}"]:
                    facets[name].append((row[name], row[f"n_{name}"]))
                if name == "stock":  # each grouping set covers every match once
                    total += row["n_total"]
    for name, counts in facets.items():
        if name == "price":
            counts.sort(key=lambda item: list(PRICE_BANDS).index(item[0]))
        else:
            counts.sort(key=lambda item: (-item[1], item[0]))
    return ids, total, facets


def search(query: SearchQuery) -> SearchResult:
    """Public product ids for a query, best first, with facet counts and a suggestion."""
    from shop.extensions import db

    text = clean_query(query.text)
    session = db.session
    # A search over many products looks costly enough to the planner for JIT compilation,
    # which then spends more time compiling (about 90 ms) than the query saves.
    session.execute(sql_text("SET LOCAL jit = off"))
    if not text:
        tsquery, terms, scored = None, MatchTerms(), False
    else:
        tsquery, terms = _text_query(text)
        scored = True
        if tsquery is None:
            # Only punctuation, emoji or stop words: nothing to look for.
            empty = {name: [] for name in FACETS}
            return SearchResult([], 0, query.page, query.per_page, empty, terms)
    ids, total, facets = _run(session, tsquery, query, scored)
    partial = False
    if total == 0 and tsquery is not None and len(query_groups(text)) > 1:
        # No product has every word: show those with some of them, best first.
        any_query, terms = _text_query(text, all_words=False)
        ids, total, facets = _run(session, any_query, query, scored)
        partial = total > 0
    if (
        total == 0
        and tsquery is not None
        and any(
            word.isascii() and word.isalnum() and len(word) >= PREFIX_LENGTH
            for group in query_groups(text)
            for word, _stem in group.words
        )
    ):
        # Nothing has these words whole: perhaps they begin pinyin or title words (dangsh).
        prefix_query, prefix_terms = _text_query(text, prefixes=True)
        ids, total, facets = _run(session, prefix_query, query, scored)
        terms = prefix_terms if total else terms
    suggestion = None
    if total == 0 and text and not query.filters():
        suggestion = suggest(text)
    return SearchResult(ids, total, query.page, query.per_page, facets, terms, suggestion, partial)


# --- "Did you mean" --------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _title_words(title_zh: str, title_en: str) -> frozenset[str]:
    """The words of a title a suggestion may propose, as the Whoosh backend's `spelling` and
    `pinyin` fields hold them: English title words as written (three letters or more, stop
    words out) and the pinyin of the Chinese title."""
    words = {
        word.lower()
        for word, _start, _end in segment(title_en)
        if len(word) >= 3 and word.lower() not in ALL_STOP_WORDS
    }
    return frozenset(words | set(pinyin_text(title_zh).split()))


#: The last vocabulary read, with the state of the catalogue it was read from.
_vocabulary_cache: tuple[tuple, dict[str, int]] | None = None
_vocabulary_lock = threading.Lock()


def _catalogue_state(session: Session) -> tuple:
    """What moves when a title may have changed: the catalogue version every write through the
    app bumps (products.cache), and the products' number and latest change (rows written or
    restored outside the app, which may even bring an older version back). Read only when a
    search found nothing; a suggestion is a hint, checked against the live rows before shown."""
    version = session.scalar(select(func.max(CatalogueVersion.version)))
    counted = session.execute(select(func.count(), func.max(Product.updated_at))).one()
    return (str(session.get_bind().url), version, *counted)


def _vocabulary(session: Session) -> dict[str, int]:
    """Words a suggestion may propose, with how many public products have them.

    Built in Python once per process and catalogue state; a title's words are remembered, so
    after one edit only the edited titles are cut again.
    """
    global _vocabulary_cache
    state = _catalogue_state(session)
    cached = _vocabulary_cache
    if cached is not None and cached[0] == state:
        return cached[1]
    with _vocabulary_lock:
        if _vocabulary_cache is not None and _vocabulary_cache[0] == state:
            return _vocabulary_cache[1]
        counts: dict[str, int] = {}
        titles = session.execute(
            select(Product.title_zh, Product.title_en).join(Product.shop).where(public_clause())
        )
        for title_zh, title_en in titles:
            for word in _title_words(title_zh, title_en):
                counts[word] = counts.get(word, 0) + 1
        _vocabulary_cache = (state, counts)
    return counts


def _distance(first: str, second: str, most: int) -> int:
    """Levenshtein distance, or most + 1 once it is certainly above `most`."""
    if abs(len(first) - len(second)) > most:
        return most + 1
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def _finds(session: Session, text: str) -> bool:
    """True when some public product has every word of the text."""
    tsquery, _terms = _text_query(text)
    if tsquery is None:
        return False
    matching = (
        select(Product.id)
        .join(Product.shop)
        .where(public_clause(), Product.search_document.op("@@")(tsquery))
        .limit(1)
    )
    return session.scalar(matching) is not None


def suggest(text: str) -> str | None:
    """The query with misspelt words replaced by near catalogue words, if that finds something
    (the same words and choices as the Whoosh backend: fewest edits, then most products)."""
    from shop.extensions import db

    text = clean_query(text)
    session = db.session
    vocabulary = _vocabulary(session)

    def correction(word: str) -> str | None:
        most = 1 if len(word) <= 4 or not word.isascii() else 2
        for distance in range(1, most + 1):
            candidates = [
                (count, candidate)
                for candidate, count in vocabulary.items()
                # Same first letter, as the Whoosh backend's prefix=1.
                if candidate != word
                and len(candidate) >= 3
                and candidate[:1] == word[:1]
                and _distance(word, candidate, distance) <= distance
            ]
            if candidates:
                return max(candidates)[1]
        return None

    return did_you_mean(
        text, lambda word: word in vocabulary, correction, lambda words: _finds(session, words)
    )


class PostgresqlBackend:
    """This module as a SearchBackend (products.search.backend)."""

    init_app = staticmethod(init_app)
    search = staticmethod(search)
    suggest = staticmethod(suggest)
    index_products = staticmethod(index_products)
    remove_products = staticmethod(remove_products)
    rebuild = staticmethod(rebuild)
    ensure_index = staticmethod(ensure_index)
    health = staticmethod(health)
