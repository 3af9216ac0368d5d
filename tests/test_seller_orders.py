"""The seller's order pages: list and filter, ship, deliver, cancel, refund, packing slip, CSV."""

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.orders.models import Order
from shop.sellers.services import was_ever_ordered
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


@pytest.fixture
def seller(make_user):
    return make_user("exhibitor", email="seller@example.test")


@pytest.fixture
def shop(make_shop, seller):
    return make_shop(owner=seller, shipping_fee_fen=1000)


@pytest.fixture
def seller_client(login_as, seller):
    return login_as(seller)


def _paid_order(app, make_product, shop, stock: int = 10, quantity: int = 1):
    variant = variant_id(app, make_product(shop=shop, stock=stock))
    buyer = app.test_client()
    order = orders_of(app, buy(buyer, variant, quantity))[0]
    return order, variant, buyer


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": form_token(client), **data})


def test_the_list_shows_new_orders_first_and_filters_by_state(
    app, seller_client, make_product, shop
):
    first, _, _ = _paid_order(app, make_product, shop)
    second, _, _ = _paid_order(app, make_product, shop)
    unpaid_buyer = app.test_client()
    add_to_cart(unpaid_buyer, variant_id(app, make_product(shop=shop)), 1)
    unpaid = orders_of(app, payment_token(place_order(unpaid_buyer)))[0]
    page = seller_client.get("/sell/orders").get_data(as_text=True)
    listed = re.findall(r'href="/sell/orders/(VM-[^"]+)"', page)
    assert listed == [unpaid.number, second.number, first.number]
    paid_only = seller_client.get("/sell/orders?status=paid").get_data(as_text=True)
    assert re.findall(r'href="/sell/orders/(VM-[^"]+)"', paid_only) == [second.number, first.number]
    assert seller_client.get("/sell/orders?status=nonsense").status_code == 400


def test_another_sellers_orders_are_invisible(
    app, make_product, make_shop, make_user, login_as, shop
):
    order, _, _ = _paid_order(app, make_product, shop)
    other_seller = make_user("exhibitor")
    make_shop(owner=other_seller)
    other = login_as(other_seller)
    assert order.number not in other.get("/sell/orders").get_data(as_text=True)
    for path in ("", "/packing-slip"):
        assert other.get(f"/sell/orders/{order.number}{path}").status_code == 404
    for action in ("ship", "deliver", "cancel", "refund"):
        response = _post(
            other,
            f"/sell/orders/{order.number}/{action}",
            carrier="SF",
            tracking_number="1",
            **{"cancel-reason": "x", "refund-reason": "x"},
        )
        assert response.status_code == 404
    assert _status(app, order.number) == "paid"


def _status(app, number: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Order.status).where(Order.number == number))


@pytest.mark.parametrize("role", ["customer", "trainer", "organizer"])
def test_people_without_a_shop_role_are_refused(make_user, login_as, role):
    assert login_as(make_user(role)).get("/sell/orders").status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/sell/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_marking_shipped_needs_carrier_and_tracking_and_tells_the_buyer(
    app, seller_client, make_product, shop
):
    order, _, buyer = _paid_order(app, make_product, shop)
    missing = _post(
        seller_client, f"/sell/orders/{order.number}/ship?lang=en", carrier="", tracking_number=""
    )
    assert missing.status_code == 422
    assert _status(app, order.number) == "paid"
    _post(
        seller_client,
        f"/sell/orders/{order.number}/ship",
        carrier="顺丰速运",
        tracking_number="SF1234567890",
    )
    assert _status(app, order.number) == "shipped"
    buyer_page = buyer.get(f"/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "Shipped with 顺丰速运, tracking number SF1234567890." in buyer_page
    with app.app_context():
        notice = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "order_shipped")
        )
        assert notice.to_email == "buyer@example.test"
        assert "SF1234567890" in notice.body
    # Shipping twice is refused.
    again = _post(
        seller_client, f"/sell/orders/{order.number}/ship", carrier="EMS", tracking_number="E1"
    )
    assert again.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Order.carrier).where(Order.number == order.number))
            == "顺丰速运"
        )


def test_an_unpaid_order_cannot_be_shipped(app, seller_client, make_product, shop):
    buyer = app.test_client()
    add_to_cart(buyer, variant_id(app, make_product(shop=shop)), 1)
    order = orders_of(app, payment_token(place_order(buyer)))[0]
    _post(seller_client, f"/sell/orders/{order.number}/ship", carrier="SF", tracking_number="SF1")
    assert _status(app, order.number) == "pending_payment"


def test_a_shipped_order_can_be_marked_delivered(app, seller_client, make_product, shop):
    order, _, _ = _paid_order(app, make_product, shop)
    _post(seller_client, f"/sell/orders/{order.number}/deliver")
    assert _status(app, order.number) == "paid"
    _post(seller_client, f"/sell/orders/{order.number}/ship", carrier="SF", tracking_number="SF1")
    _post(seller_client, f"/sell/orders/{order.number}/deliver")
    assert _status(app, order.number) == "delivered"


def test_cancelling_needs_a_reason_returns_stock_and_refunds_a_paid_order(
    app, seller_client, make_product, shop
):
    order, variant, buyer = _paid_order(app, make_product, shop, stock=5, quantity=2)
    assert stock_of(app, variant) == 3
    no_reason = _post(
        seller_client, f"/sell/orders/{order.number}/cancel", **{"cancel-reason": " "}
    )
    assert no_reason.status_code == 422
    _post(
        seller_client,
        f"/sell/orders/{order.number}/cancel",
        **{"cancel-reason": "冰雹打坏了这批梨"},
    )
    assert stock_of(app, variant) == 5
    with app.app_context():
        row = db.session.scalar(select(Order).where(Order.number == order.number))
        assert (row.status, row.cancel_reason, row.refunded_fen) == (
            "cancelled",
            "冰雹打坏了这批梨",
            row.total_fen,
        )
        assert row.payment.refunded_fen == row.total_fen
    page = buyer.get(f"/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "冰雹打坏了这批梨" in page and "Cancelled" in page


def test_a_shipped_order_cannot_be_cancelled(app, seller_client, make_product, shop):
    order, variant, _ = _paid_order(app, make_product, shop, stock=5)
    _post(seller_client, f"/sell/orders/{order.number}/ship", carrier="SF", tracking_number="SF1")
    _post(seller_client, f"/sell/orders/{order.number}/cancel", **{"cancel-reason": "oops"})
    assert _status(app, order.number) == "shipped"
    assert stock_of(app, variant) == 4


def test_refunding_a_paid_order_returns_money_and_stock(app, seller_client, make_product, shop):
    order, variant, _ = _paid_order(app, make_product, shop, stock=5, quantity=2)
    response = _post(
        seller_client,
        f"/sell/orders/{order.number}/refund?lang=en",
        **{"refund-reason": "买家不要了", "refund-restock": "y", "refund-confirm": "1"},
        **{"refund-expected": "0"},
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Order).where(Order.number == order.number))
        assert (row.status, row.refunded_fen) == ("refunded", 3990 * 2 + 1000)
        assert row.events[-1].note == "买家不要了"
    assert stock_of(app, variant) == 5
    page = seller_client.get(f"/sell/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "Refunded ¥89.80 to the buyer." in page
    # A second refund is refused and changes nothing.
    _post(
        seller_client,
        f"/sell/orders/{order.number}/refund",
        **{"refund-reason": "again", "refund-confirm": "1", "refund-expected": "0"},
    )
    with app.app_context():
        assert (
            db.session.scalar(select(Order.refunded_fen).where(Order.number == order.number))
            == 8980
        )


def test_refunding_a_shipped_order_keeps_the_stock_as_it_is(app, seller_client, make_product, shop):
    order, variant, _ = _paid_order(app, make_product, shop, stock=5)
    _post(seller_client, f"/sell/orders/{order.number}/ship", carrier="SF", tracking_number="SF1")
    _post(
        seller_client,
        f"/sell/orders/{order.number}/refund",
        **{"refund-reason": "坏了", "refund-confirm": "1", "refund-expected": "0"},
    )
    assert _status(app, order.number) == "refunded"
    assert stock_of(app, variant) == 4


def test_an_unpaid_order_cannot_be_refunded(app, seller_client, make_product, shop):
    buyer = app.test_client()
    add_to_cart(buyer, variant_id(app, make_product(shop=shop)), 1)
    order = orders_of(app, payment_token(place_order(buyer)))[0]
    _post(
        seller_client,
        f"/sell/orders/{order.number}/refund",
        **{"refund-reason": "x", "refund-confirm": "1", "refund-expected": "0"},
    )
    assert _status(app, order.number) == "pending_payment"


def test_the_packing_slip_prints_address_items_and_note(app, seller_client, make_product, shop):
    order, _, _ = _paid_order(app, make_product, shop, quantity=3)
    page = seller_client.get(f"/sell/orders/{order.number}/packing-slip").get_data(as_text=True)
    assert "中关村大街 1 号 2 单元 301" in page
    assert "王小明 · 13812345678" in page
    assert "请放门卫" in page
    assert re.search(r"<td>3</td>", page)
    assert "js/print-slip.js" in page and "data-print" in page
    css = (Path(app.static_folder) / "css" / "site.css").read_text()
    assert "@media print" in css and ".packing-slip" in css


def test_the_csv_export_lists_the_sellers_orders(app, seller_client, make_product, shop, make_shop):
    first, _, _ = _paid_order(app, make_product, shop, quantity=2)
    other_shop_order, _, _ = _paid_order(app, make_product, make_shop())
    response = seller_client.get("/sell/orders/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["number", "placed_at", "status"]
    assert [row[0] for row in rows[1:]] == [first.number]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["total_yuan"], row["shipping_yuan"], row["phone"]) == (
        "89.80",
        "10.00",
        "13812345678",
    )
    assert other_shop_order.number not in response.get_data(as_text=True)
    filtered = seller_client.get("/sell/orders/export.csv?status=shipped").get_data(as_text=True)
    assert first.number not in filtered


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(app, seller_client, make_product, shop):
    buyer = app.test_client()
    add_to_cart(buyer, variant_id(app, make_product(shop=shop)), 1)
    place_order(buyer, note='=HYPERLINK("http://evil.example","x")')
    text = seller_client.get("/sell/orders/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_a_listing_that_was_ordered_counts_as_ordered_for_the_seller_pages(app, make_product, shop):
    product = make_product(shop=shop)
    variant = variant_id(app, product)
    with app.app_context():
        assert not was_ever_ordered([variant])
    buy(app.test_client(), variant)
    with app.app_context():
        assert was_ever_ordered([variant])


def test_the_history_shows_who_did_what(app, seller_client, make_product, shop):
    order, _, _ = _paid_order(app, make_product, shop)
    _post(seller_client, f"/sell/orders/{order.number}/ship", carrier="SF", tracking_number="SF9")
    page = seller_client.get(f"/sell/orders/{order.number}?lang=en").get_data(as_text=True)
    history = page[page.index("History") :]
    assert (
        history.index("Waiting for payment")
        < history.index("Paid, to be shipped")
        < history.index("Shipped")
    )
    assert "Seller" in history and "SF SF9" in history


def test_practice_orders_are_marked(app, seller_client, make_product, shop):
    order, _, _ = _paid_order(app, make_product, shop)
    with app.app_context():
        db.session.execute(
            update(Order).where(Order.number == order.number).values(is_practice=True)
        )
        db.session.commit()
    page = seller_client.get("/sell/orders?lang=en").get_data(as_text=True)
    assert "Practice" in page


# --- Tabs, pictures and phones ------------------------------------------------------------------


def _set_status(app, order, status: str) -> None:
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order.id).values(status=status))
        db.session.commit()


def _ask_for_refund(app, order) -> None:
    """The buyer's refund request, waiting for the seller (as the order page's form leaves it)."""
    from shop.messages.models import Message, MessageKind, RequestState, Thread

    with app.app_context():
        thread = Thread(order_id=order.id, shop_id=order.shop_id, awaiting_seller=True)
        db.session.add(thread)
        db.session.flush()
        db.session.add(
            Message(
                thread_id=thread.id,
                kind=MessageKind.REFUND_REQUEST,
                body="梨摔坏了，请退款",
                request_state=RequestState.OPEN,
            )
        )
        db.session.commit()


def _listed(page: str) -> set[str]:
    return set(re.findall(r'href="/sell/orders/(VM-[^"]+)"', page))


def _tabs(page: str) -> dict[str, tuple[int, str]]:
    """{tab label: (count, link)} of the order list's status tabs."""
    nav = page.split('class="order-tabs"')[1].split("</nav>")[0]
    return {
        label.strip(): (int(number), link.replace("&amp;", "&"))
        for link, label, number in re.findall(
            r'<a href="([^"]+)"[^>]*>([^<]+)<span class="tab-count">(\d+)</span></a>', nav
        )
    }


def test_status_tabs_show_their_counts_and_list_exactly_their_orders(
    app, seller_client, make_product, shop
):
    orders = {}
    for name in ("to_ship", "shipped", "delivered", "refunded", "cancelled", "asks_refund"):
        orders[name], _, _ = _paid_order(app, make_product, shop)
    for name, status in [
        ("shipped", "shipped"),
        ("delivered", "delivered"),
        ("refunded", "refunded"),
        ("cancelled", "cancelled"),
        ("asks_refund", "shipped"),
    ]:
        _set_status(app, orders[name], status)
    _ask_for_refund(app, orders["asks_refund"])
    unpaid_buyer = app.test_client()
    add_to_cart(unpaid_buyer, variant_id(app, make_product(shop=shop)), 1)
    orders["unpaid"] = orders_of(app, payment_token(place_order(unpaid_buyer)))[0]
    number = {name: order.number for name, order in orders.items()}

    tabs = _tabs(seller_client.get("/sell/orders").get_data(as_text=True))
    assert tabs == {
        "全部": (7, "/sell/orders"),
        "待付款": (1, "/sell/orders?status=pending_payment"),
        "待发货": (1, "/sell/orders?status=paid"),
        "已发货": (3, "/sell/orders?status=shipped"),
        "退款/售后": (2, "/sell/orders?status=after_sale"),
    }
    expected = {
        "全部": set(number.values()),
        "待付款": {number["unpaid"]},
        "待发货": {number["to_ship"]},
        "已发货": {number["shipped"], number["delivered"], number["asks_refund"]},
        "退款/售后": {number["refunded"], number["asks_refund"]},
    }
    for label, (count, link) in tabs.items():
        page = seller_client.get(link).get_data(as_text=True)
        assert _listed(page) == expected[label], label
        assert f'href="{link}" aria-current="page"' in page.replace("&amp;", "&"), label
        assert len(expected[label]) == count
    after_sale = seller_client.get("/sell/orders?status=after_sale").get_data(as_text=True)
    assert after_sale.count("买家申请退款") == 1
    # The CSV of a tab holds the same orders as the tab.
    shipped_csv = seller_client.get("/sell/orders/export.csv?status=shipped").get_data(as_text=True)
    assert {row[0] for row in csv.reader(io.StringIO(shipped_csv.lstrip("\ufeff")))} - {
        "number"
    } == expected["已发货"]


def test_each_order_shows_its_products_pictures_the_buyers_city_and_the_total(
    app, seller_client, make_product, shop, listing_photo
):
    pictured = make_product(shop=shop, title_zh="砀山酥梨 5斤", price_fen=3990)
    order = orders_of(app, buy(app.test_client(), variant_id(app, pictured), 2))[0]
    page = seller_client.get("/sell/orders").get_data(as_text=True)
    row = page.split(f'href="/sell/orders/{order.number}"')[1].split("</tr>")[0]
    assert f'src="/media/{listing_photo.key}' in row  # the product's cover photo
    assert "砀山酥梨 5斤" in row and "一箱 × 2" in row
    assert "北京市" in row and "中关村" not in row
    assert "¥89.80" in row


def test_the_order_list_turns_into_labelled_cards_on_a_phone(
    app, seller_client, make_product, shop
):
    _paid_order(app, make_product, shop)
    page = seller_client.get("/sell/orders").get_data(as_text=True)
    table = re.search(r'<table class="([^"]+)">(.*?)</table>', page, re.S)
    assert "cards-on-phone" in table.group(1).split()
    cells = re.findall(r"<td([^>]*)>", table.group(2))
    assert len(cells) == 5
    assert all('data-label="' in cell for cell in cells)


def test_the_order_list_costs_the_same_queries_however_many_orders(
    app, seller_client, make_product, shop, count_queries
):
    from products.models import ProductImage

    def grow(count: int) -> None:
        for _ in range(count):
            order, _, _ = _paid_order(app, make_product, shop)
            with app.app_context():
                product_id = (
                    db.session.scalar(select(Order).where(Order.id == order.id)).lines[0].product_id
                )
                db.session.add(
                    ProductImage(product_id=product_id, key=f"k{product_id}", width=800, height=600)
                )
                db.session.commit()
            _ask_for_refund(app, order)

    grow(2)
    few = {
        url: count_queries(seller_client, url)
        for url in ("/sell/orders", "/sell/orders?status=after_sale")
    }
    grow(12)
    many = {
        url: count_queries(seller_client, url)
        for url in ("/sell/orders", "/sell/orders?status=after_sale")
    }
    assert few == many and max(many.values()) <= 8, (few, many)
