"""The header menu's lists of categories and regions, kept so that they cost pages nothing.

Every page's header offers them (分类 / 地区). Storefront pages read the catalogue version anyway
(products.cache): there the lists are those of that version, drawn again in one statement when
it moved, so a renamed category shows with the rest of the page. Other pages (cart, account,
the seller workspace) do not read the version, and the header must not add a query to each of
them: they show the lists last drawn by this worker if those are less than FRESH_FOR old, else
draw them again.
"""

import time

from flask import current_app, g, has_request_context, request
from sqlalchemy import literal_column, select, union_all
from sqlalchemy.exc import SQLAlchemyError

from products.cache import VERSION_ENVIRON
from products.models import Category, Region
from shop.extensions import db
from shop.models_base import current_language

#: (slug, name in the page's language)
NavLink = tuple[str, str]
#: How old the lists may be on a page that does not read the catalogue version (seconds).
FRESH_FOR = 300.0


def header_catalogue() -> dict[str, list[NavLink]]:
    """The categories and the exhibition regions for the header menu, in display order.

    A database that does not answer leaves both lists empty, so an error page still renders.
    """
    language = current_language()
    kept = current_app.extensions.setdefault("header_catalogue", {})
    version = _version_of_this_page()
    now = time.monotonic()
    entry = kept.get(language)
    if entry is not None:
        lists, drawn_for, drawn_at = entry
        if version is not None and version == drawn_for:
            return lists
        if version is None and now - drawn_at < FRESH_FOR:
            return lists
    try:
        lists = _draw(language)
    except SQLAlchemyError:
        db.session.rollback()
        return {"categories": [], "regions": []}
    kept[language] = (lists, version, now)
    return lists


def _version_of_this_page():
    """The catalogue version this request already read (storefront pages), else None."""
    if "catalogue_version" in g:
        return g.catalogue_version
    return request.environ.get(VERSION_ENVIRON) if has_request_context() else None


def _draw(language: str) -> dict[str, list[NavLink]]:
    """Both lists in one statement."""
    categories = select(
        literal_column("'category'").label("kind"),
        Category.slug,
        Category.name_zh,
        Category.name_en,
        Category.position,
        Category.id,
    )
    regions = select(
        literal_column("'region'").label("kind"),
        Region.slug,
        Region.name_zh,
        Region.name_en,
        Region.position,
        Region.id,
    ).where(Region.coming_soon.is_(False))
    rows = db.session.execute(union_all(categories, regions).order_by("kind", "position", "id"))
    found: dict[str, list[NavLink]] = {"categories": [], "regions": []}
    other = "zh" if language == "en" else "en"
    for row in rows.mappings():
        name = row[f"name_{language}"] or row[f"name_{other}"] or row["slug"]
        found["categories" if row["kind"] == "category" else "regions"].append((row["slug"], name))
    return found
