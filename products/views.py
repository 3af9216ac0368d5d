"""The public catalogue blueprint."""

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from sqlalchemy import select

from products import services
from products.images import rendition_name, rendition_widths
from products.models import Product, Region
from products.storage import image_store
from shop.extensions import db

bp = Blueprint("catalogue", __name__)

#: Content-addressed files never change, so browsers and proxies may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/")
def home():
    """The exhibition: every region with its featured products, then partner countries."""
    regions = db.session.scalars(select(Region).order_by(Region.position)).all()
    featured = db.session.scalars(
        services.public_products()
        .where(Product.featured.is_(True))
        .order_by(Product.region_id, Product.featured_position)
    ).all()
    by_region: dict[int, list[Product]] = {}
    for product in featured:
        by_region.setdefault(product.region_id, []).append(product)
    return render_template(
        "catalogue/home.html",
        regions=[region for region in regions if not region.coming_soon],
        partners=[region for region in regions if region.coming_soon],
        featured=by_region,
    )


@bp.get("/media/<name>")
def media(name: str):
    """Serve a stored image rendition with long-lived caching."""
    try:
        path = image_store().path(name)
    except ValueError:
        abort(404)
    if path is None or not name.endswith(".webp"):
        abort(404)
    response = send_file(path, mimetype="image/webp", conditional=True, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get("/products/<int:product_id>-<slug>")
@bp.get("/products/<int:product_id>")
def product(product_id: int, slug: str | None = None):
    """A product page; a wrong or missing slug redirects (301) to the canonical address."""
    item = db.session.scalars(
        services.public_products().where(Product.id == product_id)
    ).one_or_none()
    if item is None:
        abort(404)
    if slug != item.slug:
        return redirect(product_url(item), code=301)
    return render_template("catalogue/product.html", product=item)


@bp.app_template_global()
def product_url(product: Product, **kwargs) -> str:
    """The canonical address of a product page."""
    return url_for("catalogue.product", product_id=product.id, slug=product.slug, **kwargs)


@bp.app_template_global()
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


bp.add_app_template_global(services.lowest_price_fen, "lowest_price")
bp.add_app_template_global(services.in_stock, "product_in_stock")
bp.add_app_template_global(services.purchase_info, "purchase_info")
