"""Search endpoint of the JSON API: the same search as /search, as JSON.

Hits are product summaries (the catalogue endpoints' shape) plus the title and a description
excerpt as HTML in which every character of the product text is escaped and only the <mark>
elements around matched words are markup.
"""

from flask import request
from flask_babel import gettext as _

from products import search
from products.search_views import (
    MAX_PAGE,
    MAX_PER_PAGE,
    PER_PAGE,
    BadSearch,
    find,
    parse_search,
    query_args,
)
from products.views import site_url
from shop.api import OPENAPI_PATHS, OPENAPI_SCHEMAS, bp
from shop.api.catalogue import ApiError, _product_summary, refuse_empty


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


#: What the document allows for in_stock (the search page also takes true, yes and on).
IN_STOCK = ("0", "1")


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
                "product": _product_summary(hit.product),
                "title_html": str(hit.title),
                "excerpt_html": str(hit.excerpt),
            }
            for hit in page.hits
        ],
        "facets": _facets(page),
        "featured": [_product_summary(product) for product in page.featured],
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


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_FACET_OPTION = {
    "type": "object",
    "required": ["value", "label", "count", "selected"],
    "properties": {
        "value": {"type": "string"},
        "label": {"type": "string", "description": "In the request's language"},
        "count": {
            "type": "integer",
            "minimum": 0,
            "description": "0 for a chosen value nothing matches any more (kept so it can be undone)",
        },
        "selected": {"type": "boolean"},
    },
    "additionalProperties": False,
}

OPENAPI_SCHEMAS.update(
    {
        "SearchHit": {
            "type": "object",
            "required": ["product", "title_html", "excerpt_html"],
            "properties": {
                "product": _ref("ProductSummary"),
                "title_html": {
                    "type": "string",
                    "description": "The title in the request's language, HTML-escaped, "
                    "matched words in <mark>",
                },
                "excerpt_html": {
                    "type": "string",
                    "description": "Part of the description around the first match, likewise",
                },
            },
            "additionalProperties": False,
        },
        "SearchResults": {
            "type": "object",
            "required": [
                "query",
                "total",
                "partial",
                "suggestion",
                "hits",
                "facets",
                "featured",
                "pagination",
                "sort",
            ],
            "properties": {
                "query": {"type": "string", "description": "The query as searched"},
                "total": {"type": "integer", "minimum": 0},
                "partial": {
                    "type": "boolean",
                    "description": "True when no product matched every word and the hits "
                    "match some of them",
                },
                "suggestion": {
                    "type": ["string", "null"],
                    "description": "A corrected query that finds products, when this one "
                    "found none",
                },
                "hits": {"type": "array", "items": _ref("SearchHit")},
                "facets": {
                    "type": "object",
                    "description": "Counts per facet value. A facet's counts apply the other "
                    "facets' filters but not its own.",
                    "required": ["region", "category", "price", "stock"],
                    "properties": {
                        name: {"type": "array", "items": _FACET_OPTION}
                        for name in ("region", "category", "price", "stock")
                    },
                    "additionalProperties": False,
                },
                "featured": {
                    "type": "array",
                    "items": _ref("ProductSummary"),
                    "description": "Featured products, given when nothing matched",
                },
                "pagination": _ref("Pagination"),
                "sort": {"type": "string", "enum": list(search.SORTS)},
            },
            "additionalProperties": False,
        },
    }
)


def _parameter(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


#: Text parameters may hold any character but NUL, which the whole site refuses with a 400.
_NO_NUL = "^[^\\u0000]*$"

OPENAPI_PATHS["/v1/search"] = {
    "get": {
        "operationId": "searchProducts",
        "summary": "Search public products in Chinese, pinyin or English",
        "description": "Words are matched in titles, tags, descriptions, region and shop names; "
        "Chinese is segmented, and pinyin (dangshan suli) or its initials (dssl) find Chinese "
        "titles. Without q, every product is listed (featured first).",
        "parameters": [
            _parameter(
                "q",
                "The words to look for",
                {"type": "string", "maxLength": search.MAX_QUERY_LENGTH, "pattern": _NO_NUL},
            ),
            _parameter("region", "Region slug", {"type": "string", "pattern": _NO_NUL}),
            _parameter("category", "Category slug", {"type": "string", "pattern": _NO_NUL}),
            _parameter(
                "price",
                "Price band of the cheapest variant",
                {"type": "string", "enum": list(search.PRICE_BANDS)},
            ),
            _parameter(
                "in_stock",
                "1 for products that can be bought now; 0 (or leaving it out) for all",
                {"type": "string", "enum": list(IN_STOCK)},
            ),
            _parameter(
                "sort",
                "Order of the results",
                {"type": "string", "enum": list(search.SORTS), "default": "relevance"},
            ),
            _parameter(
                "page",
                "Page number",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            ),
            _parameter(
                "per_page",
                "Results per page",
                {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE},
            ),
        ],
        "responses": {
            "200": {
                "description": "One page of results.",
                "content": {"application/json": {"schema": _ref("SearchResults")}},
            },
            "400": {
                "description": "The query is too long, a number is out of range, or a "
                "parameter is empty or not one of its listed values (error.code is bad_parameter).",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
            "503": {
                "description": "The index cannot be read, e.g. while it is rebuilt after damage "
                "(error.code is search_unavailable); try again after Retry-After seconds.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before asking again.",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    }
}
