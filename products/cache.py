"""Rendered storefront fragments, kept in each worker's memory and keyed by the catalogue version.

Why: rendering two dozen product cards costs far more than serving a file, and visitors on slow
phones should not pay for it on every view. How it stays correct across gunicorn workers and
machines: every edit of a catalogue table (a seller's save, an organizer's curation) bumps the
single `catalogue_version` row in the same transaction (the SQLAlchemy events below), and every
cached page view reads that row once (one indexed single-row read, never a write). A worker that
sees a new number drops what it held. Each edit bumps the version before it writes a catalogue
row, so every transaction that writes both takes the version row first: two of them queue on it
instead of each holding a row the other needs.

What buyers move (stock, units sold under a discount's cap) does not bump the version: a
checkout then locks only its own variants, and a sale does not empty every page of every worker.
Each cached part instead keeps a snapshot of the stock and counters it was drawn from
(products.freshness) and is drawn again when they moved, so only the pages showing what was sold
go stale.

Only shared parts (a page's head tags and main content, the same for every visitor in one
language) are cached; per-visitor parts (flash messages, the log-in state, CSRF tokens, the cart)
are rendered around them on each request.

Limited-time discounts change prices in two ways. Scheduling or ending one writes the `discount`
tables, which count as catalogue tables: the version moves; units sold under a cap are in the
snapshot. But a discount also starts and ends by the clock alone, with no write at all. So the
key of cached content is (version, next price change): when the version moves, a worker asks once
when the next discount starts or ends; when that moment passes, the key changes by itself and the
worker drops what it held, exactly as for a new version. Pages print the end time itself (the
countdown is counted by the browser), never "N minutes left", so cached text does not age.
"""

import re
import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from urllib.parse import parse_qsl

from flask import Response, current_app, g, has_request_context, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, func, insert, inspect, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause
from werkzeug.http import parse_cookie

from products import freshness
from products.models import (
    CatalogueVersion,
    Category,
    Discount,
    Product,
    ProductImage,
    Region,
    Shop,
    ShopKind,
    Variant,
    discount_variant,
)
from shop.extensions import db
from shop.models_base import as_utc, current_language, utcnow

#: Models whose rows any public page, feed or API answer shows (a discount sets a price).
CATALOGUE_MODELS = (Region, Category, Shop, Product, Variant, ProductImage, Discount)
CATALOGUE_TABLES = frozenset(
    [model.__tablename__ for model in CATALOGUE_MODELS] + [discount_variant.name]
)
VERSION_ROW = 1
#: The table an UPDATE, INSERT or DELETE written as SQL text writes to.
_TEXT_WRITE = re.compile(r'^\s*(?:update|insert\s+into|delete\s+from)\s+"?(\w+)"?', re.IGNORECASE)
VERSION_QUERY = text("SELECT version FROM catalogue_version WHERE id = :id")
#: Where WholePageCache leaves the key it read, for the app serving the same request.
VERSION_ENVIRON = "village_market.catalogue_version"


def bump_version(connection) -> None:
    """Move the catalogue version on, inside the caller's transaction."""
    table = CatalogueVersion.__table__
    moved = connection.execute(
        update(table).where(table.c.id == VERSION_ROW).values(version=table.c.version + 1)
    )
    if moved.rowcount == 0:
        # A database made by create_all() rather than the migration has no row yet.
        connection.execute(insert(table).values(id=VERSION_ROW, version=2))


def _private_shop_row(obj) -> bool:
    """A practice shop's own row, not becoming an exhibitor's: no public page shows it.

    Trainees open and edit practice shops all day in class (and their preview links are made
    on first use); that must not empty every worker's storefront cache. Their products still
    count the safe way, and graduation changes `kind`, which does count.
    """
    if not isinstance(obj, Shop) or obj.kind != ShopKind.PRACTICE:
        return False
    state = inspect(obj)
    # A new row's kind shows as changed (from nothing): only an existing row can graduate.
    return state.pending or not state.attrs.kind.history.has_changes()


def _changes_catalogue(session: Session, include_collections: bool) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, CATALOGUE_MODELS) and not _private_shop_row(obj):
            return True
    return any(
        isinstance(obj, CATALOGUE_MODELS)
        and not _private_shop_row(obj)
        and session.is_modified(obj, include_collections=include_collections)
        for obj in session.dirty
    )


#: Key in Session.info: the version was bumped in the transaction now open.
_BUMPED = "vm_catalogue_bumped"


def _bump_once(session: Session) -> None:
    if not session.info.get(_BUMPED):
        bump_version(session.connection())
        session.info[_BUMPED] = True


def _forget_bump(session: Session, *_args) -> None:
    session.info.pop(_BUMPED, None)


for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget_bump)


@event.listens_for(Session, "before_flush")
def _bump_before_catalogue_flush(session: Session, _context, _instances) -> None:
    """An ORM change to a catalogue row moves the version first, in the same transaction."""
    # Collections count here: an image dropped from a product's list is deleted by the flush.
    if _changes_catalogue(session, include_collections=True):
        _bump_once(session)


@event.listens_for(Session, "after_flush")
def _bump_after_catalogue_flush(session: Session, _context) -> None:
    """A change the flush itself made (a cascade) and before_flush could not see still counts."""
    if _changes_catalogue(session, include_collections=False):
        _bump_once(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_before_catalogue_statement(state) -> None:
    """So do bulk statements (ORM or SQL text) such as a seller's bulk price change.

    Stock moves and discount counters (marked `stock_move`) do not: see the module's docstring.
    """
    if state.execution_options.get("stock_move"):
        return
    if isinstance(state.statement, TextClause):
        written = _TEXT_WRITE.match(state.statement.text)
        if written and written.group(1).lower() in CATALOGUE_TABLES:
            _bump_once(state.session)
    elif state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CATALOGUE_TABLES:
            _bump_once(state.session)


def next_price_change(connection, now: datetime) -> datetime | None:
    """When the next discount starts or ends after `now` (None when none is scheduled)."""
    live = Discount.cancelled_at.is_(None)
    starts, ends = connection.execute(
        select(
            select(func.min(Discount.starts_at))
            .where(live, Discount.starts_at > now)
            .scalar_subquery(),
            select(func.min(Discount.ends_at))
            .where(live, Discount.ends_at > now)
            .scalar_subquery(),
        )
    ).one()
    moments = [as_utc(moment) for moment in (starts, ends) if moment is not None]
    return min(moments) if moments else None


class PriceClock:
    """A worker's note of when, at the catalogue version it last saw, a price next changes."""

    def __init__(self):
        self.version: int | None = None
        self.next_change: datetime | None = None
        self._lock = threading.Lock()

    def next_change_at(self, connection, version: int) -> datetime | None:
        """The next price change, asked of the database only for a new version or once it passed."""
        now = utcnow()
        with self._lock:
            passed = self.next_change is not None and now >= self.next_change
            if version != self.version or passed:
                self.next_change = next_price_change(connection, now)
                self.version = version
            return self.next_change


def current_version() -> tuple[int, datetime | None]:
    """The key of cached content, read once per request: (catalogue version, next price change).

    A warm page costs the one version read; the next price change is asked only when the
    version moved or that moment passed (see the module's docstring).
    """
    if "catalogue_version" not in g and has_request_context():
        # WholePageCache read it for this very request a moment ago: one read per page is enough.
        known = request.environ.get(VERSION_ENVIRON)
        if known is not None:
            g.catalogue_version = known
    if "catalogue_version" not in g:
        clock = current_app.extensions.setdefault("price_clock", PriceClock())
        # A bare pooled connection: the cheapest read there is, on the path of every page view.
        with db.engine.connect() as connection:
            number = connection.scalar(VERSION_QUERY, {"id": VERSION_ROW}) or 0
            g.catalogue_version = (number, clock.next_change_at(connection, number))
    return g.catalogue_version


def _still_true(snapshot: freshness.Snapshot) -> bool:
    """True when the stock and counters a cached part was drawn from have not moved."""
    if not snapshot:
        return True
    with db.engine.connect() as connection:
        return snapshot.holds(connection)


class FragmentCache:
    """Rendered fragments of one catalogue version, at most `size` of them (oldest go first).

    Each keeps the snapshot of stock and counters it was drawn from, checked when served.
    """

    def __init__(self, size: int):
        self.size = size
        self._version: Hashable | None = None
        self._entries: dict[Hashable, tuple[object, freshness.Snapshot]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable):
        """The value kept for key at this version, or None (a new version empties the cache).

        A value whose stock or counters moved since it was drawn is dropped, and None returned.
        """
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            entry = self._entries.get(key)
        if entry is None:
            return None
        value, snapshot = entry
        if not _still_true(snapshot):
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            return None
        freshness.note_snapshot(snapshot)
        return value

    def put(
        self,
        key: Hashable,
        version: Hashable,
        value,
        snapshot: freshness.Snapshot = freshness.NOTHING,
    ) -> None:
        """Keep a value built from the data of this version (dropped if a newer one arrived)."""
        if self.size <= 0:
            return
        with self._lock:
            if version == self._version:
                if len(self._entries) >= self.size:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = (value, snapshot)

    def fetch(self, key: Hashable, version: Hashable, build: Callable[[], object]):
        """The value cached for key at this version, building (and keeping) it when missing."""
        value = self.get(key, version)
        if value is None:
            with freshness.recording() as recorded:
                value = build()
            if value is not None:
                self.put(key, version, value, recorded[0])
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
#: What csrf_token() gives inside shared blocks; each visitor's own token replaces it.
CSRF_STAND_IN = "vm-csrf-token-stand-in"


def render_blocks(template_name: str, context: dict) -> dict[str, Markup]:
    """Render a page template's shared blocks (see PARTS_LAYOUT), without the per-visitor shell."""
    # A form inside a shared block gets a stand-in token, swapped per visitor in cached_blocks.
    text = render_template(
        template_name, layout=PARTS_LAYOUT, csrf_token=lambda: CSRF_STAND_IN, **context
    )
    parts = {}
    for chunk in text.split(PART_MARK)[1:]:
        name, _, html = chunk.partition("-->\n")
        parts[name] = Markup(html)  # noqa: S704  (rendered by Jinja with autoescape on)
    return parts


#: Cookies that cannot make a page differ between visitors (the language is part of the key).
HARMLESS_COOKIES = frozenset({"lang"})
#: Query parameters the storefront pages read; a request with any other is not kept whole.
PAGE_PARAMETERS = frozenset({"lang", "category", "sort", "page", "variant"})
#: Addresses of the pages that offer themselves whole (besides "/").
STOREFRONT_PREFIXES = ("/regions/", "/products/", "/shops/", "/categories/")
#: Response header by which a view offers its page to WholePageCache (never sent out).
KEEP_HEADER = "X-Village-Market-Keep"


def offer_whole_page(response: Response) -> Response:
    """Mark a storefront page as the same for every visitor without cookies (see WholePageCache)."""
    response.headers[KEEP_HEADER] = "1"
    return response


class WholePageCache:
    """WSGI layer in front of the app: whole responses for visitors without session or log-in.

    A first visit from a shared link, a crawler or a benchmark carries no cookie of its own, so
    nothing in the page is theirs: the complete response (headers included) is kept per address,
    host, scheme, language and encoding inputs, and served after one read of the catalogue version, without
    running the app. Only responses a view offered (offer_whole_page) with status 200 and no
    Set-Cookie are kept, so a page whose rendering touched the session is never shared.
    """

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = FragmentCache(app.config.get("FRAGMENT_CACHE_SIZE", 2000))

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        path = environ.get("PATH_INFO", "")
        if path != "/" and not path.startswith(STOREFRONT_PREFIXES):
            return None
        cookies = parse_cookie(environ)
        if not set(cookies) <= HARMLESS_COOKIES:
            return None
        query = environ.get("QUERY_STRING", "")
        if query and not {name for name, _ in parse_qsl(query, keep_blank_values=True)} <= (
            PAGE_PARAMETERS
        ):
            return None
        return (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            query,
            cookies.get("lang", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            # The kept body may be compressed for this browser; another may not read it.
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        )

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        try:
            with self.app.app_context():
                version = current_version()
                kept = self.store.get(key, version)
        except SQLAlchemyError:
            # The app answers for itself (an error page, /healthz's 503) without this layer.
            return self.wsgi_app(environ, start_response)
        environ[VERSION_ENVIRON] = version
        if kept is not None:
            status, headers, body = kept
            start_response(status, list(headers))
            return [body]
        answer = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            sent = [(name, value) for name, value in headers if name != KEEP_HEADER]
            return start_response(status, sent, exc_info)

        with freshness.recording() as recorded:
            result = self.wsgi_app(environ, capture)
        headers = answer.get("headers", [])
        names = {name.lower() for name, _ in headers}
        if (
            not answer.get("status", "").startswith("200")
            or KEEP_HEADER.lower() not in names
            or "set-cookie" in names
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        sent = tuple((name, value) for name, value in headers if name != KEEP_HEADER)
        self.store.put(key, version, (answer["status"], sent, body), recorded[0])
        return [body]


def cached_blocks(
    template_name: str, key: Hashable, build: Callable[[], dict]
) -> dict[str, Markup]:
    """The shared blocks of a page, from the cache or rendered from build()'s context.

    `key` names what the page shows (its validated parameters, never the raw query string, so
    tracking parameters cannot fill the cache); the language and the site address are added.
    """
    full_key = (template_name, current_language(), request.host_url, key)
    blocks = fragment_cache().fetch(
        full_key, current_version(), lambda: render_blocks(template_name, build())
    )
    if any(CSRF_STAND_IN in html for html in blocks.values()):
        token = generate_csrf()
        blocks = {name: Markup(html.replace(CSRF_STAND_IN, token)) for name, html in blocks.items()}  # noqa: S704
    return blocks
