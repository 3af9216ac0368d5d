"""Partial refunds: chosen items or an amount, a confirmation step, the refund history, stock
only when the goods came back, and never more than was paid, even with two refunds at once."""

import re
import threading

import pytest
from sqlalchemy import func, select

from shop.accounts.models import User
from shop.extensions import db
from shop.orders import services
from shop.orders.models import Order, OrderRefund
from shop.payments.models import Payment
from tests.shopping import buy, form_token, orders_of, stock_of, variant_id


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor", email="seller@example.test")


@pytest.fixture
def shop(make_shop, seller):
    return make_shop(owner=seller, shipping_fee_fen=1000)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


def _order(app, make_product, shop, quantity=3, stock=10, ship_it=False, seller_client=None):
    """A paid order of `quantity` pears at ¥39.90 with ¥10 shipping (optionally shipped)."""
    variant = variant_id(app, make_product(shop=shop, stock=stock, price_fen=3990))
    buyer = app.test_client()
    order = orders_of(app, buy(buyer, variant, quantity))[0]
    if ship_it:
        seller_client.post(
            f"/sell/orders/{order.number}/ship",
            data={"csrf_token": form_token(seller_client), "carrier": "SF", "tracking_number": "1"},
        )
    return order, variant, buyer


def _choose(client, order, lang="en", **fields):
    """The first step: what to refund; answers the confirmation page."""
    return client.post(
        f"/sell/orders/{order.number}/refund?lang={lang}",
        data={"csrf_token": form_token(client), **fields},
    )


def _confirm(client, order, expected=0, **fields):
    return _choose(
        client, order, **{"refund-confirm": "1", "refund-expected": str(expected)}, **fields
    )


def _line_field(app, order) -> str:
    with app.app_context():
        line = db.session.scalar(select(Order).where(Order.id == order.id)).lines[0]
        return f"refund-line-{line.id}"


def _row(app, number):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        payment = db.session.get(Payment, order.payment_id)
        refunds = [
            (refund.amount_fen, [(part.quantity) for part in refund.lines], refund.actor_kind)
            for refund in order.refunds
        ]
        return order.status, order.refunded_fen, payment.refunded_fen, refunds


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_refunding_one_of_three_items_asks_first_then_refunds_only_that(
    app, seller_client, make_product, shop
):
    order, variant, buyer = _order(
        app, make_product, shop, ship_it=True, seller_client=seller_client
    )
    line = _line_field(app, order)
    choice = {line: "1", "refund-reason": "包装破了，少了一个"}

    confirmation = _choose(seller_client, order, **choice)

    assert confirmation.status_code == 200
    page = _text(confirmation)
    assert "Refund ¥39.90?" in page
    assert "The order is partly refunded; ¥89.80 is left" in page
    assert _row(app, order.number)[1] == 0  # nothing happened yet

    done = _confirm(seller_client, order, **choice)
    assert done.status_code == 302
    status, refunded, paid_back, refunds = _row(app, order.number)
    assert (status, refunded, paid_back) == ("shipped", 3990, 3990)
    assert refunds == [(3990, [1], "seller")]
    # The parcel left and nobody said it came back: stock stays as it was.
    assert stock_of(app, variant) == 7

    seller_page = _text(seller_client.get(f"/sell/orders/{order.number}?lang=en"))
    assert "Refunded ¥39.90 to the buyer." in seller_page
    assert "Partly refunded" in seller_page and "包装破了，少了一个" in seller_page
    assert "1 / 3" not in seller_page and "2 / 3" in seller_page  # left to refund per line
    buyer_en = _text(buyer.get(f"/orders/{order.number}?lang=en"))
    assert "Partly refunded" in buyer_en and "¥39.90" in buyer_en and "Refunds" in buyer_en
    buyer_zh = _text(buyer.get(f"/orders/{order.number}?lang=zh"))
    assert "部分退款" in buyer_zh and "包装破了，少了一个" in buyer_zh


def test_stock_returns_only_when_the_seller_says_the_goods_came_back(
    app, seller_client, make_product, shop
):
    order, variant, _ = _order(app, make_product, shop)
    line = _line_field(app, order)
    _confirm(seller_client, order, **{line: "1", "refund-reason": "缺货一个"})
    assert stock_of(app, variant) == 7
    _confirm(
        seller_client,
        order,
        expected=3990,
        **{line: "1", "refund-reason": "退回来了", "refund-restock": "y"},
    )
    assert stock_of(app, variant) == 8
    assert _row(app, order.number)[:2] == ("paid", 7980)


def test_refunding_what_is_left_makes_the_order_refunded(app, seller_client, make_product, shop):
    order, _, _ = _order(app, make_product, shop, ship_it=True, seller_client=seller_client)
    _confirm(seller_client, order, **{"refund-amount": "20", "refund-reason": "补偿"})
    assert _row(app, order.number)[:2] == ("shipped", 2000)
    # Nothing chosen: all that is left (¥129.70 - ¥20).
    page = _text(_choose(seller_client, order, **{"refund-reason": "全部退"}))
    assert "Refund ¥109.70?" in page and "Everything is refunded" in page
    _confirm(seller_client, order, expected=2000, **{"refund-reason": "全部退"})
    status, refunded, paid_back, refunds = _row(app, order.number)
    assert (status, refunded, paid_back) == ("refunded", 12970, 12970)
    assert [amount for amount, _, _ in refunds] == [2000, 10970]
    zh = _text(seller_client.get(f"/sell/orders/{order.number}?lang=zh"))
    assert '<p class="order-status order-status-refunded">已退款</p>' in zh


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"refund-amount": "129.71"}, "You can refund at most ¥129.70"),
        ({"refund-amount": "0"}, "Choose what to refund"),
        ({"refund-amount": "abc"}, "Enter the amount in yuan"),
        ({"LINE": "4"}, "enter how many to refund, from 0 to 3"),
        ({"LINE": "²"}, "enter how many to refund, from 0 to 3"),
    ],
)
def test_a_refund_beyond_what_is_left_is_refused_and_keeps_what_was_typed(
    app, seller_client, make_product, shop, fields, message
):
    order, _, _ = _order(app, make_product, shop)
    line = _line_field(app, order)
    fields = {line if name == "LINE" else name: value for name, value in fields.items()}
    response = _confirm(seller_client, order, **fields, **{"refund-reason": "试试看"})
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert "试试看" in page
    assert _row(app, order.number)[1] == 0


def test_items_already_refunded_cannot_be_refunded_again(app, seller_client, make_product, shop):
    order, _, _ = _order(app, make_product, shop, quantity=2)
    line = _line_field(app, order)
    _confirm(seller_client, order, **{line: "2", "refund-reason": "都坏了"})
    again = _confirm(seller_client, order, expected=7980, **{line: "1", "refund-reason": "再退"})
    assert again.status_code == 422
    assert _row(app, order.number)[1] == 7980


def test_a_double_click_on_confirm_refunds_once(app, seller_client, make_product, shop):
    order, _, _ = _order(app, make_product, shop)
    choice = {"refund-amount": "10", "refund-reason": "少了一些"}
    _confirm(seller_client, order, **choice)
    second = _confirm(seller_client, order, **choice)
    assert second.status_code == 302
    page = _text(seller_client.get(f"/sell/orders/{order.number}?lang=en"))
    assert "This order was refunded meanwhile" in page
    assert _row(app, order.number)[1:3] == (1000, 1000)


def test_another_seller_cannot_refund(app, make_product, shop, make_user, make_shop, login_as):
    order, _, _ = _order(app, make_product, shop)
    other = make_user("exhibitor")
    make_shop(owner=other)
    response = _confirm(login_as(other), order, **{"refund-amount": "1", "refund-reason": "x"})
    assert response.status_code == 404
    assert _row(app, order.number)[1] == 0


def test_two_refunds_at_the_same_moment_never_give_back_more_than_was_paid(
    app, make_product, shop, seller
):
    """Two threads, each with its own database session, refund 60% of one order at once."""
    order, _, _ = _order(app, make_product, shop)
    total = order.total_fen
    amount = total * 6 // 10
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def refund_in_own_session():
        with app.test_request_context():
            mine = db.session.get(Order, order.id)
            person = db.session.get(User, seller.id)
            start.wait()
            try:
                services.refund(mine, person, "一半多", amount_fen=amount)
                db.session.commit()
                outcomes.append("refunded")
            except (services.RefundTooLarge, services.RefundChanged) as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refund_in_own_session) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes)[-1] == "refunded" and outcomes.count("refunded") == 1, outcomes
    status, refunded, paid_back, refunds = _row(app, order.number)
    assert (refunded, paid_back) == (amount, amount)
    assert len(refunds) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(OrderRefund.id))) == 1
