"""Catalogue endpoints of the JSON API: regions, products and shops for mini-program front ends.

Names and stories come in both languages ({"zh": ..., "en": ...}); prices as integer fen with the
formatted string beside them; images as absolute URLs per width. Every response shape is in
OPENAPI_SCHEMAS below, which the tests validate real responses against.
"""

from flask import request

from products import services
from products.images import rendition_name, rendition_widths
from products.models import Product, Region, Shop
from products.views import site_url
from shop.api import OPENAPI_PATHS, OPENAPI_SCHEMAS, bp
from shop.money import format_fen
from shop.parsing import LARGEST_ID


class ApiError(Exception):
    """An answer other than 200, as the documented error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: Extra response headers, e.g. Retry-After on a 503.
        self.headers = headers or {}


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return {"error": {"code": error.code, "message": error.message}}, error.status, error.headers


@bp.errorhandler(services.BadParameter)
def _bad_parameter(error: services.BadParameter):
    return {"error": {"code": "bad_parameter", "message": str(error)}}, 400


def _both(obj, field: str) -> dict:
    return {"zh": getattr(obj, f"{field}_zh") or "", "en": getattr(obj, f"{field}_en") or ""}


def _price(fen: int) -> dict:
    return {"price_fen": fen, "price": format_fen(fen)}


def _image(image) -> dict:
    return {
        "width": image.width,
        "height": image.height,
        "urls": {
            str(width): site_url("catalogue.media", name=rendition_name(image.key, width))
            for width in rendition_widths(image.width)
        },
    }


def _region(region: Region) -> dict:
    return {
        "slug": region.slug,
        "name": _both(region, "name"),
        "province": _both(region, "province"),
        "latitude": region.latitude,
        "longitude": region.longitude,
        "coming_soon": region.coming_soon,
        "url": None if region.coming_soon else site_url("catalogue.region", slug=region.slug),
        "api_url": site_url("api.region", slug=region.slug),
    }


def _region_ref(region: Region) -> dict:
    return {
        "slug": region.slug,
        "name": _both(region, "name"),
        "api_url": site_url("api.region", slug=region.slug),
    }


def _category_ref(category) -> dict:
    return {"slug": category.slug, "name": _both(category, "name")}


def _shop_summary(shop: Shop) -> dict:
    return {
        "slug": shop.slug,
        "name": _both(shop, "name"),
        "api_url": site_url("api.shop", slug=shop.slug),
    }


def _product_summary(product: Product) -> dict:
    lowest = services.lowest_price_fen(product)
    return {
        "id": product.id,
        "slug": product.slug,
        "title": _both(product, "title"),
        "region": _region_ref(product.region),
        "category": _category_ref(product.category) if product.category else None,
        "shop": _shop_summary(product.shop),
        "price_fen": lowest,
        "price": format_fen(lowest) if lowest is not None else None,
        "in_stock": services.in_stock(product),
        "featured": product.featured,
        "image": _image(product.images[0]) if product.images else None,
        "url": site_url("catalogue.product", product_id=product.id, slug=product.slug),
        "api_url": site_url("api.product", product_id=product.id),
    }


def _variant(variant) -> dict:
    info = services.purchase_info(variant)
    return {
        "id": variant.id,
        "sku": variant.sku,
        "spec": _both(variant, "spec"),
        **_price(info.price_fen),
        "stock": info.stock,
        "available": info.available,
        "low_stock": info.low_stock,
        "weight_g": variant.weight_g,
    }


def _page_links(page: services.ProductPage, query: services.ListingQuery) -> dict:
    def link(number: int) -> str:
        values = {
            "region": query.region,
            "category": query.category,
            "shop": query.shop,
            "sort": None if query.sort == "featured" else query.sort,
            "per_page": None if query.per_page == services.PER_PAGE else query.per_page,
            "page": number,
        }
        return site_url(
            "api.products", **{key: value for key, value in values.items() if value is not None}
        )

    return {
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "self": link(page.page),
        "first": link(1),
        "last": link(page.pages),
        "prev": link(page.page - 1) if page.has_prev else None,
        "next": link(page.page + 1) if page.has_next else None,
    }


#: The query parameters of the product list; given, each needs a value.
LISTING_PARAMETERS = ("region", "category", "shop", "sort", "page", "per_page")


def refuse_empty(names: tuple[str, ...]) -> None:
    """A parameter given with no value is a 400 (leave it out for the default).

    :raises ApiError: naming the first empty one.
    """
    for name in names:
        if request.args.get(name, None) == "":
            raise ApiError(
                400, "bad_parameter", f"{name}: give a value, or leave the parameter out."
            )


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No public {what} has that address.")


@bp.get("/v1/regions")
def regions():
    """Every region in display order; partner countries have coming_soon true."""
    return {"regions": [_region(region) for region in services.regions()]}


@bp.get("/v1/regions/<slug>")
def region(slug: str):
    """One region with its story and its featured products in the organizer's order."""
    place = services.region_by_slug(slug)
    if place is None:
        raise _not_found("region")
    featured = services.featured_by_region(place).get(place.id, [])
    return {
        **_region(place),
        "story": _both(place, "story"),
        "featured": [_product_summary(product) for product in featured],
        "products_url": site_url("api.products", region=place.slug),
    }


@bp.get("/v1/products")
def products():
    """Public products, filtered by region, category and shop, sorted, one page at a time."""
    refuse_empty(LISTING_PARAMETERS)
    query = services.parse_listing(request.args, ("region", "category", "shop"))
    filters = {}
    if query.region:
        filters["region"] = services.region_by_slug(query.region)
    if query.category:
        filters["category"] = services.category_by_slug(query.category)
    if query.shop:
        filters["shop"] = services.public_shop(query.shop)
    for name, found in filters.items():
        if found is None:
            # Well-formed, but naming nothing public: like an unknown address, a 404.
            raise ApiError(
                404, "not_found", f"{name}: no public {name} has the slug {getattr(query, name)}."
            )
    page = services.list_products(query, **filters)
    if page.page > page.pages:
        raise ApiError(
            404, "not_found", f"The list has {page.pages} pages; page {page.page} is past its end."
        )
    return {
        "items": [_product_summary(product) for product in page.items],
        "pagination": _page_links(page, query),
    }


@bp.get("/v1/products/<int:product_id>")
def product(product_id: int):
    """One public product with its variants, pictures, region, shop and category."""
    item = services.public_product(product_id)
    if item is None:
        raise _not_found("product")
    return {
        **_product_summary(item),
        "description": _both(item, "description"),
        "tags": item.tag_list,
        "variants": [_variant(variant) for variant in item.variants],
        "images": [_image(image) for image in item.images],
        "qr_svg_url": site_url("catalogue.product_qr", product_id=item.id),
    }


@bp.get("/v1/shops/<slug>")
def shop(slug: str):
    """An exhibitor shop: story, region, masked phone, shipping rule and its first products."""
    seller = services.public_shop(slug)
    if seller is None:
        raise _not_found("shop")
    query = services.ListingQuery(shop=seller.slug)
    page = services.list_products(query, shop=seller)
    return {
        **_shop_summary(seller),
        "story": _both(seller, "story"),
        "region": _region(seller.region),
        "phone": services.masked_phone(seller.contact_phone) or None,
        "shipping_fee_fen": seller.shipping_fee_fen,
        "shipping_fee": format_fen(seller.shipping_fee_fen),
        "free_shipping_over_fen": seller.free_shipping_over_fen,
        "url": site_url("catalogue.shop", slug=seller.slug),
        "products": [_product_summary(product) for product in page.items],
        "pagination": _page_links(page, query),
    }


# ---- The OpenAPI description of the endpoints above -------------------------------------------


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
