"""Who may use the seller workspace's pages, and the current seller's own products.

Shared by every page of the workspace (listings, home board, discounts, orders, share kit).
"""

from functools import wraps

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from products.models import Product
from shop.accounts.auth import role_required
from shop.accounts.models import Role
from shop.sellers import services


def shop_required(view):
    """Seller role required (else 403), and an open shop (else on to the form that opens one)."""

    @wraps(view)
    @role_required(Role.EXHIBITOR, Role.TRAINEE)
    def wrapped(*args, **kwargs):
        g.shop = services.shop_of(current_user)
        if g.shop is None:
            flash(_("First, open your shop."))
            return redirect(url_for("sellers.shop"))
        return view(*args, **kwargs)

    return wrapped


def own_product_or_404(product_id: int) -> Product:
    """One of the current seller's products; any other id is a 404."""
    try:
        return services.own_product(g.shop, product_id)
    except services.NotYours:
        abort(404)
