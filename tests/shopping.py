"""Helpers for the cart, checkout, payment and order tests: what a buyer's browser would send."""

import re

from sqlalchemy import select

from bench.http_buyer import ADDRESS
from shop.extensions import db
from tests.forms import form_data, form_on, submit
from tests.helpers import csrf_token


def variant_id(app, product) -> int:
    """The id of a product's first variant."""
    from products.models import Variant

    with app.app_context():
        return db.session.scalar(
            select(Variant.id).where(Variant.product_id == product.id).order_by(Variant.id)
        )


def form_token(client) -> str:
    """This browser's CSRF token, as the add-to-cart script fetches it."""
    return client.get("/cart/form-token").get_json()["csrf_token"]


def add_to_cart(client, variant: int, quantity: int = 1, lang: str = "", **extra):
    """Post the product page's add-to-cart form (with the token the page script adds)."""
    data = {"variant_id": variant, "quantity": quantity, "csrf_token": form_token(client)}
    data.update(extra)
    return client.post("/cart/add" + (f"?lang={lang}" if lang else ""), data=data)


def checkout_page(client):
    """GET the checkout form; returns (response, CSRF token, quote)."""
    response = client.get("/checkout")
    html = response.get_data(as_text=True)
    quote = re.search(r'name="quote" type="hidden" value="([^"]*)"', html)
    return response, csrf_token(html), quote.group(1) if quote else ""


def place_order(client, page=None, **changes):
    """Fill in and send the checkout form; returns the response (a redirect to pay when placed).

    The form is read from `page`, a checkout page opened earlier, else from a fresh one; the
    address is typed in, then `changes` (None leaves a field out).
    """
    page = page or client.get("/checkout")
    form = form_on(page.get_data(as_text=True), "/checkout", "/checkout")
    url = form.action or page.request.full_path.rstrip("?")  # the page's own address
    return client.post(url, data=form_data(form, {**ADDRESS, **changes}))


def payment_token(response) -> str:
    """The payment token from the redirect after placing an order."""
    match = re.search(r"/payments/([^/]+)/pay", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def pay_with_card(client, token: str, card: str = "4242 4242 4242 4242", lang: str = ""):
    """Go to the sandbox page and pay with a test card; returns the response to the card form."""
    card_form = {
        "card_number": card,
        "expiry": "12/34",
        "cvc": "123",
        "cardholder": "WANG XIAOMING",
    }
    page = f"/payments/sandbox/{token}"
    return submit(client, page + (f"?lang={lang}" if lang else ""), page, card_form)


def buy(client, variant: int, quantity: int = 1, card: str = "4242 4242 4242 4242") -> str:
    """Add, check out and pay; returns the payment token."""
    add_to_cart(client, variant, quantity)
    token = payment_token(place_order(client))
    pay_with_card(client, token, card)
    return token


def orders_of(app, token: str):
    """The orders of a payment, fresh from the database (lines and events loaded)."""
    from sqlalchemy.orm import selectinload

    from shop.orders.models import Order
    from shop.payments.models import Payment

    with app.app_context():
        orders = db.session.scalars(
            select(Order)
            .join(Payment)
            .where(Payment.token == token)
            .options(selectinload(Order.lines), selectinload(Order.events))
            .order_by(Order.id)
        ).all()
        for order in orders:
            db.session.expunge(order)
        return list(orders)


def stock_of(app, variant: int) -> int:
    """A variant's stock now."""
    from products.models import Variant

    with app.app_context():
        return db.session.scalar(select(Variant.stock).where(Variant.id == variant))
