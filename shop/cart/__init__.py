"""The cart: lines of variants for anonymous visitors and customers, merged at log-in."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Merge the visitor's cart into the customer's at log-in; give the header its cart count.

    Connecting again (every app the tests build) keeps one receiver: blinker keys them by function.
    """
    from flask_login import user_logged_in

    from shop.cart import current

    user_logged_in.connect(current.merge_cart_at_login)
    app.context_processor(current.cart_helpers)
