"""The cart: adding from product pages, quantities, flags, and merging at log-in."""

import re

from sqlalchemy import select, update

from products.models import Product, Variant
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from tests.forms import form_data, form_on, submit
from tests.shopping import add_to_cart, form_token, variant_id


def _cart_lines(app):
    with app.app_context():
        return [
            (line.variant_id, line.quantity, line.price_seen_fen)
            for line in db.session.scalars(select(CartLine).order_by(CartLine.id))
        ]


def _set_variant(app, variant: int, **values):
    with app.app_context():
        db.session.execute(update(Variant).where(Variant.id == variant).values(**values))
        db.session.commit()


def test_a_visitor_adds_to_the_cart_and_sees_the_price_from_the_database(app, client, make_product):
    product = make_product(price_fen=3990, stock=10)
    response = add_to_cart(client, variant_id(app, product), 2)
    assert response.status_code == 302
    assert "vm_cart=" in response.headers["Set-Cookie"]
    page = client.get("/cart").get_data(as_text=True)
    assert "测试商品" in page
    assert "¥79.80" in page
    assert re.search(r'class="cart-count">2<', page)


def test_a_price_sent_with_the_form_is_ignored(app, client, make_product):
    product = make_product(price_fen=3990, stock=10)
    add_to_cart(
        client, variant_id(app, product), 1, price_fen="1", price="0.01", unit_price_fen="1"
    )
    page = client.get("/cart").get_data(as_text=True)
    assert "¥39.90" in page
    assert "¥0.01" not in page
    assert _cart_lines(app)[0][2] == 3990


def test_without_a_token_the_visitor_confirms_before_anything_is_added(app, client, make_product):
    product = make_product()
    variant = variant_id(app, product)
    # What a cached product page sends when its script did not run: no token.
    response = client.post("/cart/add", data={"variant_id": variant, "quantity": 3})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "× 3" in page
    assert _cart_lines(app) == []
    form = form_on(page, "/cart/add")
    client.post(form.action, data=form_data(form))
    assert _cart_lines(app) == [(variant, 3, 3990)]


def test_the_product_page_offers_the_add_to_cart_form(app, client, make_product):
    product = make_product(price_fen=1200)
    page = client.get(f"/products/{product.id}-{product.slug}").get_data(as_text=True)
    form = re.search(
        r'<form class="add-to-cart" method="post" action="/cart/add".*?</form>', page, re.S
    )
    assert form, "no add-to-cart form on the product page"
    assert f'value="{variant_id(app, product)}"' in form.group(0)
    assert 'name="quantity"' in form.group(0)
    assert "js/add-to-cart.js" in page


def test_adding_more_than_the_stock_keeps_the_stock_and_says_so(app, client, make_product):
    product = make_product(stock=3)
    variant = variant_id(app, product)
    add_to_cart(client, variant, 2)
    add_to_cart(client, variant, 5, lang="en")
    assert _cart_lines(app) == [(variant, 3, 3990)]
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Only 3 can be bought at the moment." in page


def test_a_sold_out_variant_cannot_be_added(app, client, make_product):
    product = make_product(stock=0)
    response = add_to_cart(client, variant_id(app, product), 1)
    assert response.status_code == 302
    assert _cart_lines(app) == []


def test_a_draft_listing_cannot_be_added(app, client, make_product):
    product = make_product(status="draft")
    add_to_cart(client, variant_id(app, product), 1)
    assert _cart_lines(app) == []


def test_a_practice_shops_product_cannot_be_added(app, client, make_product, make_shop):
    product = make_product(shop=make_shop(kind="practice"))
    add_to_cart(client, variant_id(app, product), 1)
    assert _cart_lines(app) == []


def test_an_unknown_variant_is_a_404(client):
    # Hand-made on purpose: no page offers this variant.
    response = client.post("/cart/add", data={"variant_id": "999999", "quantity": 1})
    assert response.status_code == 404


def test_quantities_can_be_changed_and_lines_removed(app, client, make_product):
    first, second = make_product(), make_product()
    add_to_cart(client, variant_id(app, first), 1)
    add_to_cart(client, variant_id(app, second), 1)
    with app.app_context():
        line_ids = list(db.session.scalars(select(CartLine.id).order_by(CartLine.id)))
    submit(client, "/cart", f"/cart/lines/{line_ids[0]}", {"quantity": "4"})
    submit(client, "/cart", f"/cart/lines/{line_ids[1]}/remove")
    assert _cart_lines(app) == [(variant_id(app, first), 4, 3990)]
    submit(client, "/cart", f"/cart/lines/{line_ids[0]}", {"quantity": "0"})
    assert _cart_lines(app) == []


def test_a_quantity_is_capped_at_99(app, client, make_product):
    product = make_product(stock=500)
    add_to_cart(client, variant_id(app, product), 1000)
    assert _cart_lines(app)[0][1] == 99


def test_another_visitors_line_cannot_be_changed(app, client, make_product):
    product = make_product()
    add_to_cart(client, variant_id(app, product), 1)
    with app.app_context():
        line_id = db.session.scalar(select(CartLine.id))
    stranger = app.test_client()
    add_to_cart(stranger, variant_id(app, make_product()), 1)
    # The stranger's cart shows no form for this line: forged posts with their own token.
    stranger.post(
        f"/cart/lines/{line_id}", data={"quantity": "7", "csrf_token": form_token(stranger)}
    )
    stranger.post(f"/cart/lines/{line_id}/remove", data={"csrf_token": form_token(stranger)})
    assert (variant_id(app, product), 1, 3990) in _cart_lines(app)


def test_sold_out_and_short_lines_are_flagged_and_block_checkout(app, client, make_product):
    short, gone = make_product(stock=5), make_product(stock=5)
    add_to_cart(client, variant_id(app, short), 4)
    add_to_cart(client, variant_id(app, gone), 1)
    _set_variant(app, variant_id(app, short), stock=2)
    _set_variant(app, variant_id(app, gone), stock=0)
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Only 2 left: lower the quantity to check out." in page
    assert "Sold out: remove it to check out." in page
    assert 'href="/checkout"' not in page
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")


def test_an_unpublished_listing_is_flagged(app, client, make_product):
    product = make_product()
    add_to_cart(client, variant_id(app, product), 1)
    with app.app_context():
        db.session.execute(update(Product).where(Product.id == product.id).values(status="draft"))
        db.session.commit()
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "No longer for sale: remove it to check out." in page


def test_a_changed_price_is_flagged_until_the_buyer_confirms_the_line(app, client, make_product):
    product = make_product(price_fen=3990)
    variant = variant_id(app, product)
    add_to_cart(client, variant, 1)
    _set_variant(app, variant, price_fen=4590)
    page = client.get("/cart?lang=en").get_data(as_text=True)
    assert "Price changed from ¥39.90 to ¥45.90." in page
    assert "¥45.90" in page
    with app.app_context():
        line_id = db.session.scalar(select(CartLine.id))
    submit(client, "/cart", f"/cart/lines/{line_id}", {"quantity": "1"})
    assert "Price changed" not in client.get("/cart?lang=en").get_data(as_text=True)


def _log_in(client, email: str) -> None:
    response = submit(
        client, "/login", changes={"email": email, "password": "correct horse battery"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_anonymous_cart_merges_into_the_customers_cart_at_log_in(
    app, client, make_product, make_user
):
    customer = make_user("customer")
    kept, both, new = make_product(), make_product(), make_product()
    # The customer's own cart from an earlier visit.
    earlier = app.test_client()
    _log_in(earlier, customer.email)
    add_to_cart(earlier, variant_id(app, kept), 1)
    add_to_cart(earlier, variant_id(app, both), 2)
    # Today, not logged in yet, on another device.
    add_to_cart(client, variant_id(app, both), 3)
    add_to_cart(client, variant_id(app, new), 1)
    _log_in(client, customer.email)
    with app.app_context():
        carts = db.session.scalars(select(Cart)).all()
        assert [cart.user_id for cart in carts] == [customer.id]
    assert sorted((v, q) for v, q, _ in _cart_lines(app)) == sorted(
        [(variant_id(app, kept), 1), (variant_id(app, both), 5), (variant_id(app, new), 1)]
    )
    page = client.get("/cart").get_data(as_text=True)
    assert re.search(r'class="cart-count">7<', page)


def test_log_in_without_an_anonymous_cart_leaves_the_customers_cart_alone(
    app, client, make_product, make_user
):
    customer = make_user("customer")
    product = make_product()
    earlier = app.test_client()
    _log_in(earlier, customer.email)
    add_to_cart(earlier, variant_id(app, product), 2)
    _log_in(client, customer.email)
    assert _cart_lines(app) == [(variant_id(app, product), 2, 3990)]
