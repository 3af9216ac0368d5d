"""The API's OpenAPI 3.1 document: every endpoint's parameters and every response's shape.

/api/openapi.json serves it (shop.api), and the tests validate real responses against it, so it
describes exactly the endpoints of shop.api.catalogue and shop.api.search.
"""

from products import search, services
from products.search.service import MAX_PAGE, MAX_PER_PAGE, PER_PAGE
from shop.api.shapes import IN_STOCK
from shop.parsing import LARGEST_ID

#: OpenAPI "paths" entries, keyed by path template (e.g. "/v1/regions").
OPENAPI_PATHS: dict[str, dict] = {}
#: OpenAPI component schemas shared by the paths, keyed by name.
OPENAPI_SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
}

# ---- The catalogue's endpoints (shop.api.catalogue) -------------------------------------------


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_URL = {"type": "string", "format": "uri"}
_BILINGUAL = _ref("Bilingual")

OPENAPI_SCHEMAS.update(
    {
        "Bilingual": {
            "type": "object",
            "required": ["zh", "en"],
            "properties": {"zh": _TEXT, "en": _TEXT},
            "additionalProperties": False,
        },
        "Image": {
            "type": "object",
            "description": "One picture as WebP files of up to three widths (320, 800, 1600); "
            "a picture narrower than one of them is kept at its own width instead.",
            "required": ["width", "height", "urls"],
            "properties": {
                "width": {"type": "integer"},
                "height": {"type": "integer"},
                "urls": {
                    "type": "object",
                    "description": "Keyed by width in pixels, e.g. 320, 800, 1600 (or 64 for a "
                    "picture 64 px wide)",
                    "propertyNames": {"pattern": "^[1-9][0-9]*$"},
                    "additionalProperties": _URL,
                    "minProperties": 1,
                },
            },
            "additionalProperties": False,
        },
        "Region": {
            "type": "object",
            "required": [
                "slug",
                "name",
                "province",
                "latitude",
                "longitude",
                "coming_soon",
                "url",
                "api_url",
            ],
            "properties": {
                "slug": _TEXT,
                "name": _BILINGUAL,
                "province": _BILINGUAL,
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "coming_soon": {"type": "boolean"},
                "url": {"type": ["string", "null"], "format": "uri"},
                "api_url": _URL,
            },
        },
        "RegionDetail": {
            "allOf": [
                _ref("Region"),
                {
                    "type": "object",
                    "required": ["story", "featured", "products_url"],
                    "properties": {
                        "story": _BILINGUAL,
                        "featured": {"type": "array", "items": _ref("ProductSummary")},
                        "products_url": _URL,
                    },
                },
            ]
        },
        "ProductSummary": {
            "type": "object",
            "required": [
                "id",
                "slug",
                "title",
                "region",
                "category",
                "shop",
                "price_fen",
                "price",
                "in_stock",
                "featured",
                "image",
                "url",
                "api_url",
            ],
            "properties": {
                "id": {"type": "integer"},
                "slug": _TEXT,
                "title": _BILINGUAL,
                "region": _ref("RegionRef"),
                "category": {"oneOf": [_ref("CategoryRef"), {"type": "null"}]},
                "shop": _ref("ShopSummary"),
                "price_fen": {
                    "type": ["integer", "null"],
                    "description": "Lowest variant price in fen",
                },
                "price": {"type": ["string", "null"], "examples": ["¥39.90"]},
                "in_stock": {"type": "boolean"},
                "featured": {"type": "boolean"},
                "image": {"oneOf": [_ref("Image"), {"type": "null"}]},
                "url": _URL,
                "api_url": _URL,
            },
        },
        "Variant": {
            "type": "object",
            "required": [
                "id",
                "sku",
                "spec",
                "price_fen",
                "price",
                "stock",
                "available",
                "low_stock",
                "weight_g",
            ],
            "properties": {
                "id": {"type": "integer"},
                "sku": _NULLABLE_TEXT,
                "spec": _BILINGUAL,
                "price_fen": {"type": "integer", "minimum": 1},
                "price": {"type": "string", "pattern": "^¥[0-9,]+\\.[0-9]{2}$"},
                "stock": {"type": "integer", "minimum": 0},
                "available": {"type": "boolean"},
                "low_stock": {"type": "boolean"},
                "weight_g": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "RegionRef": {
            "type": "object",
            "required": ["slug", "name", "api_url"],
            "properties": {"slug": _TEXT, "name": _BILINGUAL, "api_url": _URL},
            "additionalProperties": False,
        },
        "CategoryRef": {
            "type": "object",
            "required": ["slug", "name"],
            "properties": {"slug": _TEXT, "name": _BILINGUAL},
            "additionalProperties": False,
        },
        "ShopSummary": {
            "type": "object",
            "required": ["slug", "name", "api_url"],
            "properties": {"slug": _TEXT, "name": _BILINGUAL, "api_url": _URL},
        },
        "Product": {
            "allOf": [
                _ref("ProductSummary"),
                {
                    "type": "object",
                    "required": ["description", "tags", "variants", "images", "qr_svg_url"],
                    "properties": {
                        "description": _BILINGUAL,
                        "tags": {"type": "array", "items": _TEXT},
                        "variants": {
                            "type": "array",
                            "items": _ref("Variant"),
                            "minItems": 1,
                        },
                        "images": {"type": "array", "items": _ref("Image")},
                        "qr_svg_url": _URL,
                    },
                },
            ]
        },
        "Pagination": {
            "type": "object",
            "required": [
                "page",
                "per_page",
                "total",
                "pages",
                "self",
                "first",
                "last",
                "prev",
                "next",
            ],
            "properties": {
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
                "pages": {"type": "integer", "minimum": 1},
                "self": _URL,
                "first": _URL,
                "last": _URL,
                "prev": {"type": ["string", "null"], "format": "uri"},
                "next": {"type": ["string", "null"], "format": "uri"},
            },
            "additionalProperties": False,
        },
        "ProductList": {
            "type": "object",
            "required": ["items", "pagination"],
            "properties": {
                "items": {"type": "array", "items": _ref("ProductSummary")},
                "pagination": _ref("Pagination"),
            },
            "additionalProperties": False,
        },
        "RegionList": {
            "type": "object",
            "required": ["regions"],
            "properties": {"regions": {"type": "array", "items": _ref("Region")}},
            "additionalProperties": False,
        },
        "Shop": {
            "allOf": [
                _ref("ShopSummary"),
                {
                    "type": "object",
                    "required": [
                        "story",
                        "region",
                        "phone",
                        "shipping_fee_fen",
                        "shipping_fee",
                        "free_shipping_over_fen",
                        "url",
                        "products",
                        "pagination",
                    ],
                    "properties": {
                        "story": _BILINGUAL,
                        "region": _ref("Region"),
                        "phone": {
                            "type": ["string", "null"],
                            "description": "Masked, e.g. 138****5678",
                            "pattern": "^[0-9]{3}\\*{4}[0-9]{4}$",
                        },
                        "shipping_fee_fen": {"type": "integer", "minimum": 0},
                        "shipping_fee": _TEXT,
                        "free_shipping_over_fen": {"type": ["integer", "null"]},
                        "url": _URL,
                        "products": {"type": "array", "items": _ref("ProductSummary")},
                        "pagination": _ref("Pagination"),
                    },
                },
            ]
        },
    }
)


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "400": _json("Error", "A parameter is not valid (error.code is bad_parameter)."),
    "404": _json("Error", "Nothing public has that address (error.code is not_found)."),
    "404_list": _json(
        "Error",
        "A filter names no public region, category or shop, or the page is past the last one "
        "(error.code is not_found).",
    ),
}


def _query(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 80}

OPENAPI_PATHS.update(
    {
        "/v1/regions": {
            "get": {
                "operationId": "listRegions",
                "summary": "Every region, exhibition regions and coming-soon partner countries",
                "responses": {"200": _json("RegionList", "The regions in display order.")},
            }
        },
        "/v1/regions/{slug}": {
            "get": {
                "operationId": "getRegion",
                "summary": "One region with its story and featured products",
                "parameters": [_path("slug", _SLUG)],
                "responses": {"200": _json("RegionDetail", "The region."), "404": _ERRORS["404"]},
            }
        },
        "/v1/products": {
            "get": {
                "operationId": "listProducts",
                "summary": "Public products, filtered, sorted and paginated",
                "parameters": [
                    _query("region", "Region slug", _SLUG),
                    _query("category", "Category slug", _SLUG),
                    _query("shop", "Shop slug", _SLUG),
                    _query(
                        "sort",
                        "Order of the list",
                        {"type": "string", "enum": list(services.SORTS), "default": "featured"},
                    ),
                    _query(
                        "page",
                        "Page number",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": services.MAX_PAGE,
                            "default": 1,
                        },
                    ),
                    _query(
                        "per_page",
                        "Products per page",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": services.MAX_PER_PAGE,
                            "default": services.PER_PAGE,
                        },
                    ),
                ],
                "responses": {
                    "200": _json("ProductList", "One page of products."),
                    "400": _ERRORS["400"],
                    "404": _ERRORS["404_list"],
                },
            }
        },
        "/v1/products/{id}": {
            "get": {
                "operationId": "getProduct",
                "summary": "One public product with variants and pictures",
                "parameters": [
                    _path("id", {"type": "integer", "minimum": 1, "maximum": LARGEST_ID})
                ],
                "responses": {"200": _json("Product", "The product."), "404": _ERRORS["404"]},
            }
        },
        "/v1/shops/{slug}": {
            "get": {
                "operationId": "getShop",
                "summary": "An exhibitor shop with its first page of products",
                "parameters": [_path("slug", _SLUG)],
                "responses": {"200": _json("Shop", "The shop."), "404": _ERRORS["404"]},
            }
        },
    }
)


# ---- Search (shop.api.search) -----------------------------------------------------------------


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


def openapi_document() -> dict:
    """The OpenAPI 3.1 document for every endpoint."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Village Market API",
            "version": "1.0.0",
            "description": "Regions, products, shops and search of Village Market (乡村集市). "
            "Prices are integer fen (1 yuan = 100 fen) with a formatted string beside them.",
        },
        "servers": [{"url": "/api"}],
        "paths": dict(sorted(OPENAPI_PATHS.items())),
        "components": {"schemas": OPENAPI_SCHEMAS},
    }
