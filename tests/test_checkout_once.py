"""One cart state becomes orders once: repeated submits land on the first checkout's payment.

The concurrent tests send real HTTP requests to a running threaded server, with one browser's
cookies, on the suite's database (SQLite, or PostgreSQL in the second pass of `make test`).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bench.http_buyer import Browser
from shop.extensions import db
from shop.orders.models import Order, OrderStatus
from shop.payments.models import Payment, PaymentStatus
from tests.forms import form_data, form_on
from tests.live_http import running_server
from tests.shopping import (
    ADDRESS,
    add_to_cart,
    pay_with_card,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

SUBMITS = 4


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Order.id))),
            db.session.scalar(select(func.count(Payment.id))),
        )


def _filled_checkout(client, **changes):
    """The checkout page's form with the address typed in: (address to post to, data)."""
    page = client.get("/checkout")
    form = form_on(page.get_data(as_text=True), "/checkout", "/checkout")
    return form.action or "/checkout", form_data(form, {**ADDRESS, **changes})


def test_four_identical_checkouts_at_once_make_one_order_and_one_payment(app, make_product):
    variant = variant_id(app, make_product(stock=10, price_fen=3990))
    with running_server(app) as base:
        buyer = Browser(base)
        assert buyer.add_to_cart(variant, 2) == 302
        form = buyer.checkout_form(ADDRESS)
        start = threading.Barrier(SUBMITS)

        def submit(_):
            start.wait()
            return buyer.place_order(form)

        with ThreadPoolExecutor(max_workers=SUBMITS) as pool:
            results = list(pool.map(submit, range(SUBMITS)))

    assert [status for status, _, _ in results] == [303] * SUBMITS, results
    # Every tap lands on the same payment page.
    assert len({location for _, location, _ in results}) == 1
    assert "/payments/" in results[0][1]
    assert _counts(app) == (1, 1)
    assert stock_of(app, variant) == 8


def test_the_same_form_sent_again_later_lands_on_the_existing_payment(client, make_product):
    variant = variant_id(client.application, make_product(stock=5))
    add_to_cart(client, variant, 1)
    url, form = _filled_checkout(client)
    first = client.post(url, data=form)
    again = client.post(url, data=form)  # the back button, or a retry after a timeout
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _counts(client.application) == (1, 1)
    assert stock_of(client.application, variant) == 4


def test_a_paid_checkout_sent_again_is_not_charged_twice(client, make_product):
    variant = variant_id(client.application, make_product(stock=5))
    add_to_cart(client, variant, 1)
    url, form = _filled_checkout(client)
    first = client.post(url, data=form)
    pay_with_card(client, payment_token(first))
    again = client.post(url, data=form)
    assert again.status_code == 303 and payment_token(again) == payment_token(first)
    page = client.get(again.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "4242" not in page  # not a card form again: the payment is done
    assert _counts(client.application) == (1, 1)
    with client.application.app_context():
        assert db.session.scalar(select(Payment.status)) == PaymentStatus.SUCCEEDED


def test_a_new_checkout_of_the_cart_replaces_the_oldest_unpaid_one(client, make_product):
    app = client.application
    app.config["OPEN_CHECKOUTS_PER_VISITOR"] = 2
    variant = variant_id(app, make_product(stock=60))
    for _ in range(3):
        add_to_cart(client, variant, 10)
        response = place_order(client)
        assert response.status_code == 303
    with app.app_context():
        statuses = db.session.scalars(select(Order.status).order_by(Order.id)).all()
        oldest = db.session.scalar(select(Order.number).order_by(Order.id))
    assert statuses == [
        OrderStatus.CANCELLED,
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PENDING_PAYMENT,
    ]
    # Only the two open checkouts hold stock.
    assert stock_of(app, variant) == 40
    page = client.get(f"/orders/{oldest}?lang=en").get_data(as_text=True)
    assert "placed a newer order from the same cart" in page


def test_one_address_may_keep_only_so_many_unpaid_checkouts_open(app, make_product):
    app.config["OPEN_CHECKOUTS_PER_ADDRESS"] = 3
    variant = variant_id(app, make_product(stock=60))
    placed = []
    for _ in range(4):
        visitor = app.test_client()  # a new cookie each time, as a script would
        add_to_cart(visitor, variant, 10)
        url, form = _filled_checkout(visitor)
        placed.append(visitor.post(url, data=form, headers={"Accept-Language": "en"}))
    assert [response.status_code for response in placed[:3]] == [303, 303, 303]
    refused = placed[3]
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "unpaid orders were already placed from your network address" in text
    # What the visitor typed is still there.
    assert ADDRESS["street"] in text
    assert stock_of(app, variant) == 30
    assert _counts(app) == (3, 3)


def test_checkout_submits_are_rate_limited_per_address(app, make_product):
    app.config["CHECKOUT_LIMIT"] = "3 per minute"
    variant = variant_id(app, make_product(stock=60))
    visitor = app.test_client()
    add_to_cart(visitor, variant, 1)
    # A quote that no longer matches: each submit shows the form again, until the limit.
    url, form = _filled_checkout(visitor, quote="stale")
    codes = [visitor.post(url, data=form).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200]  # the form again: prices changed
    assert codes[3] == 429
