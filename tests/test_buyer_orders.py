"""After buying: the confirmation page, the address kept for another try, finding the orders
again (header, footer, account page), and a guest's orders joining the account they make."""

import re

import pytest
from sqlalchemy import select

from products.models import ProductImage
from shop.extensions import db
from shop.orders.models import Order
from tests.forms import submit
from tests.shopping import (
    ADDRESS,
    add_to_cart,
    checkout_page,
    orders_of,
    pay_with_card,
    payment_token,
    place_order,
    variant_id,
)
from tests.test_accounts import NEW_PASSWORD, PASSWORD, log_in, sign_up


@pytest.fixture
def pears(app, make_product, make_shop):
    """A ¥39.90 product with a picture, from a shop that dispatches within 3 days."""
    shop = make_shop(name_zh="砀山梨园", name_en="Dangshan Pear Garden", dispatch_days=3)
    product = make_product(shop=shop, stock=5, price_fen=3990)
    with app.app_context():
        db.session.add(ProductImage(product_id=product.id, key="pear" * 8, width=1600, height=1200))
        db.session.commit()
    return product


def _buy(app, client, product, card="4242 4242 4242 4242", **changes) -> str:
    add_to_cart(client, variant_id(app, product), 2)
    token = payment_token(place_order(client, **changes))
    pay_with_card(client, token, card)
    return token


def _session(app, client) -> str:
    """What this browser's session cookie holds, decoded (it is signed, not encrypted)."""
    cookie = client.get_cookie("session")
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_the_checkout_page_is_titled_confirm_your_order(app, client, pears):
    add_to_cart(client, variant_id(app, pears), 1)
    chinese = client.get("/checkout").get_data(as_text=True)
    assert "<h1>确认订单</h1>" in chinese and "<title>确认订单" in chinese
    assert "<h1>Confirm your order</h1>" in client.get("/checkout?lang=en").get_data(as_text=True)


def test_the_confirmation_page_shows_what_was_bought_who_sends_it_and_when(app, client, pears):
    token = _buy(app, client, pears)
    page = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    order = orders_of(app, token)[0]
    assert order.number in page
    # The product's picture as a responsive WebP thumbnail.
    assert re.search(r'<img src="/media/[^"]+\.webp" srcset="[^"]+ \d+w', page)
    assert 'sizes="64px"' in page
    assert "Dangshan Pear Garden" in page and "/shops/" in page
    assert ADDRESS["street"] in page and ADDRESS["contact_name"] in page
    assert "Expected dispatch: by " in page
    assert "Continue shopping" in page
    assert "Keep the order numbers" not in page
    assert "The order details below were also sent to buyer@example.test." in page
    chinese = client.get(f"/checkout/done/{token}").get_data(as_text=True)
    assert "继续逛逛" in chinese and "预计发货" in chinese and "查询订单" in chinese


def test_before_payment_the_page_says_dispatch_follows_payment(app, client, pears):
    add_to_cart(client, variant_id(app, pears), 1)
    token = payment_token(place_order(client))
    page = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    assert "Expected dispatch: within 3 days of payment" in page


def test_the_confirmation_page_takes_a_fixed_number_of_queries(
    app, client, pears, make_product, count_queries
):
    small = count_queries(client, f"/checkout/done/{_buy(app, client, pears)}")
    other = app.test_client()
    add_to_cart(other, variant_id(app, pears), 1)
    for _ in range(3):
        add_to_cart(other, variant_id(app, make_product()), 1)
    token = payment_token(place_order(other))
    assert count_queries(other, f"/checkout/done/{token}") == small


def test_a_guest_back_at_checkout_finds_the_address_filled_but_not_in_the_cookie(
    app, client, pears
):
    add_to_cart(client, variant_id(app, pears), 1)
    token = payment_token(place_order(client, contact_name="李四", street="幸福路 8 号"))
    done = f"/checkout/done/{token}"
    submit(client, done, f"{done}/cancel")
    submit(client, done, f"{done}/again")
    form = checkout_page(client)[0].get_data(as_text=True)
    assert 'value="李四"' in form
    assert 'value="幸福路 8 号"' in form
    assert 'value="13812345678"' in form or 'value="138 1234 5678"' in form
    assert 'value="buyer@example.test"' in form
    session = _session(app, client)
    for private in ("李四", "幸福路", "13812345678", "buyer@example.test"):
        assert private not in session


def test_signed_in_buyers_find_my_orders_in_the_header_and_on_the_account_page(
    app, make_user, login_as
):
    client = login_as(make_user("customer"))
    home = client.get("/?lang=en").get_data(as_text=True)
    header = home.split("</header>")[0]
    assert '<a href="/orders">My orders</a>' in header
    assert 'href="/orders"' in client.get("/account?lang=en").get_data(as_text=True)
    assert "我的订单" in client.get("/").get_data(as_text=True).split("</header>")[0]


def test_every_page_links_the_order_lookup_in_the_footer(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    footer = page.split("<footer")[1]
    assert '<a href="/orders/find">Find an order</a>' in footer
    assert "查询订单" in client.get("/").get_data(as_text=True).split("<footer")[1]
    assert "My orders" not in page.split("</header>")[0]


def test_a_guest_is_offered_an_account_that_keeps_the_orders(app, client, pears):
    token = _buy(app, client, pears)
    page = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    assert "Keep your orders in an account" in page
    signup = client.get("/signup").get_data(as_text=True)
    assert 'value="buyer@example.test"' in signup
    response = sign_up(client, email="Buyer@Example.test")
    assert response.status_code == 302
    assert "next=/orders" in response.headers["Location"].replace("%2F", "/")
    mine = client.get("/orders?lang=en").get_data(as_text=True)
    assert orders_of(app, token)[0].number in mine
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.buyer is not None and order.buyer.email == "buyer@example.test"


def test_logging_in_with_the_order_email_adopts_the_orders_placed_here(
    app, client, pears, make_user
):
    make_user("customer", email="buyer@example.test")
    token = _buy(app, client, pears)
    response = log_in(client, "buyer@example.test", PASSWORD)
    assert response.headers["Location"].endswith("/orders")
    assert orders_of(app, token)[0].buyer_id is not None


def test_another_browser_finds_an_empty_form(app, client, pears):
    """The filled form comes from this browser's session, never from a shared place."""
    _buy(app, client, pears, contact_name="李四")
    add_to_cart(client, variant_id(app, pears), 1)
    assert 'value="李四"' in checkout_page(client)[0].get_data(as_text=True)
    stranger = app.test_client()
    add_to_cart(stranger, variant_id(app, pears), 1)
    assert "李四" not in checkout_page(stranger)[0].get_data(as_text=True)


def test_only_the_orders_placed_here_with_the_accounts_email_are_adopted(app, client, pears):
    mine = _buy(app, client, pears, email="other@example.test")
    not_mine = _buy(app, client, pears)  # buyer@example.test, as a shared phone's next user
    sign_up(client, email="other@example.test")
    assert orders_of(app, mine)[0].buyer_id is not None
    assert orders_of(app, not_mine)[0].buyer_id is None


def test_the_email_or_a_lookup_elsewhere_adopts_nothing_the_placing_browser_does(
    app, client, pears
):
    token = _buy(app, client, pears)
    number = orders_of(app, token)[0].number
    # Another browser proves the order with number and phone digits, then signs up with its
    # email: the email is not proven, and a lookup is not the purchase, so nothing moves.
    finder = app.test_client()
    submit(finder, "/orders/find", changes={"number": number, "last4": "5678"})
    assert finder.get(f"/orders/{number}").status_code == 200
    sign_up(finder, email="buyer@example.test")
    assert orders_of(app, token)[0].buyer_id is None
    assert number not in finder.get("/orders").get_data(as_text=True)
    # The browser that placed it logs in to that account: now the order joins it.
    log_in(client, "buyer@example.test", NEW_PASSWORD)
    assert orders_of(app, token)[0].buyer_id is not None
    assert number in client.get("/orders").get_data(as_text=True)
