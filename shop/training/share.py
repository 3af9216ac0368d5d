"""The share kit: QR codes and share posters of a seller's own published listings.

One piece of code serves every seller. A trainee's practice shop shares its private preview
pages, and its posters are marked as practice; an exhibitor's shop shares its public pages.
The kit's page is /sell/share for any seller (/train/share, the trainee's lesson, shows the
same page), and each listing's page carries its poster (templates/sellers/_share_kit.html).

Posters are shown inline as well as offered for download: WeChat's own browser does not download
files, but a person can press and hold an image to save it.
"""

from flask import Blueprint, Response, abort, g
from flask_babel import gettext as _

from products.images import qr_png, qr_svg, render_share_poster, rendition_name, rendition_widths
from products.models import Product
from products.services import lowest_price_fen
from products.storage import image_store
from shop.money import format_fen
from shop.sellers.access import shop_required
from shop.training import services
from shop.training.sharing import kit_page, product_address, ready_to_share, shop_address

bp = Blueprint("share", __name__, url_prefix="/sell/share")

#: The mark printed over a practice poster's cover (both languages: classmates read either).
PRACTICE_MARK = "练习店铺 · Practice shop"


# --- The kit's page ---------------------------------------------------------------------------


@bp.get("")
@shop_required
def index():
    """The share kit of the current seller's shop (practice or real)."""
    return kit_page(g.shop)


# --- Pictures ---------------------------------------------------------------------------------


def _own_published_or_404(product_id: int) -> Product:
    ready_to_share(g.shop)
    product = services.published_product(g.shop, product_id)
    if product is None:
        abort(404)
    return product


def _picture(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    # Inline, so that pages can show it and a press-and-hold saves it; the name is for downloads.
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/qr.png")
@shop_required
def shop_qr_png():
    """The shop's address as a QR code (PNG)."""
    ready_to_share(g.shop)
    return _picture(qr_png(shop_address(g.shop)), "image/png", "shop-qr.png")


@bp.get("/qr.svg")
@shop_required
def shop_qr_svg():
    """The shop's address as a QR code (SVG, for printing large)."""
    ready_to_share(g.shop)
    return _picture(qr_svg(shop_address(g.shop)), "image/svg+xml", "shop-qr.svg")


@bp.get("/products/<int:product_id>/qr.png")
@shop_required
def product_qr_png(product_id: int):
    """A published listing's address as a QR code (PNG); any other id is a 404."""
    product = _own_published_or_404(product_id)
    return _picture(qr_png(product_address(product)), "image/png", f"{product.slug}-qr.png")


@bp.get("/products/<int:product_id>/qr.svg")
@shop_required
def product_qr_svg(product_id: int):
    """A published listing's address as a QR code (SVG); any other id is a 404."""
    product = _own_published_or_404(product_id)
    return _picture(qr_svg(product_address(product)), "image/svg+xml", f"{product.slug}-qr.svg")


def _cover_bytes(product: Product) -> bytes | None:
    """The stored cover photo at its largest width, or None without one."""
    if not product.ready_images:
        return None
    cover = product.ready_images[0]
    return image_store().read(rendition_name(cover.key, rendition_widths(cover.width)[-1]))


def _price_text(product: Product) -> str:
    lowest = lowest_price_fen(product)
    if lowest is None:
        return ""
    # As the catalogue's cards say it: "from" when there is more than one size to choose.
    if len(product.variants) > 1:
        return _("from %(price)s", price=format_fen(lowest))
    return format_fen(lowest)


@bp.get("/products/<int:product_id>/poster.png")
@shop_required
def poster(product_id: int):
    """A published listing's share poster (PNG) to save and post; any other id is a 404."""
    product = _own_published_or_404(product_id)
    png = render_share_poster(
        _cover_bytes(product),
        product.localized("title"),
        _price_text(product),
        g.shop.localized("name"),
        product_address(product),
        mark=PRACTICE_MARK if g.shop.is_practice else "",
        hint=_("Scan the code to see this product"),
    )
    return _picture(png, "image/png", f"{product.slug}-poster.png")
