"""What catalogue templates show beyond a field: order and stock labels, schema.org data."""

from flask_babel import gettext as _

from products import services
from products.models import Product
from shop.money import fen_to_decimal_text


def product_json_ld(product: Product, url: str, image_url: str | None) -> dict:
    """schema.org Product data with one Offer per variant (price, currency, availability)."""
    offers = []
    for variant in product.variants:
        info = services.purchase_info(variant)
        offers.append(
            {
                "@type": "Offer",
                "name": variant.localized("spec"),
                "sku": variant.sku or str(variant.id),
                "price": fen_to_decimal_text(info.price_fen),
                "priceCurrency": "CNY",
                "availability": "https://schema.org/InStock"
                if info.available
                else "https://schema.org/OutOfStock",
                "url": url,
            }
        )
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.localized("title"),
        "description": product.localized("description"),
        "url": url,
        "brand": {"@type": "Brand", "name": product.shop.localized("name")},
        "offers": offers,
    }
    if product.category is not None:
        data["category"] = product.category.localized("name")
    if image_url:
        data["image"] = [image_url]
    return data


def sort_label(sort: str) -> str:
    """The visitor-facing name of a listing order."""
    return {
        "featured": _("Featured first"),
        "newest": _("Newest"),
        "price_asc": _("Price: low to high"),
        "price_desc": _("Price: high to low"),
    }[sort]


def stock_label(info: services.PurchaseInfo) -> str:
    """'Sold out', 'Only 3 left' or 'In stock' for a variant's purchase info."""
    if not info.available:
        return _("Sold out")
    if info.low_stock:
        return _("Only %(count)d left", count=info.stock)
    return _("In stock")
