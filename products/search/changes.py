"""Which catalogue rows a transaction touched, for every search backend: SQLAlchemy session
events note the products, variants, shops, regions and categories written (``after_flush``,
plus ORM ``INSERT``/``UPDATE``/``DELETE`` statements and ``UPDATE variant`` written as SQL
text), keyed in ``session.info``; a backend reads them before or after the commit
(``pending``/``take``) and a rollback forgets them.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from products.models import Category, Product, Region, Shop, Variant


@dataclass
class Changes:
    """What a transaction touched, by kind of row (ids)."""

    products: set[int] = field(default_factory=set)
    shops: set[int] = field(default_factory=set)
    regions: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)
    #: Products whose variants changed only in values read live by a PostgreSQL search (stock,
    #: prices), not in words: a Whoosh index, which keeps them, still re-indexes these.
    variant_values: set[int] = field(default_factory=set)
    #: Products were inserted in bulk without ids: every id above this one is new.
    products_above: int | None = None

    def __bool__(self) -> bool:
        return bool(
            self.products
            or self.variant_values
            or self.shops
            or self.regions
            or self.categories
            or self.products_above is not None
        )

    def product_ids(self, session: Session, words_only: bool = False) -> set[int]:
        """Every product whose document may have changed (words_only: leave out products whose
        variants changed only in stock or price)."""
        ids = set(self.products) if words_only else self.products | self.variant_values
        if self.products_above is not None:
            ids.update(session.scalars(select(Product.id).where(Product.id > self.products_above)))
        for column, values in (
            (Product.shop_id, self.shops),
            (Product.region_id, self.regions),
            (Product.category_id, self.categories),
        ):
            if values:
                ids.update(session.scalars(select(Product.id).where(column.in_(values))))
        return ids


PENDING = "search_changes"


def _changes(session) -> Changes:
    return session.info.setdefault(PENDING, Changes())


def _loaded(obj, attribute: str):
    """An attribute's value without loading anything (objects may be deleted or expired)."""
    return inspect(obj).dict.get(attribute)


def note_flushed(session, _flush_context) -> None:
    """Collect the ids of catalogue rows this flush wrote."""
    changes = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Product | Variant | Shop | Region | Category):
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        changes = changes or _changes(session)
        if isinstance(obj, Product):
            changes.products.add(obj.id)
        elif isinstance(obj, Variant):
            product_id = _loaded(obj, "product_id")
            product = _loaded(obj, "product")
            if product_id is None and product is not None:
                product_id = product.id
            if product_id is None:
                continue
            if obj in session.dirty and not _words_changed(obj):
                changes.variant_values.add(product_id)
            else:
                changes.products.add(product_id)
        elif isinstance(obj, Shop):
            changes.shops.add(obj.id)
        elif isinstance(obj, Region):
            changes.regions.add(obj.id)
        else:
            changes.categories.add(obj.id)


#: The variant columns a product's search words come from.
VARIANT_WORDS = frozenset({"spec_zh", "spec_en"})


def _words_changed(variant: Variant) -> bool:
    attributes = inspect(variant).attrs
    return any(attributes[name].history.has_changes() for name in VARIANT_WORDS)


#: `UPDATE variant SET ... WHERE id = :name` written as SQL text (stock moves are often written so).
_TEXT_VARIANT_UPDATE = re.compile(
    r'^\s*update\s+"?variant"?\s+set\s.*\bwhere\s+(?:"?variant"?\.)?"?id"?\s*=\s*:(\w+)',
    re.IGNORECASE | re.DOTALL,
)


def note_statement(state) -> None:
    """Statements run through the session bypass the flush: note the rows they write."""
    if isinstance(state.statement, TextClause):
        _note_text_update(state)
    elif state.bind_mapper is not None and state.is_insert:
        _note_bulk_insert(state, state.bind_mapper.class_)
    elif state.bind_mapper is not None and (state.is_update or state.is_delete):
        _note_bulk_change(state, state.bind_mapper.class_)


def _note_text_update(state) -> None:
    match = _TEXT_VARIANT_UPDATE.match(state.statement.text)
    if match and isinstance(state.parameters, dict) and match.group(1) in state.parameters:
        variant_id = state.parameters[match.group(1)]
        product_id = state.session.scalar(
            select(Variant.product_id).where(Variant.id == variant_id)
        )
        if product_id is not None:
            changes = _changes(state.session)
            words = any(name in state.statement.text for name in VARIANT_WORDS)
            (changes.products if words else changes.variant_values).add(product_id)


def _note_bulk_insert(state, entity) -> None:
    """`session.execute(insert(Product), rows)`: new products (or variants of products)."""
    if entity not in (Product, Variant):
        return  # a new shop, region or category has no products yet
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    changes = _changes(state.session)
    key = "id" if entity is Product else "product_id"
    if all(row.get(key) is not None for row in rows):
        changes.products.update(row[key] for row in rows)
    elif entity is Product:
        # The database numbers them: every product above today's highest id is new.
        highest = state.session.scalar(select(func.max(Product.id))) or 0
        if changes.products_above is None or highest < changes.products_above:
            changes.products_above = highest


def _note_bulk_change(state, entity) -> None:
    """`UPDATE`/`DELETE` statements: note the rows they are about to change."""
    column = {
        Product: Product.id,
        Variant: Variant.product_id,
        Shop: Shop.id,
        Region: Region.id,
        Category: Category.id,
    }.get(entity)
    if column is None:
        return
    where = state.statement.whereclause
    parameters = state.parameters
    if isinstance(parameters, list) and parameters and "id" in parameters[0]:
        # Bulk UPDATE by primary key: the ids are in the parameter rows.
        ids = [row["id"] for row in parameters]
        found = set(state.session.scalars(select(column).where(entity.id.in_(ids))))
    elif where is not None:
        found = set(state.session.scalars(select(column).where(where)))
    else:
        found = set(state.session.scalars(select(column)))
    changes = _changes(state.session)
    target = {
        Product: changes.products,
        Variant: changes.products
        if state.is_delete or _sets_words(state.statement)
        else changes.variant_values,
        Shop: changes.shops,
        Region: changes.regions,
        Category: changes.categories,
    }[entity]
    target.update(value for value in found if value is not None)


def _sets_words(statement) -> bool:
    """Whether an ORM UPDATE of variants sets a column the search words come from."""
    # .values(...) keeps the columns it sets in _values; a bulk UPDATE by primary key has none
    # there, so it counts as setting words (the safe side).
    values = getattr(statement, "_values", None)
    if not values:
        return True
    return any(getattr(column, "key", str(column)) in VARIANT_WORDS for column in values)


def pending(session) -> Changes | None:
    """What the session's transaction has touched so far (None: nothing)."""
    return session.info.get(PENDING)


def take(session) -> Changes | None:
    """What the session's transaction touched, forgotten from it (call once it is committed)."""
    return session.info.pop(PENDING, None)


def forget(session, *_args) -> None:
    """Drop what the transaction noted (it was rolled back)."""
    session.info.pop(PENDING, None)


_listening: set[int] = set()


def follow(session) -> None:
    """Note the catalogue rows each transaction of this (scoped) session writes; idempotent.

    db.session is one scoped session for every app of the process, so two backends chosen by
    two apps of one process share the notes: each acts only when its app chose it.
    """
    if id(session) in _listening:
        return
    event.listen(session, "after_flush", note_flushed)
    event.listen(session, "do_orm_execute", note_statement)
    event.listen(session, "after_rollback", forget)
    _listening.add(id(session))
