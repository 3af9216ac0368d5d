"""Addresses of the catalogue's pages and images: absolute, canonical, per language.

Shared by the catalogue's pages, the JSON API, the share kit and every template (shop.templating
registers the ones templates call).
"""

from flask import current_app, request, url_for

from products import services
from products.images import rendition_name, rendition_widths, thumbnail_name
from products.models import Product


def site_url(endpoint: str, **values) -> str:
    """An absolute address on this site: SITE_URL when configured, else the request's host."""
    base = current_app.config.get("SITE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def named_language() -> str | None:
    """The language this address names with ?lang=, or None when it leaves the choice open."""
    choice = request.args.get("lang")
    return choice if choice in current_app.config["LANGUAGES"] else None


def page_links(endpoint: str, **values) -> dict[str, str]:
    """Canonical and hreflang addresses of a page, built from its validated parameters only.

    Each address is its own canonical: ?lang=zh and ?lang=en are the two language versions,
    and the address without a language (x-default) chooses one for the visitor. A canonical
    pointing from one of these to another would tell search engines that the alternates they
    are given are duplicates of each other.
    """
    values = meaningful(values)
    language = named_language()
    return {
        "canonical": site_url(endpoint, **values, **({"lang": language} if language else {})),
        "zh": site_url(endpoint, **values, lang="zh"),
        "en": site_url(endpoint, **values, lang="en"),
        "default": site_url(endpoint, **values),
    }


def meaningful(values: dict) -> dict:
    """URL values without empty filters or page 1 (one address per page, not three)."""
    return {
        key: value
        for key, value in values.items()
        if value not in (None, "") and not (key == "page" and value == 1)
    }


def listing_values(query: services.ListingQuery) -> dict:
    return {
        "category": query.category,
        "sort": None if query.sort == "featured" else query.sort,
        "page": query.page,
    }


def site_image(image) -> str:
    """Absolute address of an image's middle rendition (for link-preview cards)."""
    widths = rendition_widths(image.width)
    width = 800 if 800 in widths else widths[-1]
    return site_url("catalogue.media", name=rendition_name(image.key, width))


def product_url(product: Product, **kwargs) -> str:
    """The canonical address of a product page."""
    return url_for("catalogue.product", product_id=product.id, slug=product.slug, **kwargs)


def listing_url(query: services.ListingQuery, **changes) -> str:
    """This listing's address with some parameters changed (for sort and page links)."""
    values = meaningful({**listing_values(query), **changes})
    return url_for(request.endpoint, **(request.view_args or {}), **values)


def image_sources(image) -> dict[str, str]:
    """src and srcset of an image's stored WebP renditions."""
    widths = rendition_widths(image.width)
    fallback = widths[1] if len(widths) > 1 else widths[0]
    return {
        "src": url_for("catalogue.media", name=rendition_name(image.key, fallback)),
        "srcset": ", ".join(
            f"{url_for('catalogue.media', name=rendition_name(image.key, width))} {width}w"
            for width in widths
        ),
    }


def thumbnail_url(key: str) -> str:
    """Address of the square thumbnail of a stored photo or logo."""
    return url_for("catalogue.media", name=thumbnail_name(key))
