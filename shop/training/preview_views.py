"""A practice shop's private preview storefront at /practice/<token>, marked as practice.

Anyone with the link (classmates, the trainer) may look; nothing here can be bought, and the
pages stay out of search engines and shared caches. A wrong token, or an exhibitor shop's, is a
404 like any unknown page.
"""

from flask import Blueprint, abort, render_template, url_for

from shop.training import services

bp = Blueprint("practice_preview", __name__, url_prefix="/practice")


@bp.after_request
def keep_private(response):
    """Never indexed, never kept by a shared cache (the address is the only key)."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _shop_or_404(token: str):
    shop = services.preview_shop(token)
    if shop is None:
        abort(404)
    return shop


@bp.get("/<token>")
def shop(token: str):
    """The practice shop's front: name, logo, story and its published listings as cards."""
    practice = _shop_or_404(token)

    def preview_product_url(product, **kwargs) -> str:
        return url_for("practice_preview.product", token=token, product_id=product.id, **kwargs)

    return render_template(
        "training/preview_shop.html",
        shop=practice,
        products=services.published_products(practice),
        # The catalogue's cards link with product_url(); here they open the preview's pages.
        product_url=preview_product_url,
    )


@bp.get("/<token>/products/<int:product_id>")
def product(token: str, product_id: int):
    """A published listing of the practice shop: photos, variants, prices, description."""
    practice = _shop_or_404(token)
    item = services.published_product(practice, product_id)
    if item is None:
        abort(404)
    return render_template(
        "training/preview_product.html", shop=practice, product=item, token=token
    )
