"""Orders: the status machine and its history, the buyer's pages, and expiry of unpaid orders."""

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders.models import (
    InvalidTransition,
    Order,
    OrderEvent,
    OrderStatus,
)
from shop.payments.models import Payment
from tests.forms import submit
from tests.shopping import (
    add_to_cart,
    buy,
    form_token,
    orders_of,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

#: The life of an order as the help pages describe it, written here rather than read from the
#: code, so that a wrong move allowed (or refused) by the code fails these tests.
LIFE = {
    "pending_payment": {"paid", "cancelled"},
    "paid": {"shipped", "cancelled", "refunded"},
    "shipped": {"delivered", "refunded"},
    "delivered": {"refunded"},
    "cancelled": set(),
    "refunded": set(),
}
ALL_MOVES = list(itertools.product(OrderStatus.ALL, OrderStatus.ALL))


def _placed_order(app, client, make_product, status: str) -> str:
    """An order placed through checkout, then put in `status` directly (the starting point)."""
    add_to_cart(client, variant_id(app, make_product()), 1)
    number = orders_of(app, payment_token(place_order(client)))[0].number
    with app.app_context():
        db.session.execute(update(Order).where(Order.number == number).values(status=status))
        db.session.commit()
    return number


@pytest.mark.parametrize(("current", "wanted"), ALL_MOVES)
def test_only_allowed_transitions_happen_and_each_is_recorded(
    app, client, make_product, make_user, current, wanted
):
    number = _placed_order(app, client, make_product, current)
    actor = make_user("exhibitor")
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        before = len(order.events)
        if wanted in LIFE[current]:
            event = order.set_status(wanted, actor, note="why")
            db.session.commit()
            assert (event.from_status, event.to_status, event.note) == (current, wanted, "why")
            assert event.actor_id == actor.id and event.created_at is not None
        else:
            with pytest.raises(InvalidTransition):
                order.set_status(wanted, actor)
            db.session.rollback()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        allowed = wanted in LIFE[current]
        assert order.status == (wanted if allowed else current)
        assert len(order.events) == before + (1 if allowed else 0)


def test_a_move_made_elsewhere_first_wins_and_the_stale_one_is_refused(app, client, make_product):
    number = _placed_order(app, client, make_product, OrderStatus.PENDING_PAYMENT)
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        # Another request (the expiry job) cancels it after this one loaded it.
        db.session.execute(
            update(Order).where(Order.id == order.id).values(status=OrderStatus.CANCELLED)
        )
        with pytest.raises(InvalidTransition):
            order.set_status(OrderStatus.PAID, "sandbox")
        assert order.status == OrderStatus.CANCELLED


def test_the_buyer_sees_the_order_and_its_history(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    page = client.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert f"Order {number}" in page
    assert "Paid, to be shipped" in page
    assert "Order placed; stock reserved for 30 minutes." in page
    assert "Practice payment page" in page
    assert "中关村大街 1 号 2 单元 301" in page


def test_a_stranger_is_asked_for_the_phone_digits_and_sees_nothing(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    stranger = app.test_client()
    page = stranger.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert "Find your order" in page
    assert "中关村大街" not in page
    # An unknown number looks the same: numbers cannot be probed.
    unknown = stranger.get("/orders/VM-2611-AAAAAA?lang=en").get_data(as_text=True)
    assert "Find your order" in unknown


def test_a_guest_opens_the_order_with_number_and_last_four_digits(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    phone = app.test_client()
    phone.set_cookie("lang", "en")  # the form posts to its address without ?lang=
    wrong = submit(phone, "/orders/find", changes={"number": number, "last4": "1111"})
    assert "do not match an order" in wrong.get_data(as_text=True)
    right = submit(phone, "/orders/find", changes={"number": number.lower(), "last4": "5678"})
    assert right.status_code == 303
    assert phone.get(right.headers["Location"]).get_data(as_text=True).count("中关村大街") == 1


def test_guessing_the_digits_is_rate_limited(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    guesser = app.test_client()
    codes = [
        submit(guesser, f"/orders/{number}", changes={"last4": f"{n:04d}"}).status_code
        for n in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10:] == [429, 429]


def test_the_two_forms_asking_for_the_digits_share_one_budget(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    guesser = app.test_client()

    def guess(url: str, last4: str) -> int:
        typed = {"last4": last4} if url.endswith(number) else {"number": number, "last4": last4}
        return submit(guesser, url, changes=typed).status_code

    # Alternate between the lookup form and the order's own page.
    codes = [guess("/orders/find" if n % 2 else f"/orders/{number}", f"{n:04d}") for n in range(11)]
    assert codes == [200] * 10 + [429]
    for url in ("/orders/find", f"/orders/{number}"):
        assert guess(url, "5678") == 429, url


def forge_host(app, host: str) -> None:
    """Make every request reach the app with this Host header, as a forger can send it."""
    inner = app.wsgi_app

    def with_host(environ, start_response):
        environ["HTTP_HOST"] = host
        return inner(environ, start_response)

    app.wsgi_app = with_host


def test_order_mails_link_to_the_site_whatever_host_the_buyer_sent(
    app, client, make_product, make_user, make_shop
):
    seller = make_user("exhibitor", email="farmer@example.test")
    product = make_product(shop=make_shop(owner=seller))
    forge_host(app, "evil.example")
    number = orders_of(app, buy(client, variant_id(app, product)))[0].number
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {message.kind for message in messages} == {"order_placed", "order_paid"}
    for message in messages:
        assert "evil.example" not in message.body
        link = "/sell/orders/" if message.to_email == "farmer@example.test" else "/orders/"
        assert f"http://127.0.0.1:5000{link}{number}" in message.body


def test_my_orders_lists_a_customers_orders_newest_first(app, make_product, make_user, login_as):
    customer = make_user("customer")
    client = login_as(customer)
    first = orders_of(app, buy(client, variant_id(app, make_product())))[0].number
    second = orders_of(app, buy(client, variant_id(app, make_product())))[0].number
    other = app.test_client()
    buy(other, variant_id(app, make_product()))
    page = client.get("/orders").get_data(as_text=True)
    assert re.findall(r'href="/orders/(VM-[^"]+)"', page) == [second, first]


def test_my_orders_needs_a_log_in(client):
    response = client.get("/orders")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_another_customer_cannot_see_a_customers_order(app, make_product, make_user, login_as):
    owner = login_as(make_user("customer"))
    number = orders_of(app, buy(owner, variant_id(app, make_product())))[0].number
    other = login_as(make_user("customer"))
    page = other.get(f"/orders/{number}").get_data(as_text=True)
    assert "中关村大街" not in page
    # No page shows this person the button: posted by hand.
    response = other.post(f"/orders/{number}/received", data={"csrf_token": form_token(other)})
    assert response.status_code == 404


def test_the_buyer_confirms_receipt_of_a_shipped_order_only(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    # Paid, not shipped: the page shows no button yet, so it is pressed from a script.
    client.post(f"/orders/{number}/received", data={"csrf_token": form_token(client)})
    assert orders_of(app, token)[0].status == OrderStatus.PAID
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        order.set_status(OrderStatus.SHIPPED, "system")
        db.session.commit()
    submit(client, f"/orders/{number}", f"/orders/{number}/received")
    order = orders_of(app, token)[0]
    assert order.status == OrderStatus.DELIVERED
    assert order.events[-1].actor_kind == "guest"


def _age_payment(app, token: str, minutes: int) -> None:
    """Move a payment's deadline into the past, as if `minutes` had gone by."""
    with app.app_context():
        db.session.execute(
            update(Payment)
            .where(Payment.token == token)
            .values(expires_at=utcnow() - timedelta(minutes=minutes - 30))
        )
        db.session.commit()


def test_expire_orders_releases_the_stock_of_orders_unpaid_for_30_minutes(
    app, client, runner, make_product
):
    variant = variant_id(app, make_product(stock=5))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    assert stock_of(app, variant) == 3
    _age_payment(app, token, 29)
    assert "Cancelled 0" in runner.invoke(args=["expire-orders"]).output
    assert stock_of(app, variant) == 3
    _age_payment(app, token, 31)
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0 and "Cancelled 1" in result.output
    assert stock_of(app, variant) == 5
    order = orders_of(app, token)[0]
    assert order.status == OrderStatus.CANCELLED
    assert (order.events[-1].actor_kind, order.events[-1].reason_code) == ("system", "expired")
    # Running it again changes nothing (the stock is not released twice).
    runner.invoke(args=["expire-orders"])
    assert stock_of(app, variant) == 5


def test_an_expired_checkout_cannot_be_paid_any_more(app, client, make_product):
    variant = variant_id(app, make_product(stock=5))
    add_to_cart(client, variant, 1)
    token = payment_token(place_order(client))
    _age_payment(app, token, 31)
    response = client.get(f"/payments/sandbox/{token}")
    assert response.status_code == 303
    assert f"/checkout/done/{token}" in response.headers["Location"]


def test_adding_to_the_cart_releases_abandoned_stock_first_so_no_cron_is_needed(app, make_product):
    variant = variant_id(app, make_product(stock=1))
    abandoner, buyer = app.test_client(), app.test_client()
    add_to_cart(abandoner, variant, 1)
    token = payment_token(place_order(abandoner))
    add_to_cart(buyer, variant, 1)
    assert stock_of(app, variant) == 0
    assert "Your cart is empty." in buyer.get("/cart?lang=en").get_data(as_text=True)
    _age_payment(app, token, 31)
    add_to_cart(buyer, variant, 1)
    assert place_order(buyer).status_code == 303
    assert stock_of(app, variant) == 0
    assert orders_of(app, token)[0].status == OrderStatus.CANCELLED


def test_placing_an_order_expires_overdue_ones(app, make_product):
    abandoned = variant_id(app, make_product(stock=3))
    other = variant_id(app, make_product(stock=3))
    abandoner, buyer = app.test_client(), app.test_client()
    add_to_cart(abandoner, abandoned, 2)
    token = payment_token(place_order(abandoner))
    _age_payment(app, token, 45)
    add_to_cart(buyer, other, 1)
    place_order(buyer)
    assert stock_of(app, abandoned) == 3
    assert orders_of(app, token)[0].status == OrderStatus.CANCELLED


def test_the_buyer_can_cancel_an_unpaid_checkout_and_the_stock_returns(app, client, make_product):
    variant = variant_id(app, make_product(stock=5))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    submit(client, f"/checkout/done/{token}", f"/checkout/done/{token}/cancel")
    assert stock_of(app, variant) == 5
    order = orders_of(app, token)[0]
    assert (order.status, order.events[-1].reason_code) == ("cancelled", "buyer_cancelled")
    # The sandbox page no longer takes the payment.
    assert client.get(f"/payments/sandbox/{token}").status_code == 303


def test_each_status_is_named_for_people(app, client, make_product):
    number = _placed_order(app, client, make_product, OrderStatus.REFUNDED)
    page = client.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert "Refunded" in page


def test_order_events_keep_their_order(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id)).all()
        assert [(e.from_status, e.to_status) for e in events] == [
            (None, "pending_payment"),
            ("pending_payment", "paid"),
        ]
    assert orders_of(app, token)[0].paid_at is not None
