"""Catalogue search. The only module that imports whoosh, rjieba or pypinyin.

Interface (what the rest of the app uses): index_products(), remove_products(), search(),
rebuild(), ensure_index(). Another engine can replace this module without touching callers.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass

import rjieba
from flask import current_app
from pypinyin import Style, lazy_pinyin
from whoosh import index
from whoosh.analysis import LowercaseFilter, StemFilter, Token, Tokenizer
from whoosh.fields import BOOLEAN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup

from products.models import Product
from products.services import in_stock, lowest_price_fen, public_products
from shop.extensions import db


class ChineseTokenizer(Tokenizer):
    """Segments mixed Chinese/English text with rjieba, keeping positions and character offsets."""

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
        position = start_pos
        for word, start, end in rjieba.tokenize(value, mode="search"):
            word = word.strip()
            if not word or not any(ch.isalnum() for ch in word):
                continue
            token.text = word
            token.boost = 1.0
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


def chinese_analyzer():
    """Segmenter + lower-case + English stemming (stemming leaves Chinese words unchanged)."""
    return ChineseTokenizer() | LowercaseFilter() | StemFilter()


def pinyin_text(text: str) -> str:
    """Syllables, whole words and initials of Chinese text: 砀山酥梨 -> 'dang shan su li dangshansuli dssl'."""
    words = [word for word in rjieba.cut(text) if word.strip()]
    syllables, joined, initials = [], [], []
    for word in words:
        pieces = lazy_pinyin(word)
        syllables.extend(pieces)
        joined.append("".join(pieces))
        initials.append("".join(lazy_pinyin(word, style=Style.FIRST_LETTER)))
    whole = "".join(joined)
    return " ".join(syllables + joined + initials + [whole, "".join(initials)]).lower()


def romanize(text: str) -> str:
    """Chinese as pinyin words, other text kept: '砀山 Pears' -> 'dangshan pears' (for URL slugs)."""
    words = [word.strip() for word in rjieba.cut(text) if word.strip()]
    return " ".join("".join(lazy_pinyin(word)) for word in words).lower()


SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    title=TEXT(analyzer=chinese_analyzer(), stored=True, field_boost=3.0),
    pinyin=TEXT(field_boost=2.0),
    body=TEXT(analyzer=chinese_analyzer()),
    place=TEXT(analyzer=chinese_analyzer(), field_boost=1.5),
    region=ID(stored=True),
    category=ID(stored=True),
    price=NUMERIC(stored=True, sortable=True),
    in_stock=BOOLEAN(stored=True),
    featured=BOOLEAN(stored=True),
    created=NUMERIC(sortable=True),
    shop=STORED,
)


def _document(product: Product) -> dict:
    title = f"{product.title_zh} {product.title_en}"
    return {
        "id": str(product.id),
        "title": title,
        "pinyin": pinyin_text(product.title_zh),
        "body": " ".join(
            [product.description_zh, product.description_en, product.tags.replace(",", " ")]
            + [f"{variant.spec_zh} {variant.spec_en}" for variant in product.variants]
            + ([product.category.name_zh, product.category.name_en] if product.category else [])
        ),
        "place": " ".join(
            [
                product.region.name_zh,
                product.region.name_en,
                product.region.province_zh,
                product.region.province_en,
                product.shop.name_zh,
                product.shop.name_en,
                pinyin_text(product.region.name_zh),
            ]
        ),
        "region": product.region.slug,
        "category": product.category.slug if product.category else "",
        "price": lowest_price_fen(product) or 0,
        "in_stock": in_stock(product),
        "featured": product.featured,
        "created": int(product.created_at.timestamp()) if product.created_at else 0,
        "shop": product.shop.slug,
    }


def _index_dir() -> str:
    return current_app.config["SEARCH_INDEX_PATH"]


def _open():
    return index.open_dir(_index_dir())


def ensure_index() -> bool:
    """Open the index, rebuilding it when missing or unreadable. Returns True if it was rebuilt."""
    try:
        if index.exists_in(_index_dir()):
            _open().doc_count()
            return False
    except Exception:  # noqa: BLE001 - any unreadable index is rebuilt from the database
        current_app.logger.warning("Search index unreadable; rebuilding it from the database")
    rebuild()
    return True


def rebuild() -> int:
    """Build a fresh index beside the live one from the database, then swap it in. Returns the count."""
    target = _index_dir()
    parent = os.path.dirname(os.path.abspath(target)) or "."
    os.makedirs(parent, exist_ok=True)
    building = tempfile.mkdtemp(prefix=".search-build-", dir=parent)
    new_index = index.create_in(building, SCHEMA)
    writer = new_index.writer(limitmb=128)
    count = 0
    for product in db.session.scalars(public_products()).unique():
        writer.add_document(**_document(product))
        count += 1
    writer.commit()
    old = None
    if os.path.exists(target):
        old = tempfile.mkdtemp(prefix=".search-old-", dir=parent)
        os.rmdir(old)
        os.replace(target, old)
    os.replace(building, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)
    return count


@dataclass
class SearchResult:
    """One page of results: product ids in rank order and the total count."""

    ids: list[int]
    total: int


def search(query: str, page: int = 1, per_page: int = 24) -> SearchResult:
    """Product ids matching the words, best first."""
    ix = _open()
    parser = MultifieldParser(["title", "pinyin", "body", "place"], ix.schema, group=OrGroup)
    with ix.searcher() as searcher:
        hits = searcher.search_page(parser.parse(query), page, pagelen=per_page)
        return SearchResult(ids=[int(hit["id"]) for hit in hits], total=len(hits))
