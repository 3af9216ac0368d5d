"""A double tap is one action: the same form, sent several times at once with the same cookies,
has exactly one effect.

Each test reads the form from the page as the browser would (tests/forms.py), then sends it
SUBMITS times at once to a running threaded server over real HTTP, on the suite's database
(SQLite, or PostgreSQL in the second pass of `make test`).
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from products.models import Shop
from shop.extensions import db
from shop.messages import services as messages
from shop.messages.models import Message
from shop.orders.models import Order, OrderEvent, OrderRefund
from shop.payments.models import Payment, WebhookEvent
from shop.training.customers import send_customer
from tests.forms import form_data, form_on
from tests.live_http import Browser, running_server
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


def _form(browser: Browser, page: str, action: str, changes=None):
    status, _, html = browser.request(page)
    assert status == 200, (page, status)
    form = form_on(html, action, urlsplit(page).path)
    return form.action or action, form_data(form, changes)


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
