"""What the share kit shares: the addresses its QR codes lead to, and the kit's page.

Shared by the kit's own routes (shop.training.share), the trainee's lesson page and every
listing's page (templates call share_links).
"""

import hashlib

from flask import render_template, url_for

from products.addresses import site_url
from products.models import Product, ProductStatus, Shop
from shop.extensions import db
from shop.training import checks, services


def ready_to_share(shop: Shop) -> None:
    """A practice shop opened before previews existed gets its preview token now (commits)."""
    if shop.is_practice and not shop.preview_token:
        services.ensure_preview_token(shop)
        db.session.commit()


def shop_address(shop: Shop) -> str:
    """Where the shop's QR code leads: the practice preview, or the public shop page."""
    if shop.is_practice:
        return site_url("practice_preview.shop", token=shop.preview_token)
    return site_url("catalogue.shop", slug=shop.slug)


def product_address(product: Product) -> str:
    """Where a listing's QR code and poster lead: its practice preview or its public page."""
    shop = product.shop
    if shop.is_practice:
        return site_url("practice_preview.product", token=shop.preview_token, product_id=product.id)
    return site_url("catalogue.product", product_id=product.id, slug=product.slug)


def version(product: Product) -> str:
    """Part of a share picture's address that changes with what the poster shows, so that a
    saved page never shows yesterday's poster (the pictures themselves are never cached)."""
    drawn = (
        product.updated_at,
        product.title_zh,
        product.title_en,
        [(variant.id, variant.price_fen) for variant in product.variants],
        product.ready_images[0].key if product.ready_images else None,
        product.shop.name_zh,
        product.shop.name_en,
    )
    return hashlib.blake2s(repr(drawn).encode(), digest_size=6).hexdigest()


def share_links(product: Product) -> dict[str, str | None] | None:
    """The addresses of a listing's poster and QR codes, or None while it is not published."""
    if product.status != ProductStatus.PUBLISHED:
        return None
    v = version(product)
    # A practice shop gets its preview token when a share picture is first asked for; until
    # then (a page render does not write) there is no preview address to show yet.
    unready = product.shop.is_practice and not product.shop.preview_token
    return {
        # The cover photo's renditions are still being made: a poster drawn now would lack it.
        "preparing": bool(product.images) and product.images[0].state == "processing",
        "page": None if unready else product_address(product),
        "poster": url_for("share.poster", product_id=product.id, v=v),
        "qr_png": url_for("share.product_qr_png", product_id=product.id, v=v),
        "qr_svg": url_for("share.product_qr_svg", product_id=product.id, v=v),
    }


def kit_page(shop: Shop) -> str:
    """The share kit: the shop's QR code, and each published listing's poster and QR codes."""
    ready_to_share(shop)
    if shop.is_practice:
        checks.share_kit_opened(shop)
        db.session.commit()
    return render_template(
        "training/share.html",
        shop=shop,
        shop_url=shop_address(shop),
        products=services.published_products(shop),
    )
