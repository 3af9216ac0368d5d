"""The visitor's cart in a request: the customer's own, or the one named by the cart cookie.

The anonymous cart lives in its own cookie rather than the session, because log-in starts a fresh
session (against fixation) and the cart must survive it to be merged into the customer's cart.
"""

from datetime import timedelta

from flask import after_this_request, current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from shop.cart import services
from shop.cart.models import Cart
from shop.extensions import db

CART_COOKIE = "vm_cart"
CART_COOKIE_AGE = timedelta(days=30)


def _set_cart_cookie(token: str) -> None:
    @after_this_request
    def remember(response):
        response.set_cookie(
            CART_COOKIE,
            token,
            max_age=int(CART_COOKIE_AGE.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response


def _forget_cart_cookie() -> None:
    @after_this_request
    def forget(response):
        response.delete_cookie(CART_COOKIE, httponly=True, samesite="Lax")
        return response


def current_cart(create: bool = False, form_token: str | None = None) -> Cart | None:
    """This visitor's cart; with `create`, a new one when there is none. Flushes when creating.

    A visitor's first add-to-cart passes its form's one-time token: copies of that form sent
    at once then make one cart between them (services.cart_token_for_form).
    """
    cart = g.get("cart")
    if cart is not None or (not create and "cart" in g):
        return cart
    if current_user.is_authenticated:
        cart = services.cart_for_user(current_user.id, create=create)
    else:
        cart = services.cart_for_token(request.cookies.get(CART_COOKIE))
        if cart is None and create:
            token = None
            if form_token is not None:
                session_key = session.get(current_app.config["WTF_CSRF_FIELD_NAME"], "")
                token = services.cart_token_for_form(
                    form_token, current_app.secret_key, str(session_key)
                )
            cart = services.new_anonymous_cart(token)
            _set_cart_cookie(cart.token)
    g.cart = cart
    return cart


def cart_count() -> int:
    """Units in this visitor's cart, for the header (no query for a visitor without a cart)."""
    if "cart_count" in g:
        return g.cart_count
    count = 0
    if current_user.is_authenticated or request.cookies.get(CART_COOKIE):
        try:
            cart = current_cart()
            count = services.item_count(cart.id) if cart is not None else 0
        except SQLAlchemyError:
            # The header must render even on the error page of a database outage.
            db.session.rollback()
            count = 0
    g.cart_count = count
    return count


def merge_cart_at_login(_app, user, **_extra) -> None:
    """Move what the visitor put in the cart before logging in into the customer's cart."""
    if not has_request_context():
        return
    anonymous = services.cart_for_token(request.cookies.get(CART_COOKIE))
    if request.cookies.get(CART_COOKIE):
        _forget_cart_cookie()
    if anonymous is None:
        return
    if anonymous.lines:
        services.merge(anonymous, services.cart_for_user(user.id, create=True))
    else:
        db.session.delete(anonymous)
    # The log-in view commits nothing of its own; the merge is complete in itself.
    db.session.commit()
    g.pop("cart", None)
    g.pop("cart_count", None)


def cart_helpers():
    """The header's cart count, computed only when a page shows it."""
    return {"cart_count": cart_count}
