"""A search request read and its results loaded: shared by the search page and the JSON API."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from products import search
from products.models import Category, Product, Region
from products.services import public_products
from shop.extensions import db
from shop.money import format_fen
from shop.parsing import NotAWholeNumber, whole_number

PER_PAGE = 24
MAX_PER_PAGE = 48
#: Nobody pages this far by hand; a bound keeps a crafted page number from costing much.
MAX_PAGE = 1000
FEATURED_INSTEAD = 8


class BadSearch(ValueError):
    """A search request that cannot be answered; the message says why, in the visitor's language."""


def _whole_number(args: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        return whole_number(raw, least=1, most=most)
    except NotAWholeNumber:
        raise BadSearch(
            _("“%(name)s” must be a whole number from 1 to %(most)d.", name=name, most=most)
        ) from None


def parse_search(args: Mapping[str, str]) -> search.SearchQuery:
    """Read q, the facet filters, sort, page and per_page from request arguments.

    Unknown filter values simply match nothing; a sort we do not offer falls back to relevance.

    :raises BadSearch: for an overlong query or a page number out of range.
    """
    try:
        text = search.clean_query(args.get("q") or "")
    except search.QueryTooLong as error:
        raise BadSearch(
            _(
                "Your search is too long: please use at most %(limit)d characters.",
                limit=search.MAX_QUERY_LENGTH,
            )
        ) from error
    price = args.get("price") or None
    sort = args.get("sort") or "relevance"
    return search.SearchQuery(
        text=text,
        region=(args.get("region") or "")[:80] or None,
        category=(args.get("category") or "")[:80] or None,
        price=price if price in search.PRICE_BANDS else None,
        in_stock=args.get("in_stock") in ("1", "true", "yes", "on"),
        sort=sort if sort in search.SORTS else "relevance",
        page=_whole_number(args, "page", 1, MAX_PAGE),
        per_page=_whole_number(args, "per_page", PER_PAGE, MAX_PER_PAGE),
    )


def query_args(query: search.SearchQuery, **changes) -> dict:
    """URL arguments that reproduce a query (defaults left out), with some values changed."""
    query = replace(query, **changes)
    values = {
        "q": query.text,
        "region": query.region,
        "category": query.category,
        "price": query.price,
        "in_stock": "1" if query.in_stock else None,
        "sort": None if query.sort == "relevance" else query.sort,
        "page": None if query.page == 1 else query.page,
        "per_page": None if query.per_page == PER_PAGE else query.per_page,
    }
    return {name: value for name, value in values.items() if value not in (None, "")}


@dataclass
class FacetOption:
    """One value of a facet, with the number of products choosing it would show."""

    value: str
    label: str
    count: int
    selected: bool
    #: The search with this value chosen (or, when selected, with the choice removed).
    args: dict


@dataclass
class Facet:
    """A group of filters (region, category, price band, stock) with counts."""

    name: str
    label: str
    options: list[FacetOption]
    #: The search without this facet's filter, when one is chosen, and that link's text.
    clear_args: dict | None
    clear_label: str


@dataclass
class Hit:
    """A product in the results with its highlighted title and description excerpt."""

    product: Product
    title: Markup
    excerpt: Markup


@dataclass
class SearchPage:
    """Everything the page and the API show for one search."""

    query: search.SearchQuery
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    pages: int = 1
    facets: list[Facet] = field(default_factory=list)
    suggestion: str | None = None
    partial: bool = False
    #: Shown instead when nothing matched.
    featured: list[Product] = field(default_factory=list)
    #: The index could not be read (it is being rebuilt, or is damaged).
    unavailable: bool = False


def price_band_label(key: str) -> str:
    """'¥30.00 – ¥59.99' style label of a price band."""
    low, high = search.PRICE_BANDS[key]
    if low == 0 and high is not None:
        return _("Under %(price)s", price=format_fen(high + 1))
    if high is None:
        return _("%(price)s and more", price=format_fen(low))
    return _("%(low)s to %(high)s", low=format_fen(low), high=format_fen(high))


def _facets(query: search.SearchQuery, counts: dict[str, list[tuple[str, int]]]) -> list[Facet]:
    regions = {region.slug: region for region in db.session.scalars(select(Region))}
    categories = {category.slug: category for category in db.session.scalars(select(Category))}
    facets = []
    chosen = {"region": query.region, "category": query.category, "price": query.price}
    titles = {"region": _("Region"), "category": _("Category"), "price": _("Price")}
    clear_labels = {
        "region": _("All regions"),
        "category": _("All categories"),
        "price": _("Any price"),
    }
    labels = {
        "region": lambda slug: regions[slug].localized("name") if slug in regions else slug,
        "category": lambda slug: categories[slug].localized("name") if slug in categories else slug,
        "price": price_band_label,
    }
    for name in ("region", "category", "price"):
        options = [
            FacetOption(
                value=value,
                label=labels[name](value),
                count=count,
                selected=value == chosen[name],
                args=query_args(query, page=1, **{name: None if value == chosen[name] else value}),
            )
            for value, count in counts.get(name, [])
        ]
        clear = query_args(query, page=1, **{name: None}) if chosen[name] else None
        facets.append(Facet(name, titles[name], options, clear, clear_labels[name]))
    in_stock = dict(counts.get("stock", [])).get("yes", 0)
    facets.append(
        Facet(
            "stock",
            _("Availability"),
            [
                FacetOption(
                    value="yes",
                    label=_("In stock"),
                    count=in_stock,
                    selected=query.in_stock,
                    args=query_args(query, page=1, in_stock=not query.in_stock),
                )
            ],
            query_args(query, page=1, in_stock=False) if query.in_stock else None,
            _("Include sold-out products"),
        )
    )
    return facets


def _products_in_order(ids: list[int]) -> list[Product]:
    """Public products by id, in the given order (ids the index still lists but the database
    no longer shows are left out)."""
    if not ids:
        return []
    found = {
        product.id: product
        for product in db.session.scalars(public_products().where(Product.id.in_(ids))).unique()
    }
    return [found[product_id] for product_id in ids if product_id in found]


def featured_products(limit: int = FEATURED_INSTEAD) -> list[Product]:
    """The organizers' featured products, shown when a search finds nothing."""
    return list(
        db.session.scalars(
            public_products()
            .where(Product.featured.is_(True))
            .order_by(Product.region_id, Product.featured_position, Product.id)
            .limit(limit)
        ).unique()
    )


def find(query: search.SearchQuery) -> SearchPage:
    """Run a search and load what the page shows: products, facet labels, featured fallback."""
    try:
        result = search.search(query)
    except search.SearchUnavailable as error:
        current_app.logger.warning("Search unavailable, being rebuilt: %s", error)
        return SearchPage(query=query, unavailable=True, featured=featured_products())
    hits = [
        Hit(
            product=product,
            title=search.highlight(product.localized("title"), result.terms),
            excerpt=search.excerpt(product.localized("description"), result.terms),
        )
        for product in _products_in_order(result.ids)
    ]
    return SearchPage(
        query=query,
        hits=hits,
        total=result.total,
        pages=result.pages,
        facets=_facets(query, result.facets),
        suggestion=result.suggestion,
        partial=result.partial,
        featured=featured_products() if result.total == 0 else [],
    )


def search_url(**args) -> str:
    """The search page with these arguments."""
    return url_for("search.results", **args)
