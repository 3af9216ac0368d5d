"""A double tap is one action: the same form, sent several times at once with the same cookies,
has exactly one effect.

Each test reads the form from the page as the browser would (tests/forms.py), then sends it
SUBMITS times at once to a running threaded server over real HTTP, on the suite's database
(SQLite, or PostgreSQL in the second pass of `make test`).
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bench.http_buyer import Browser
from products.models import Product, Shop
from shop.accounts.models import User
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.messages import services as messages
from shop.messages.models import Message, Thread
from shop.orders.models import Order, OrderEvent, OrderRefund
from shop.payments.models import Payment, WebhookEvent
from shop.training.customers import send_customer
from tests.forms import form_data, form_on, forms_of
from tests.live_http import running_server
from tests.shopping import ADDRESS, stock_of, variant_id

SUBMITS = 4
PASSWORD = "correct horse battery"


def _at_once(browser: Browser, path: str, data) -> list[tuple[int, str, str]]:
    """POST the same data SUBMITS times at the same moment from one browser."""
    start = threading.Barrier(SUBMITS)
    pairs = list(data.items(multi=True))

    def send(_):
        start.wait()
        return browser.request(path, pairs)

    with ThreadPoolExecutor(max_workers=SUBMITS) as pool:
        results = list(pool.map(send, range(SUBMITS)))
    assert all(status < 500 for status, _, _ in results), results
    return results


def _form(browser: Browser, page: str, action: str, changes=None, button=None):
    status, _, html = browser.request(page)
    assert status == 200, (page, status)
    form = form_on(html, action, urlsplit(page).path)
    return form.action or action, form_data(form, changes, button)


def _log_in(browser: Browser, email: str) -> None:
    path, data = _form(browser, "/login", "/login", {"email": email, "password": PASSWORD})
    status, _, _ = browser.request(path, list(data.items(multi=True)))
    assert status in (302, 303)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _placed(browser: Browser, variant: int, quantity: int = 1) -> str:
    """Add to cart and check out; the payment page's path."""
    assert browser.add_to_cart(variant, quantity) == 302
    status, location, _ = browser.place_order(browser.checkout_form(ADDRESS))
    assert status == 303 and "/payments/" in location, (status, location)
    return location


def _paid_order(app, browser: Browser, variant: int, quantity: int = 1) -> str:
    """A paid order's number (card form sent once)."""
    token = _placed(browser, variant, quantity).split("/payments/")[1].split("/")[0]
    path, data = _form(browser, f"/payments/sandbox/{token}", f"/payments/sandbox/{token}", CARD)
    browser.request(path, list(data.items(multi=True)))
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.token == token))
        assert payment.status == "succeeded", payment.status
        return db.session.scalar(select(Order.number).where(Order.payment_id == payment.id))


CARD = {
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/34",
    "cvc": "123",
    "cardholder": "WANG XIAOMING",
}


def test_paying_four_times_at_once_pays_once(app, make_product):
    variant = variant_id(app, make_product(stock=5))
    with running_server(app) as base:
        buyer = Browser(base)
        token = _placed(buyer, variant).split("/payments/")[1].split("/")[0]
        path, data = _form(buyer, f"/payments/sandbox/{token}", f"/payments/sandbox/{token}", CARD)
        _at_once(buyer, path, data)
    assert _count(app, WebhookEvent) == 1
    assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1
    assert stock_of(app, variant) == 4


def test_shipping_four_times_at_once_ships_once(app, make_product, make_user, make_shop):
    seller = make_user("exhibitor")
    variant = variant_id(app, make_product(shop=make_shop(owner=seller), stock=5))
    with running_server(app) as base:
        number = _paid_order(app, Browser(base), variant)
        shop = Browser(base)
        _log_in(shop, seller.email)
        path, data = _form(
            shop,
            f"/sell/orders/{number}",
            f"/sell/orders/{number}/ship",
            {"carrier": "顺丰", "tracking_number": "SF1234567890"},
        )
        _at_once(shop, path, data)
    assert _count(app, OrderEvent, OrderEvent.to_status == "shipped") == 1


def test_cancelling_an_unpaid_order_four_times_at_once_restocks_once(app, make_product):
    variant = variant_id(app, make_product(stock=5))
    with running_server(app) as base:
        buyer = Browser(base)
        token = _placed(buyer, variant, 2).split("/payments/")[1].split("/")[0]
        assert stock_of(app, variant) == 3
        path, data = _form(buyer, f"/checkout/done/{token}", f"/checkout/done/{token}/cancel")
        _at_once(buyer, path, data)
    assert _count(app, OrderEvent, OrderEvent.to_status == "cancelled") == 1
    assert stock_of(app, variant) == 5


def test_refunding_four_times_at_once_refunds_once(app, make_product, make_user, make_shop):
    seller = make_user("exhibitor")
    variant = variant_id(app, make_product(shop=make_shop(owner=seller), stock=5))
    with running_server(app) as base:
        number = _paid_order(app, Browser(base), variant, 2)
        shop = Browser(base)
        _log_in(shop, seller.email)
        # The first submit shows the confirmation; its form is what the seller taps twice.
        path, data = _form(
            shop,
            f"/sell/orders/{number}",
            f"/sell/orders/{number}/refund",
            {"refund-reason": "梨磕坏了"},
        )
        status, _, confirmation = shop.request(path, list(data.items(multi=True)))
        assert status == 200, status
        confirm = form_on(confirmation, f"/sell/orders/{number}/refund")
        _at_once(shop, path, form_data(confirm))
    assert _count(app, OrderRefund) == 1


def test_a_message_sent_four_times_at_once_arrives_once(app, make_product, make_user):
    buyer_account = make_user("customer")
    variant = variant_id(app, make_product(stock=5))
    with running_server(app) as base:
        buyer = Browser(base)
        _log_in(buyer, buyer_account.email)
        number = _paid_order(app, buyer, variant)
        path, data = _form(
            buyer,
            f"/orders/{number}",
            f"/orders/{number}/messages",
            {"message-body": "请问什么时候发货？"},
        )
        _at_once(buyer, path, data)
    assert _count(app, Message, Message.body == "请问什么时候发货？") == 1


def test_the_same_words_again_a_minute_later_are_a_new_message(app, make_shop, make_order, clock):
    order = make_order(make_shop())
    with app.app_context():
        placed = db.session.get(Order, order.id)
        first = messages.post_buyer_message(placed, "还有货吗？")
        again = messages.post_buyer_message(placed, "还有货吗？")
        other = messages.post_buyer_message(placed, "什么时候发货？")
        db.session.commit()
        assert again.id == first.id and other.id != first.id
        clock.advance(timedelta(seconds=61))
        later = messages.post_buyer_message(placed, "还有货吗？")
        db.session.commit()
        assert later.id != first.id
    assert _count(app, Message, Message.body == "还有货吗？") == 2


def test_applying_an_address_change_four_times_at_once_changes_it_once(
    app, make_user, make_shop, make_product
):
    trainee = make_user("trainee")
    practice = make_shop(owner=trainee, kind="practice")
    make_product(shop=practice, stock=20)
    with app.app_context():
        shop = db.session.get(Shop, practice.id)
        send_customer(shop, "address_change")
        db.session.commit()
        request = db.session.scalar(select(Message).where(Message.kind == "address_change"))
        number = request.thread.order.number
        message_id = request.id
    with running_server(app) as base:
        seller = Browser(base)
        _log_in(seller, trainee.email)
        path, data = _form(
            seller,
            f"/sell/inbox/{number}",
            f"/sell/inbox/{number}/requests/{message_id}/apply",
        )
        _at_once(seller, path, data)
    assert _count(app, OrderEvent, OrderEvent.reason_code == "address_changed") == 1
    assert _count(app, Message, Message.author == "seller") == 1


# --- The cart ---------------------------------------------------------------------------------


def _product_page(product) -> str:
    return f"/products/{product.id}-{product.slug}"


def _add_form(browser: Browser, product, quantity: int):
    """The product page's add-to-cart form as add-to-cart.js sends it: the tokens it fetches
    filled in."""
    status, _, html = browser.request(_product_page(product))
    assert status == 200
    form = form_on(html, "/cart/add")
    # The 立即购买 button is in this form (a button sends only when pressed).
    assert 'name="buy_now" value="1"' in html
    tokens = json.loads(browser.request("/cart/form-token")[2])
    changes = {"quantity": quantity, **tokens}
    return form, changes


def _cart_lines(app) -> list[tuple[int, int]]:
    with app.app_context():
        return db.session.execute(
            select(CartLine.variant_id, CartLine.quantity).order_by(CartLine.id)
        ).all()


#: The product page's 立即购买 button (加入购物车, the other one, has no name).
BUY_NOW = ("buy_now", "1")


def _shown_quantity(browser: Browser) -> str:
    """The quantity the cart page shows for its one line."""
    status, _, page = browser.request("/cart")
    assert status == 200
    (form,) = [form for form in forms_of(page) if form.action.startswith("/cart/lines/")][:1]
    return dict(form.fields)["quantity"]


def test_adding_to_the_cart_four_times_at_once_adds_once(app, make_product):
    product = make_product(stock=20)
    variant = variant_id(app, product)
    with running_server(app) as base:
        visitor = Browser(base)
        form, changes = _add_form(visitor, product, 2)
        # 加入购物车 is the button without a name.
        results = _at_once(visitor, "/cart/add", form_data(form, changes, button=("", "")))
        # Every tap lands back on the product page, as the one that counted does.
        assert {status for status, _, _ in results} == {302}
        assert {urlsplit(location).path for _, location, _ in results} == {_product_page(product)}
        # A first add makes one cart for the visitor, not one per tap.
        assert _count(app, Cart) == 1
        assert _cart_lines(app) == [(variant, 2)]
        # The page again (as the redirect shows it): adding once more is a second add.
        form, changes = _add_form(visitor, product, 2)
        visitor.request("/cart/add", list(form_data(form, changes, button=("", "")).items(True)))
        assert _cart_lines(app) == [(variant, 4)]
        assert _shown_quantity(visitor) == "4"
    assert _count(app, Cart) == 1


def test_a_customers_first_add_sent_four_times_at_once_makes_one_cart(app, make_product, make_user):
    customer = make_user("customer")
    product = make_product(stock=20)
    with running_server(app) as base:
        buyer = Browser(base)
        _log_in(buyer, customer.email)
        form, changes = _add_form(buyer, product, 3)
        _at_once(buyer, "/cart/add", form_data(form, changes, button=("", "")))
    assert _count(app, Cart) == 1
    assert _cart_lines(app) == [(variant_id(app, product), 3)]


def test_buy_now_four_times_at_once_adds_once_and_every_tap_goes_to_the_checkout(app, make_product):
    product = make_product(stock=20)
    variant = variant_id(app, product)
    with running_server(app) as base:
        visitor = Browser(base)
        form, changes = _add_form(visitor, product, 1)
        data = form_data(form, changes, button=BUY_NOW)
        results = _at_once(visitor, "/cart/add", data)
        assert {(status, urlsplit(location).path) for status, location, _ in results} == {
            (303, "/checkout")
        }
        status, _, page = visitor.request("/checkout")
        assert status == 200
    assert _cart_lines(app) == [(variant, 1)]


def test_the_confirmation_without_javascript_sent_four_times_at_once_adds_once(app, make_product):
    product = make_product(stock=20)
    variant = variant_id(app, product)
    with running_server(app) as base:
        visitor = Browser(base)
        status, _, html = visitor.request(_product_page(product))
        # Without the script the cached page's form carries no tokens: the cart asks first.
        plain = form_data(form_on(html, "/cart/add"), {"quantity": 2}, button=("", ""))
        status, _, confirmation = visitor.request("/cart/add", list(plain.items(True)))
        assert status == 200 and _cart_lines(app) == []
        _at_once(visitor, "/cart/add", form_data(form_on(confirmation, "/cart/add")))
        assert _cart_lines(app) == [(variant, 2)]
        # Asked again for the same item, the visitor confirms a new add.
        status, _, confirmation = visitor.request("/cart/add", list(plain.items(True)))
        visitor.request(
            "/cart/add", list(form_data(form_on(confirmation, "/cart/add")).items(True))
        )
    assert _cart_lines(app) == [(variant, 4)]


def test_a_cart_quantity_set_four_times_at_once_is_that_quantity(app, make_product):
    product = make_product(stock=20)
    variant = variant_id(app, product)
    with running_server(app) as base:
        visitor = Browser(base)
        assert visitor.add_to_cart(variant, 1) == 302
        with app.app_context():
            line = db.session.scalar(select(CartLine.id))
        # What cart-quantity.js posts: the line's own form with the new quantity.
        path, data = _form(visitor, "/cart", f"/cart/lines/{line}", {"quantity": 5})
        results = _at_once(visitor, path, data)
        assert {status for status, _, _ in results} == {302}
        assert _cart_lines(app) == [(variant, 5)]
        assert _shown_quantity(visitor) == "5"
        # Removing it four times at once removes it once, and no tap fails.
        path, data = _form(visitor, "/cart", f"/cart/lines/{line}/remove")
        _at_once(visitor, path, data)
    assert _cart_lines(app) == []


# --- Replies ----------------------------------------------------------------------------------

#: The reply form's 发送 button has no name (its first named one, 插入, only adds a quick reply).
SEND = ("", "")


def test_a_sellers_reply_sent_four_times_at_once_arrives_once(
    app, make_user, make_shop, make_order
):
    seller = make_user("exhibitor")
    order = make_order(make_shop(owner=seller), asks="message")
    with running_server(app) as base:
        shop = Browser(base)
        _log_in(shop, seller.email)
        path, data = _form(
            shop,
            f"/sell/inbox/{order.number}",
            f"/sell/inbox/{order.number}/reply",
            {"reply-body": "今天下午发货。"},
            SEND,
        )
        _at_once(shop, path, data)
    assert _count(app, Message, Message.body == "今天下午发货。") == 1
    with app.app_context():
        thread = db.session.scalar(select(Thread))
        assert (thread.buyer_unread, thread.awaiting_seller) == (1, False)


def test_a_reply_before_buying_sent_four_times_at_once_arrives_once(
    app, make_user, make_shop, make_product
):
    seller, customer = make_user("exhibitor"), make_user("customer")
    product = make_product(shop=make_shop(owner=seller))
    with app.app_context():
        question = messages.post_presale_message(
            db.session.get(Product, product.id), db.session.get(User, customer.id), "包邮吗？"
        )
        db.session.commit()
        thread_id = question.thread_id
    with running_server(app) as base:
        shop = Browser(base)
        _log_in(shop, seller.email)
        path, data = _form(
            shop,
            f"/sell/inbox/ask/{thread_id}",
            f"/sell/inbox/ask/{thread_id}/reply",
            {"reply-body": "满 99 元包邮。"},
            SEND,
        )
        _at_once(shop, path, data)
    assert _count(app, Message, Message.body == "满 99 元包邮。") == 1


def test_a_trainees_reply_to_a_practice_customer_sent_four_times_at_once_arrives_once(
    app, make_user, make_shop, make_product
):
    trainee = make_user("trainee")
    practice = make_shop(owner=trainee, kind="practice")
    make_product(shop=practice, stock=20)
    with app.app_context():
        send_customer(db.session.get(Shop, practice.id), "question")
        db.session.commit()
        number = db.session.scalar(select(Order.number))
    with running_server(app) as base:
        seller = Browser(base)
        _log_in(seller, trainee.email)
        path, data = _form(
            seller,
            f"/sell/inbox/{number}",
            f"/sell/inbox/{number}/reply",
            {"reply-body": "您好，今天发顺丰。"},
            SEND,
        )
        _at_once(seller, path, data)
    assert _count(app, Message, Message.author == "seller") == 1
    assert _count(app, Message, Message.body == "您好，今天发顺丰。") == 1
