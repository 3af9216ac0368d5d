"""Rendered storefront fragments, kept in each worker's memory and keyed by the catalogue version.

Why: rendering two dozen product cards costs far more than serving a file, and visitors on slow
phones should not pay for it on every view. How it stays correct across gunicorn workers and
machines: every write to a catalogue table bumps the single `catalogue_version` row in the same
transaction (the SQLAlchemy events below), and every cached page view reads that row once (one
indexed single-row read, never a write). A worker that sees a new number drops what it held.

Only shared parts (a page's head tags and main content, the same for every visitor in one
language) are cached; per-visitor parts (flash messages, the log-in state, CSRF tokens, the cart)
are rendered around them on each request.
"""

import threading
from collections.abc import Callable, Hashable

from flask import current_app, g, render_template, request
from markupsafe import Markup
from sqlalchemy import event, insert, text, update
from sqlalchemy.orm import Session

from products.models import (
    CatalogueVersion,
    Category,
    Product,
    ProductImage,
    Region,
    Shop,
    Variant,
)
from shop.extensions import db
from shop.models_base import current_language

#: Models whose rows any public page, feed or API answer shows.
CATALOGUE_MODELS = (Region, Category, Shop, Product, Variant, ProductImage)
CATALOGUE_TABLES = frozenset(model.__tablename__ for model in CATALOGUE_MODELS)
VERSION_ROW = 1


def bump_version(connection) -> None:
    """Move the catalogue version on, inside the caller's transaction."""
    table = CatalogueVersion.__table__
    moved = connection.execute(
        update(table).where(table.c.id == VERSION_ROW).values(version=table.c.version + 1)
    )
    if moved.rowcount == 0:
        # A database made by create_all() rather than the migration has no row yet.
        connection.execute(insert(table).values(id=VERSION_ROW, version=2))


def _changes_catalogue(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, CATALOGUE_MODELS):
            return True
    return any(
        isinstance(obj, CATALOGUE_MODELS) and session.is_modified(obj, include_collections=False)
        for obj in session.dirty
    )


@event.listens_for(Session, "after_flush")
def _bump_after_catalogue_flush(session: Session, _context) -> None:
    """An ORM change to a catalogue row moves the version in the same transaction."""
    if _changes_catalogue(session):
        bump_version(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _bump_before_catalogue_statement(state) -> None:
    """So do bulk statements such as `UPDATE variant SET stock = stock - :q` run via the session."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CATALOGUE_TABLES:
            bump_version(state.session.connection())


def current_version() -> int:
    """The catalogue version, read once per request."""
    if "catalogue_version" not in g:
        g.catalogue_version = (
            db.session.scalar(
                text("SELECT version FROM catalogue_version WHERE id = :id"), {"id": VERSION_ROW}
            )
            or 0
        )
    return g.catalogue_version


class FragmentCache:
    """Rendered fragments of one catalogue version, at most `size` of them (oldest go first)."""

    def __init__(self, size: int):
        self.size = size
        self._version: int | None = None
        self._entries: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def fetch(self, key: Hashable, version: int, build: Callable[[], object]):
        """The value cached for key at this version, building (and keeping) it when missing."""
        if self.size <= 0:
            return build()
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            value = self._entries.get(key)
        if value is not None:
            return value
        value = build()
        with self._lock:
            # A newer version may have arrived while this one was built: keep only current work.
            if version == self._version:
                if len(self._entries) >= self.size:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)


def fragment_cache() -> FragmentCache:
    """This app's (this worker's) cache, made on first use."""
    cache = current_app.extensions.get("fragment_cache")
    if cache is None:
        cache = FragmentCache(current_app.config.get("FRAGMENT_CACHE_SIZE", 2000))
        current_app.extensions["fragment_cache"] = cache
    return cache


#: Page templates extend `layout`; this layout prints just their shared blocks, each after a mark.
PARTS_LAYOUT = "catalogue/_parts.html"
PART_MARK = "<!--vm-part:"


def render_blocks(template_name: str, context: dict) -> dict[str, Markup]:
    """Render a page template's shared blocks (see PARTS_LAYOUT), without the per-visitor shell."""
    text = render_template(template_name, layout=PARTS_LAYOUT, **context)
    parts = {}
    for chunk in text.split(PART_MARK)[1:]:
        name, _, html = chunk.partition("-->\n")
        parts[name] = Markup(html)  # noqa: S704  (rendered by Jinja with autoescape on)
    return parts


def cached_blocks(
    template_name: str, key: Hashable, build: Callable[[], dict]
) -> dict[str, Markup]:
    """The shared blocks of a page, from the cache or rendered from build()'s context.

    `key` names what the page shows (its validated parameters, never the raw query string, so
    tracking parameters cannot fill the cache); the language and the site address are added.
    """
    full_key = (template_name, current_language(), request.host_url, key)
    return fragment_cache().fetch(
        full_key, current_version(), lambda: render_blocks(template_name, build())
    )
