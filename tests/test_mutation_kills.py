"""Checks that `make mutate` showed were missing: each fails when the money, stock, payment-state
or access-control rule it names is changed (see docs/testing.md)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from products.models import Variant
from shop.extensions import db
from shop.money import fen_to_decimal_text, format_fen, parse_money
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.forms import submit
from tests.shopping import (
    add_to_cart,
    buy,
    orders_of,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

# --- Money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (3990, "39.90"), (-250, "-2.50"), (-5, "-0.05")]
)
def test_decimal_text_keeps_the_sign_and_two_decimals(fen, text):
    # The CSV export and the price fields show this text; a refund is negative.
    assert fen_to_decimal_text(fen) == text


def test_small_negative_amounts_keep_their_sign():
    assert format_fen(-5) == "-¥0.05"


# --- Stock and prices: the seller's list page --------------------------------------------------


def _variant(app, variant: int) -> tuple[int, int]:
    with app.app_context():
        row = db.session.get(Variant, variant)
        return row.price_fen, row.stock


def test_the_list_page_saves_a_sellers_own_new_prices_and_stock(
    app, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    shop = make_shop(owner=seller)
    pears = variant_id(app, make_product(shop=shop, price_fen=3990, stock=5))
    apples = variant_id(app, make_product(shop=shop, price_fen=2500, stock=0))
    kept = variant_id(app, make_product(shop=shop, price_fen=1200, stock=7))
    client = login_as(seller)
    response = submit(
        client,
        "/sell/products",
        "/sell/products",
        {f"price-{pears}": "45.50", f"stock-{pears}": "12", f"stock-{apples}": "30"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "已保存 2 处修改。" in response.get_data(as_text=True)
    assert _variant(app, pears) == (4550, 12)
    assert _variant(app, apples) == (2500, 30)
    assert _variant(app, kept) == (1200, 7)


def test_saving_the_list_page_unchanged_changes_nothing(
    app, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    shop = make_shop(owner=seller)
    variant = variant_id(app, make_product(shop=shop, price_fen=3990, stock=5))
    response = submit(login_as(seller), "/sell/products", "/sell/products", follow_redirects=True)
    assert "已保存 0 处修改。" in response.get_data(as_text=True)
    assert _variant(app, variant) == (3990, 5)


def test_no_changes_at_all_count_as_none(app, make_shop):
    from shop.sellers import services

    shop = make_shop()
    with app.app_context():
        assert services.update_stock_and_prices(shop, {}) == 0


# --- Access: a seller's order list -------------------------------------------------------------


def test_a_seller_lists_their_own_orders_and_no_one_elses(
    app, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    own = variant_id(app, make_product(shop=make_shop(owner=seller), stock=5))
    other = variant_id(app, make_product(stock=5))
    mine = orders_of(app, buy(app.test_client(), own))[0]
    theirs = orders_of(app, buy(app.test_client(), other))[0]
    page = login_as(seller).get("/sell/orders").get_data(as_text=True)
    listed = re.findall(r'href="/sell/orders/(VM-[^"]+)"', page)
    assert listed == [mine.number]
    assert theirs.number not in page
    with app.app_context():
        assert db.session.scalar(select(Variant.stock).where(Variant.id == own)) == 4


# --- Money typed in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [("￥68", 6800), ("-2.50", -250), ("-0.05", -5), ("0000000000001.50", 150), ("+3", 300)],
)
def test_parse_money_reads_the_full_width_yen_sign_and_leading_zeros(text, fen):
    # A Chinese keyboard types ￥; a refund correction is negative; a pasted amount may be padded.
    assert parse_money(text) == fen


# --- Stock back and the checkout closed when orders are cancelled ---------------------------------


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT version FROM catalogue_version WHERE id = 1")) or 0


def _payment_status(app, token: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Payment.status).where(Payment.token == token))


def test_cancelling_a_checkout_of_two_products_returns_both_stocks(
    app, client, make_shop, make_product
):
    shop = make_shop()
    pears = variant_id(app, make_product(shop=shop, stock=5))
    apples = variant_id(app, make_product(shop=shop, stock=7))
    add_to_cart(client, pears, 2)
    add_to_cart(client, apples, 3)
    token = payment_token(place_order(client))
    assert (stock_of(app, pears), stock_of(app, apples)) == (3, 4)
    version = _version(app)
    submit(client, f"/checkout/done/{token}", f"/checkout/done/{token}/cancel")
    order = orders_of(app, token)[0]
    assert (order.status, len(order.lines)) == ("cancelled", 2)
    assert (stock_of(app, pears), stock_of(app, apples)) == (5, 7)
    # Stock coming back is not a catalogue edit: cached pages of other products stay cached.
    assert _version(app) == version


def _seller_cancels(client, number: str):
    return submit(
        client,
        f"/sell/orders/{number}",
        f"/sell/orders/{number}/cancel",
        {"cancel-reason": "这批梨被冰雹打坏了"},
    )


def test_a_seller_cancelling_the_only_unpaid_order_closes_its_checkout(
    app, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    variant = variant_id(app, make_product(shop=make_shop(owner=seller), stock=5))
    buyer = app.test_client()
    add_to_cart(buyer, variant, 2)
    token = payment_token(place_order(buyer))
    order = orders_of(app, token)[0]
    assert _seller_cancels(login_as(seller), order.number).status_code == 302
    assert orders_of(app, token)[0].status == "cancelled"
    assert stock_of(app, variant) == 5
    # Nothing is left to pay, so the buyer cannot pay for it any more.
    assert _payment_status(app, token) == "cancelled"


def test_a_seller_cancelling_a_paid_order_leaves_the_payment_paid(
    app, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    variant = variant_id(app, make_product(shop=make_shop(owner=seller), stock=5))
    token = buy(app.test_client(), variant, 2)
    order = orders_of(app, token)[0]
    assert _seller_cancels(login_as(seller), order.number).status_code == 302
    assert orders_of(app, token)[0].status == "cancelled"
    # The money went back as a refund; the payment itself did happen.
    assert _payment_status(app, token) == "succeeded"


def test_a_buyers_own_cancel_gives_no_reason_for_the_order_page_to_show(app, client, make_product):
    variant = variant_id(app, make_product(stock=5))
    add_to_cart(client, variant, 1)
    token = payment_token(place_order(client))
    submit(client, f"/checkout/done/{token}", f"/checkout/done/{token}/cancel")
    order = orders_of(app, token)[0]
    assert (order.status, order.cancel_reason, order.events[-1].note) == ("cancelled", "", "")
    page = client.get(f"/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "Reason given" not in page


def _two_shop_checkout(app, client, make_shop, make_product, first_shop=None):
    """A checkout with one unpaid order from each of two shops: (token, orders, variants)."""
    first = variant_id(app, make_product(shop=first_shop or make_shop(), stock=5))
    second = variant_id(app, make_product(shop=make_shop(), stock=5))
    add_to_cart(client, first, 1)
    add_to_cart(client, second, 1)
    token = payment_token(place_order(client))
    placed = orders_of(app, token)
    assert len(placed) == 2
    return token, placed, (first, second)


def test_expiry_counts_only_the_orders_it_cancelled(app, client, make_shop, make_product):
    from shop.models_base import utcnow
    from shop.orders import services

    token, placed, (first, second) = _two_shop_checkout(app, client, make_shop, make_product)
    with app.app_context():
        order = db.session.get(Order, placed[0].id)
        assert services.cancel_unpaid(order, "system", code="buyer_cancelled")
        db.session.commit()
    with app.app_context():
        later = utcnow() + services.RESERVATION_TIME + timedelta(minutes=1)
        # `flask expire-orders` prints this number.
        assert services.expire_overdue(now=later) == 1
        db.session.commit()
    assert [order.status for order in orders_of(app, token)] == ["cancelled", "cancelled"]
    assert (stock_of(app, first), stock_of(app, second)) == (5, 5)
    assert _payment_status(app, token) == "expired"


def test_a_seller_cancelling_one_order_of_a_checkout_leaves_the_other_payable(
    app, client, make_user, make_shop, make_product, login_as
):
    seller = make_user("exhibitor")
    token, placed, (first, second) = _two_shop_checkout(
        app, client, make_shop, make_product, first_shop=make_shop(owner=seller)
    )
    assert _seller_cancels(login_as(seller), placed[0].number).status_code == 302
    assert [order.status for order in orders_of(app, token)] == ["cancelled", "pending_payment"]
    assert _payment_status(app, token) == "pending"
    assert (stock_of(app, first), stock_of(app, second)) == (5, 4)


def test_a_cancel_that_loses_the_race_to_the_payment_cancels_nothing(app, client, make_product):
    from shop.orders import services

    variant = variant_id(app, make_product(stock=5))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    with app.app_context():
        order = db.session.get(Order, orders_of(app, token)[0].id)
        # The payment event marks it paid in another request after this one loaded it.
        db.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(status="paid")
            .execution_options(synchronize_session=False)
        )
        assert services.cancel_unpaid(order, "system", code="expired") is False
        db.session.commit()
    assert orders_of(app, token)[0].status == "paid"
    assert stock_of(app, variant) == 3


# --- Access: who sees an order -----------------------------------------------------------------


def test_a_customer_sees_their_order_from_another_browser(app, make_user, make_product, login_as):
    buyer = make_user("customer")
    number = orders_of(app, buy(login_as(buyer), variant_id(app, make_product())))[0].number
    # Logged in on a phone that never placed or proved the order: the account is enough.
    phone = login_as(buyer)
    page = phone.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert f"Order {number}" in page
    assert "中关村大街 1 号 2 单元 301" in page


def test_the_order_page_says_how_it_was_paid(app, client, make_product):
    number = orders_of(app, buy(client, variant_id(app, make_product())))[0].number
    page = client.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert "Paid with Bank card." in page


def test_a_paid_orders_history_line_carries_no_note_or_reason(app, client, make_product):
    order = orders_of(app, buy(client, variant_id(app, make_product())))[0]
    paid = order.events[-1]
    assert (paid.to_status, paid.note, paid.reason_code) == ("paid", "", "")


def test_a_payment_address_too_long_to_be_a_token_is_404(client):
    assert client.get(f"/payments/{'a' * 65}/pay").status_code == 404
