"""The JSON shapes the API answers with, shared by its endpoints: catalogue objects and errors.

Names and stories come in both languages ({"zh": ..., "en": ...}); prices as integer fen with the
formatted string beside them; images as absolute URLs per width. shop.api.openapi documents
every shape, and the tests validate real responses against it.
"""

from flask import request

from products import services
from products.addresses import site_url
from products.images import rendition_name, rendition_widths
from products.models import Product, Region, Shop
from shop.money import format_fen

#: What the document allows for in_stock (the search page also takes true, yes and on).
IN_STOCK = ("0", "1")


class ApiError(Exception):
    """An answer other than 200, as the documented error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: Extra response headers, e.g. Retry-After on a 503.
        self.headers = headers or {}


def bilingual(obj, field: str) -> dict:
    return {"zh": getattr(obj, f"{field}_zh") or "", "en": getattr(obj, f"{field}_en") or ""}


def price_fields(fen: int) -> dict:
    return {"price_fen": fen, "price": format_fen(fen)}


def image_shape(image) -> dict:
    return {
        "width": image.width,
        "height": image.height,
        "urls": {
            str(width): site_url("catalogue.media", name=rendition_name(image.key, width))
            for width in rendition_widths(image.width)
        },
    }


def region_ref(region: Region) -> dict:
    return {
        "slug": region.slug,
        "name": bilingual(region, "name"),
        "api_url": site_url("api.region", slug=region.slug),
    }


def category_ref(category) -> dict:
    return {"slug": category.slug, "name": bilingual(category, "name")}


def shop_summary(shop: Shop) -> dict:
    return {
        "slug": shop.slug,
        "name": bilingual(shop, "name"),
        "api_url": site_url("api.shop", slug=shop.slug),
    }


def product_summary(product: Product) -> dict:
    lowest = services.lowest_price_fen(product)
    return {
        "id": product.id,
        "slug": product.slug,
        "title": bilingual(product, "title"),
        "region": region_ref(product.region),
        "category": category_ref(product.category) if product.category else None,
        "shop": shop_summary(product.shop),
        "price_fen": lowest,
        "price": format_fen(lowest) if lowest is not None else None,
        "in_stock": services.in_stock(product),
        "featured": product.featured,
        "image": image_shape(product.ready_images[0]) if product.ready_images else None,
        "url": site_url("catalogue.product", product_id=product.id, slug=product.slug),
        "api_url": site_url("api.product", product_id=product.id),
    }


def refuse_empty(names: tuple[str, ...]) -> None:
    """A parameter given with no value is a 400 (leave it out for the default).

    :raises ApiError: naming the first empty one.
    """
    for name in names:
        if request.args.get(name, None) == "":
            raise ApiError(
                400, "bad_parameter", f"{name}: give a value, or leave the parameter out."
            )
