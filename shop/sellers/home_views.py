"""The seller's home board at /sell/: the to-do list of a working day.

The route joins the workspace's blueprint (its endpoint stays `sellers.home`, which the header
links to); create_app imports this module before registering that blueprint.
"""

from flask import g, render_template
from flask_login import current_user

from shop.sellers import home
from shop.sellers.access import shop_required
from shop.sellers.blueprint import bp


@bp.get("/", endpoint="home")
@shop_required
def home_board():
    """What waits for the seller: orders to ship, messages, refunds, stock, sales, listings."""
    return render_template(
        "sellers/home.html",
        shop=g.shop,
        board=home.board(current_user, g.shop),
        good_quality=home.GOOD_QUALITY,
        min_stock=home.min_stock,
    )
