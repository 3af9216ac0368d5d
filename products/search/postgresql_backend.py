"""Catalogue search inside PostgreSQL: a `tsvector` per product, matched with full-text queries
and ranked with ts_rank_cd. Chosen by ``SEARCH_BACKEND=postgresql``; PostgreSQL only.

Stock Debian PostgreSQL cannot cut Chinese into words, so the application does: the words of
products.search.analysis (rjieba words, pinyin syllables, words and initials, English stems)
are joined with spaces and turned into a tsvector with the 'simple' configuration, which only
splits at spaces and lower-cases. Weights: A for the title (its words, pinyin and single
characters), B for tags, category and place names, C for descriptions and variant specs.

How the documents follow the data: the same change tracking as the Whoosh backend notes which
products a transaction touched; just before the commit, their documents are written in the
same transaction, so search never disagrees with committed rows. Facet values (region,
category, price band, stock) and sort values are read live from the rows at query time.
"""

import logging
from collections.abc import Iterable

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    Text,
    and_,
    case,
    cast,
    event,
    exists,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from products.models import Category, Product, Region, Shop, Variant
from products.search.analysis import (
    ALL_STOP_WORDS,
    analysed_words,
    is_cjk,
    pinyin_text,
    pinyin_words,
    segment,
    warm_up,
)
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

# The change tracking is the Whoosh backend's: which rows a transaction touched is the same
# question for any backend.
from products.search.whoosh_backend import (
    _PENDING,
    _note_flushed,
    _note_statement,
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
    changes = session.info.get(_PENDING)
    if not changes:
        return
    _write_documents(session, changes.product_ids(session))


def _forget(session: Session) -> None:
    if _is_chosen():
        session.info.pop(_PENDING, None)


_events_installed = False


def init_app(app: Flask) -> None:
    """Keep the documents following the database; PostgreSQL only."""
    global _events_installed
    from shop.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise RuntimeError("SEARCH_BACKEND=postgresql needs a PostgreSQL DATABASE_URL")
    if not _events_installed:
        # db.session is one scoped session for every app in the process: listen once, and act
        # only for apps that chose this backend. The Whoosh backend may listen too (another
        # app of the process): the same noting listeners then run twice, which is harmless.
        event.listen(db.session, "after_flush", _note_flushed)
        event.listen(db.session, "do_orm_execute", _note_statement)
        event.listen(db.session, "before_commit", _before_commit)
        event.listen(db.session, "after_commit", _forget)
        event.listen(db.session, "after_rollback", _forget)
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
        missing = list(
            session.scalars(
                select(Product.id)
                .join(Product.shop)
                .where(public_clause(), Product.search_document.is_(None))
            )
        )
        if not missing:
            return False
        _write_documents(session, missing)
        session.commit()
    return True


def health() -> str | None:
    """None: the documents live in the database, which /healthz checks itself."""
    return None


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


def _matched(tsquery: ColumnElement | None):
    """Public products matching a query, with their facet and sort values: a CTE."""
    price = (
        select(func.min(Variant.price_fen))
        .where(Variant.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    stock = exists().where(Variant.product_id == Product.id, Variant.stock > 0)
    rank = (
        func.ts_rank_cd(Product.search_document, tsquery) if tsquery is not None else literal(0.0)
    )
    rows = (
        select(
            Product.id.label("id"),
            Region.slug.label("region"),
            func.coalesce(Category.slug, "").label("category"),
            case((stock, "yes"), else_="no").label("stock"),
            # Lowest regular variant price: limited-time discounts end by the clock.
            price.label("price_fen"),
            Product.featured.label("featured"),
            Product.created_at.label("created"),
            rank.label("rank"),
        )
        .select_from(Product)
        .join(Shop, Product.shop_id == Shop.id)
        .join(Region, Product.region_id == Region.id)
        .outerjoin(Category, Product.category_id == Category.id)
        .where(public_clause())
    )
    if tsquery is not None:
        rows = rows.where(Product.search_document.op("@@")(tsquery))
    rows = rows.subquery("rows")
    # The price band from the price read once per product.
    return select(*rows.c, _band(rows.c.price_fen).label("price")).cte("matched")


def _where(matched, filters: dict[str, str]) -> list[ColumnElement]:
    return [matched.c[name] == value for name, value in filters.items()]


def _facet_counts(session: Session, matched, filters: dict[str, str]) -> dict:
    """Counts per facet value; a facet's counts ignore its own filter and apply the others."""
    facets = {}
    for name in FACETS:
        others = {key: value for key, value in filters.items() if key != name}
        column = matched.c[name]
        rows = session.execute(
            select(column, func.count())
            .where(*_where(matched, others), column != "")
            .group_by(column)
        ).all()
        counts = [(value, count) for value, count in rows]
        if name == "price":
            counts.sort(key=lambda item: list(PRICE_BANDS).index(item[0]))
        else:
            counts.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = counts
    return facets


def _order(matched, sort: str, scored: bool) -> list:
    c = matched.c
    if sort == "price_asc":
        return [c.price_fen.asc().nulls_last(), c.id]
    if sort == "price_desc":
        return [c.price_fen.desc().nulls_last(), c.id]
    if sort == "newest":
        return [c.created.desc(), c.id]
    if scored:
        return [c.rank.desc(), c.id]
    return [c.featured.desc(), c.created.desc(), c.id]


def _run(session: Session, tsquery, query: SearchQuery, scored: bool):
    filters = query.filters()
    matched = _matched(tsquery)
    conditions = _where(matched, filters)
    total = session.scalar(select(func.count()).select_from(matched).where(*conditions)) or 0
    facets = _facet_counts(session, matched, filters)
    ids = list(
        session.scalars(
            select(matched.c.id)
            .where(*conditions)
            .order_by(*_order(matched, query.sort, scored))
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        )
    )
    return ids, total, facets


def search(query: SearchQuery) -> SearchResult:
    """Public product ids for a query, best first, with facet counts and a suggestion."""
    from shop.extensions import db

    text = clean_query(query.text)
    session = db.session
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


#: The last vocabulary read, with the state of the catalogue it was read from.
_vocabulary_cache: tuple[tuple, dict[str, int]] | None = None


def _vocabulary(session: Session) -> dict[str, int]:
    """Words a suggestion may propose, with how many public products have them: English
    title words as written (not stemmed) and pinyin of Chinese titles.

    Read again when the public products' number or latest change moves: a suggestion is only
    a hint, and `finds` checks it against the live rows before it is shown.
    """
    global _vocabulary_cache
    public = select(Product).join(Product.shop).where(public_clause()).subquery()
    counted = session.execute(select(func.count(), func.max(public.c.updated_at))).one()
    state = (str(session.get_bind().url), *counted)
    if _vocabulary_cache is not None and _vocabulary_cache[0] == state:
        return _vocabulary_cache[1]
    counts: dict[str, int] = {}
    rows = session.execute(
        select(Product.title_zh, Product.title_en).join(Product.shop).where(public_clause())
    )
    for title_zh, title_en in rows:
        words = {
            word.lower()
            for word, _start, _end in segment(title_en)
            if len(word) >= 3 and word.lower() not in ALL_STOP_WORDS
        }
        words |= set(pinyin_text(title_zh).split())
        for word in words:
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


def suggest(text: str) -> str | None:
    """The query with misspelt words replaced by near catalogue words, if that finds something."""
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
                and candidate[:1] == word[:1]
                and _distance(word, candidate, distance) == distance
            ]
            if candidates:
                return max(candidates)[1]
        return None

    def finds(suggestion: str) -> bool:
        tsquery, _terms = _text_query(suggestion)
        if tsquery is None:
            return False
        matched = _matched(tsquery)
        return bool(session.scalar(select(func.count()).select_from(matched)))

    return did_you_mean(text, lambda word: word in vocabulary, correction, finds)


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
