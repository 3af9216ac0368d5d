"""Search endpoint of the JSON API: the same search as /search, as JSON.

Hits are product summaries (the catalogue endpoints' shape) plus the title and a description
excerpt as HTML in which every character of the product text is escaped and only the <mark>
elements around matched words are markup.
"""

from flask import request
from flask_babel import gettext as _

from products import search
from products.addresses import site_url
from products.search.service import (
    BadSearch,
    find,
    parse_search,
    query_args,
)
from shop.api import bp
from shop.api.shapes import IN_STOCK, ApiError, product_summary, refuse_empty


def _facets(page) -> dict:
    return {
        facet.name: [
            {
                "value": option.value,
                "label": option.label,
                "count": option.count,
                "selected": option.selected,
            }
            for option in facet.options
        ]
        for facet in page.facets
    }


def _link(page, number: int) -> str:
    return site_url("api.search_products", **query_args(page.query, page=number))


def _refuse_undocumented(args) -> None:
    """The search page forgives what it does not know; the API refuses what it does not document.

    :raises ApiError: for an empty choice or number, an unknown choice, or an overlong query.
    """
    refuse_empty(("price", "in_stock", "sort", "page", "per_page"))
    for name, allowed in (
        ("price", search.PRICE_BANDS),
        ("in_stock", IN_STOCK),
        ("sort", search.SORTS),
    ):
        if name in args and args[name] not in allowed:
            raise ApiError(400, "bad_parameter", f"{name} must be one of {', '.join(allowed)}.")
    if len(args.get("q", "")) > search.MAX_QUERY_LENGTH:
        # Counted as sent (the document's maxLength), before spaces are collapsed.
        raise ApiError(
            400,
            "bad_parameter",
            _(
                "Your search is too long: please use at most %(limit)d characters.",
                limit=search.MAX_QUERY_LENGTH,
            ),
        )


@bp.get("/v1/search")
def search_products():
    """Ranked public products for ?q=, with highlighted matches, facet counts and a suggestion."""
    _refuse_undocumented(request.args)
    try:
        query = parse_search(request.args)
    except BadSearch as error:
        raise ApiError(400, "bad_parameter", str(error)) from error
    page = find(query)
    if page.unavailable:
        raise ApiError(
            503,
            "search_unavailable",
            "Search is being rebuilt; try again after the Retry-After seconds.",
            {"Retry-After": str(search.RETRY_AFTER_SECONDS)},
        )
    return {
        "query": query.text,
        "total": page.total,
        "partial": page.partial,
        "suggestion": page.suggestion,
        "hits": [
            {
                "product": product_summary(hit.product),
                "title_html": str(hit.title),
                "excerpt_html": str(hit.excerpt),
            }
            for hit in page.hits
        ],
        "facets": _facets(page),
        "featured": [product_summary(product) for product in page.featured],
        "pagination": {
            "page": query.page,
            "per_page": query.per_page,
            "total": page.total,
            "pages": page.pages,
            "self": _link(page, query.page),
            "first": _link(page, 1),
            "last": _link(page, page.pages),
            "prev": _link(page, query.page - 1) if query.page > 1 else None,
            "next": _link(page, query.page + 1) if query.page < page.pages else None,
        },
        "sort": query.sort,
    }
