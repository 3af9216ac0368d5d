"""Catalogue endpoints of the JSON API: regions, products and shops for mini-program front ends.

Responses are built from shop.api.shapes; shop.api.openapi documents them. create_app imports
this module before registering the API's blueprint.
"""

from flask import request

from products import services
from products.addresses import site_url
from products.models import Region
from shop.api import bp
from shop.api.shapes import (
    ApiError,
    bilingual,
    image_shape,
    price_fields,
    product_summary,
    refuse_empty,
    shop_summary,
)
from shop.money import format_fen


def _region(region: Region) -> dict:
    return {
        "slug": region.slug,
        "name": bilingual(region, "name"),
        "province": bilingual(region, "province"),
        "latitude": region.latitude,
        "longitude": region.longitude,
        "coming_soon": region.coming_soon,
        "url": None if region.coming_soon else site_url("catalogue.region", slug=region.slug),
        "api_url": site_url("api.region", slug=region.slug),
    }


def _variant(variant) -> dict:
    info = services.purchase_info(variant)
    return {
        "id": variant.id,
        "sku": variant.sku,
        "spec": bilingual(variant, "spec"),
        **price_fields(info.price_fen),
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
        "story": bilingual(place, "story"),
        "featured": [product_summary(product) for product in featured],
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
        "items": [product_summary(product) for product in page.items],
        "pagination": _page_links(page, query),
    }


@bp.get("/v1/products/<int:product_id>")
def product(product_id: int):
    """One public product with its variants, pictures, region, shop and category."""
    item = services.public_product(product_id)
    if item is None:
        raise _not_found("product")
    return {
        **product_summary(item),
        "description": bilingual(item, "description"),
        "tags": item.tag_list,
        "variants": [_variant(variant) for variant in item.variants],
        "images": [image_shape(image) for image in item.ready_images],
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
        **shop_summary(seller),
        "story": bilingual(seller, "story"),
        "region": _region(seller.region),
        "phone": services.masked_phone(seller.contact_phone) or None,
        "shipping_fee_fen": seller.shipping_fee_fen,
        "shipping_fee": format_fen(seller.shipping_fee_fen),
        "free_shipping_over_fen": seller.free_shipping_over_fen,
        "url": site_url("catalogue.shop", slug=seller.slug),
        "products": [product_summary(product) for product in page.items],
        "pagination": _page_links(page, query),
    }
