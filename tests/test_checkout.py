"""Checkout: the address form, shipping rules, one order per shop, prices only from the server."""

import re

import pytest
from sqlalchemy import func, select, update

from products.models import Variant
from shop.accounts.models import OutboxMessage
from shop.cart.models import CartLine
from shop.extensions import db
from shop.orders.models import Order, OrderEvent
from shop.payments.models import Payment
from tests.forms import form_data, form_on
from tests.helpers import csrf_token
from tests.shopping import (
    ADDRESS,
    add_to_cart,
    checkout_page,
    orders_of,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

NUMBER = re.compile(r"^VM-\d{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_cart_from_two_shops_becomes_two_orders_paid_together(
    app, client, make_product, make_shop
):
    pears = make_product(shop=make_shop(shipping_fee_fen=800), price_fen=3990)
    millet = make_product(shop=make_shop(shipping_fee_fen=0), price_fen=2500)
    add_to_cart(client, variant_id(app, pears), 2)
    add_to_cart(client, variant_id(app, millet), 1)
    response = place_order(client)
    assert response.status_code == 303
    token = payment_token(response)
    orders = orders_of(app, token)
    assert len(orders) == 2
    assert {order.shop_id for order in orders} == {pears.shop_id, millet.shop_id}
    by_shop = {order.shop_id: order for order in orders}
    assert (by_shop[pears.shop_id].items_fen, by_shop[pears.shop_id].shipping_fen) == (7980, 800)
    assert by_shop[pears.shop_id].total_fen == 8780
    assert by_shop[millet.shop_id].total_fen == 2500
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.token == token))
        assert payment.amount_fen == 8780 + 2500
        assert payment.gateway == "sandbox"
    for order in orders:
        assert NUMBER.match(order.number)
        assert order.status == "pending_payment"
        assert order.is_practice is False
        assert [event.reason_code for event in order.events] == ["placed"]
        assert (order.contact_name, order.phone, order.province) == (
            "王小明",
            "13812345678",
            "北京市",
        )
    line = by_shop[pears.shop_id].lines[0]
    assert (line.title_zh, line.spec_zh, line.unit_price_fen, line.quantity) == (
        pears.title_zh,
        "一箱",
        3990,
        2,
    )
    # Reserved at once; the cart is empty now.
    assert stock_of(app, variant_id(app, pears)) == 8
    assert _count(app, CartLine) == 0


def test_order_lines_keep_what_was_bought_when_the_listing_changes(app, client, make_product):
    product = make_product(price_fen=3990)
    add_to_cart(client, variant_id(app, product), 1)
    token = payment_token(place_order(client))
    with app.app_context():
        db.session.execute(
            update(Variant)
            .where(Variant.id == variant_id(app, product))
            .values(price_fen=9990, spec_zh="两箱")
        )
        db.session.commit()
    line = orders_of(app, token)[0].lines[0]
    assert (line.unit_price_fen, line.spec_zh) == (3990, "一箱")


def test_prices_sent_with_the_checkout_form_are_ignored(app, client, make_product):
    product = make_product(price_fen=3990)
    add_to_cart(client, variant_id(app, product), 1)
    # Fields the form does not have, added to what it sends as a forger would.
    page = client.get("/checkout").get_data(as_text=True)
    data = form_data(form_on(page, "/checkout", "/checkout"), ADDRESS)
    forged = {"total_fen": "1", "items_fen": "1", "unit_price_fen": "1", "price": "0.01"}
    for name, value in {**forged, "amount_fen": "1"}.items():
        data.add(name, value)
    response = client.post("/checkout", data=data)
    order = orders_of(app, payment_token(response))[0]
    assert order.total_fen == 3990
    assert order.lines[0].unit_price_fen == 3990


def test_a_forged_quote_places_nothing(app, client, make_product):
    product = make_product()
    add_to_cart(client, variant_id(app, product), 1)
    response = place_order(client, quote="0" * 32)
    assert response.status_code == 200
    assert _count(app, Order) == 0
    assert stock_of(app, variant_id(app, product)) == 10


def _english(client):
    """The checkout page in English (its form posts back to the same address)."""
    return client.get("/checkout?lang=en")


def test_a_price_rise_while_filling_in_the_form_is_shown_not_charged(app, client, make_product):
    product = make_product(price_fen=3990)
    variant = variant_id(app, product)
    add_to_cart(client, variant, 1)
    page = _english(client)
    with app.app_context():
        db.session.execute(update(Variant).where(Variant.id == variant).values(price_fen=4990))
        db.session.commit()
    response = place_order(client, page)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Prices, stock or shipping changed" in page
    assert "¥49.90" in page
    # What the buyer typed is still there.
    assert 'value="王小明"' in page
    assert _count(app, Order) == 0
    # Confirming again with the new figures places the order at the new price.
    order = orders_of(app, payment_token(place_order(client)))[0]
    assert order.total_fen == 4990


@pytest.mark.parametrize(
    ("fee", "free_over", "quantity", "shipping"),
    [
        (1000, None, 5, 1000),  # never free
        (1000, 10000, 2, 1000),  # below the threshold
        (1000, 7980, 2, 0),  # exactly the threshold: free
        (1000, 5000, 2, 0),  # above it
        (0, None, 1, 0),  # a shop that never charges
    ],
)
def test_shipping_follows_the_shops_rule(
    app, client, make_product, make_shop, fee, free_over, quantity, shipping
):
    shop = make_shop(shipping_fee_fen=fee, free_shipping_over_fen=free_over)
    product = make_product(shop=shop, price_fen=3990)
    add_to_cart(client, variant_id(app, product), quantity)
    order = orders_of(app, payment_token(place_order(client)))[0]
    assert order.shipping_fen == shipping
    assert order.total_fen == 3990 * quantity + shipping


@pytest.mark.parametrize("excluded", ["西藏", "西藏自治区", "新疆，西藏", "海南省, 西藏"])
def test_a_shop_that_does_not_deliver_there_is_named_and_nothing_is_reserved(
    app, client, make_product, make_shop, excluded
):
    shop = make_shop(no_shipping_regions=excluded, name_en="Loess Farm")
    product = make_product(shop=shop)
    add_to_cart(client, variant_id(app, product), 1)
    response = place_order(
        client, _english(client), province="西藏自治区", city="拉萨市", district="城关区"
    )
    assert response.status_code == 200
    assert "Loess Farm does not deliver to this address" in response.get_data(as_text=True)
    assert _count(app, Order) == 0
    assert stock_of(app, variant_id(app, product)) == 10
    # Another province is fine.
    assert place_order(client).status_code == 303


def test_an_address_abroad_is_accepted_with_an_international_number(app, client, make_product):
    product = make_product()
    add_to_cart(client, variant_id(app, product), 1)
    response = place_order(
        client,
        destination="abroad",
        province="",
        district="",
        country="Cambodia",
        city="",
        town="Phnom Penh",
        street="12 Street 240, Daun Penh",
        phone="+855 12 345 678",
    )
    order = orders_of(app, payment_token(response))[0]
    assert (order.country, order.city, order.province, order.phone) == (
        "Cambodia",
        "Phnom Penh",
        "",
        "+85512345678",
    )


def test_a_shop_that_ships_only_in_the_mainland_refuses_an_address_abroad(
    app, client, make_product, make_shop
):
    product = make_product(shop=make_shop(no_shipping_regions="境外"))
    add_to_cart(client, variant_id(app, product), 1)
    response = place_order(
        client, destination="abroad", country="Laos", town="Vientiane", phone="+8562012345678"
    )
    assert response.status_code == 200
    assert _count(app, Order) == 0


@pytest.mark.parametrize(
    "phone", ["12812345678", "1381234567", "138123456789", "+1 555 0100", "电话"]
)
def test_a_mainland_address_needs_a_mainland_mobile_number(app, client, make_product, phone):
    add_to_cart(client, variant_id(app, make_product()), 1)
    response = place_order(client, _english(client), phone=phone)
    page = response.get_data(as_text=True)
    assert "Enter an 11-digit mainland mobile number" in page
    assert f'value="{phone}"' in page
    assert _count(app, Order) == 0


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "199-1234-5678"])
def test_mainland_mobile_numbers_in_common_forms_are_accepted(app, client, make_product, phone):
    add_to_cart(client, variant_id(app, make_product()), 1)
    order = orders_of(app, payment_token(place_order(client, phone=phone)))[0]
    assert re.fullmatch(r"1[3-9]\d{9}", order.phone)


def test_a_mainland_address_needs_province_city_and_district(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()), 1)
    response = place_order(client, _english(client), province="", district="")
    page = response.get_data(as_text=True)
    assert "Choose the province." in page
    assert "This field is required." in page
    assert _count(app, Order) == 0


def test_an_empty_cart_cannot_check_out(client):
    response = client.get("/checkout")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cart")


def test_a_checkout_form_sent_after_the_cart_was_emptied_says_so(app, make_product):
    variant = variant_id(app, make_product(stock=3))
    buyer = app.test_client()
    add_to_cart(buyer, variant, 1)
    page = buyer.get("/checkout")
    # In another tab the buyer takes the item out of the cart, then sends this form.
    with app.app_context():
        line_id = db.session.scalar(select(CartLine.id))
    cart = form_on(buyer.get("/cart").get_data(as_text=True), f"/cart/lines/{line_id}/remove")
    assert buyer.post(cart.action, data=form_data(cart)).status_code == 302
    response = place_order(buyer, page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cart")
    assert "Your cart is empty." in buyer.get("/cart?lang=en").get_data(as_text=True)
    assert _count(app, Order) == 0
    assert stock_of(app, variant) == 3


def test_the_last_unit_goes_to_the_first_buyer_and_the_second_is_told(app, make_product):
    product = make_product(stock=1)
    variant = variant_id(app, product)
    first, second = app.test_client(), app.test_client()
    add_to_cart(first, variant, 1)
    add_to_cart(second, variant, 1)
    second_page = second.get("/checkout")
    assert place_order(first).status_code == 303
    response = place_order(second, second_page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cart")
    assert stock_of(app, variant) == 0
    assert _count(app, Order) == 1
    page = second.get("/cart?lang=en").get_data(as_text=True)
    assert "Sold out: remove it to check out." in page


def test_order_numbers_are_unique_and_not_sequential(app, client, make_product):
    numbers = []
    for _ in range(4):
        add_to_cart(client, variant_id(app, make_product()), 1)
        numbers += [order.number for order in orders_of(app, payment_token(place_order(client)))]
    assert len(set(numbers)) == 4
    assert all(NUMBER.match(number) for number in numbers)
    # A counter (in any alphabet) would leave consecutive orders differing only at the end, so
    # one buyer could guess the next buyer's number. Random numbers share a 5-letter stem once
    # in 31^5 pairs.
    assert not any(
        first[:-1] == second[:-1] for first, second in zip(numbers, numbers[1:], strict=False)
    )


def test_placing_orders_tells_buyer_and_seller(app, client, make_product, make_user, make_shop):
    seller = make_user("exhibitor", email="farmer@example.test")
    product = make_product(shop=make_shop(owner=seller))
    add_to_cart(client, variant_id(app, product), 1)
    order = orders_of(app, payment_token(place_order(client)))[0]
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {(m.to_email, m.kind) for m in messages} == {
            ("buyer@example.test", "order_placed"),
            ("farmer@example.test", "order_placed"),
        }
        assert all(order.number in m.subject for m in messages)


def test_a_customers_order_is_theirs_and_the_next_checkout_starts_from_it(
    app, make_product, make_user, login_as
):
    customer = make_user("customer", email="regular@example.test")
    client = login_as(customer)
    add_to_cart(client, variant_id(app, make_product()), 1)
    order = orders_of(app, payment_token(place_order(client, email="")))[0]
    assert order.buyer_id == customer.id
    assert order.events[0].actor_kind == "buyer"
    add_to_cart(client, variant_id(app, make_product()), 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="13812345678"' in page
    assert "中关村大街 1 号 2 单元 301" in page
    assert 'value="regular@example.test"' in page


def test_the_checkout_page_has_a_csrf_token_and_refuses_a_post_without_it(
    app, client, make_product
):
    add_to_cart(client, variant_id(app, make_product()), 1)
    response, token, _ = checkout_page(client)
    assert token
    refused = client.post("/checkout", data={**ADDRESS})  # no token, on purpose
    assert refused.status_code == 400
    assert _count(app, Order) == 0


def test_a_failed_checkout_reserves_nothing(app, client, make_product, make_shop):
    # The first shop delivers, the second does not: neither order exists, no stock moved.
    fine = make_product(stock=4)
    refusing = make_product(shop=make_shop(no_shipping_regions="北京"), stock=4)
    add_to_cart(client, variant_id(app, fine), 2)
    add_to_cart(client, variant_id(app, refusing), 2)
    assert place_order(client).status_code == 200
    assert stock_of(app, variant_id(app, fine)) == 4
    assert stock_of(app, variant_id(app, refusing)) == 4
    assert _count(app, OrderEvent) == 0
    assert _count(app, CartLine) == 2
    assert csrf_token(client.get("/checkout").get_data(as_text=True))
