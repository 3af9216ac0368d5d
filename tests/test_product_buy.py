"""The product page's buy box: one size picker, 立即购买 to the checkout, units sold, dispatch
time and delivery rule; and the seller's dispatch time on the shop profile."""

import html
import re

import pytest
from sqlalchemy import select

from products.models import Shop, Variant
from shop.accounts.models import User
from shop.cart.models import CartLine
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Order
from tests.helpers import csrf_token
from tests.shopping import add_to_cart, buy, form_token, orders_of, place_order, variant_id


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


@pytest.fixture
def pears(app, make_product):
    """A product with three sizes: ¥39.90 (200 left), ¥69.90 (3 left), ¥128 (sold out)."""
    # variants=1: the fixture adds the other two sizes itself, with the stock each test needs.
    product = make_product(
        price_fen=3990,
        stock=200,
        variants=1,
        title_zh="砀山酥梨",
        title_en="Crisp pears",
        slug="crisp-pears",
    )
    with app.app_context():
        for position, (zh, en, price, stock) in enumerate(
            [("十斤箱", "10 jin box", 6990, 3), ("礼盒", "Gift box", 12800, 0)], start=1
        ):
            db.session.add(
                Variant(
                    product_id=product.id,
                    spec_zh=zh,
                    spec_en=en,
                    price_fen=price,
                    stock=stock,
                    position=position,
                )
            )
        db.session.commit()
        ids = list(
            db.session.scalars(
                select(Variant.id)
                .where(Variant.product_id == product.id)
                .order_by(Variant.position)
            )
        )
    return product, ids


def _page(client, product, lang="en", **query):
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return client.get(f"/products/{product.id}-{product.slug}?lang={lang}{extra}")


def _radio(page: str, variant: int) -> str:
    return re.search(rf'<input type="radio" name="variant_id" id="variant-{variant}"[^>]*>', page)[
        0
    ]


def _cart(app) -> list[tuple[int, int]]:
    with app.app_context():
        return [(line.variant_id, line.quantity) for line in db.session.scalars(select(CartLine))]


# --- One picker -----------------------------------------------------------------------------


def test_each_size_carries_its_own_price_and_stock_for_the_picker(client, pears):
    product, (small, box, gift) = pears
    page = _page(client, product).get_data(as_text=True)
    assert 'data-price="¥39.90" data-stock="In stock" data-state="ok"' in _radio(page, small)
    assert 'data-price="¥69.90" data-stock="Only 3 left" data-state="low"' in _radio(page, box)
    assert 'data-price="¥128.00" data-stock="Sold out" data-state="out"' in _radio(page, gift)
    # The first buyable size is chosen; the sold-out one cannot be picked and says why.
    assert " checked" in _radio(page, small) and " disabled" not in _radio(page, small)
    assert " disabled" in _radio(page, gift) and " checked" not in _radio(page, gift)
    label = re.search(rf'<label for="variant-{gift}".*?</label>', page, re.S)[0]
    assert "Gift box" in label and "Sold out" in label
    # One picker: the sizes are the add-to-cart form's own field, and there is no second list.
    form = re.search(r'<form class="add-to-cart".*?</form>', page, re.S)[0]
    assert form.count('name="variant_id"') == 3 and "<select" not in page


def test_a_size_in_the_address_is_chosen_with_its_price(client, pears):
    product, (_, box, _) = pears
    page = _page(client, product, lang="zh", variant=box).get_data(as_text=True)
    assert 'id="chosen-price">¥69.90<' in page
    assert 'id="chosen-stock" role="status">仅剩 3 件<' in page
    assert " checked" in _radio(page, box)


def test_a_sold_out_size_in_the_address_is_shown_but_never_preselected(client, pears):
    product, (small, _, gift) = pears
    page = _page(client, product, variant=gift).get_data(as_text=True)
    assert 'id="chosen-stock" role="status">Sold out<' in page
    assert "checked" not in _radio(page, gift) and "checked" not in _radio(page, small)


def test_adding_the_chosen_size_puts_that_size_in_the_cart(app, client, pears):
    product, (_, box, _) = pears
    response = add_to_cart(client, box, 2)
    assert response.status_code == 302
    assert _cart(app) == [(box, 2)]


def test_a_sold_out_size_cannot_be_added(app, client, pears):
    product, (_, _, gift) = pears
    response = add_to_cart(client, gift, 1, lang="en")
    assert _cart(app) == []
    assert "sold out" in _text(client.get(response.headers["Location"])).lower()


# --- 立即购买 -------------------------------------------------------------------------------


def test_buy_now_puts_the_item_in_the_cart_and_lands_on_the_checkout(app, client, pears):
    product, (_, box, _) = pears
    response = add_to_cart(client, box, 2, buy_now="1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout")
    page = _text(client.get("/checkout?lang=zh"))
    assert "确认订单" in page and "十斤箱" in page and "¥139.80" in page
    assert _cart(app) == [(box, 2)]


def test_buy_now_says_that_the_rest_of_the_cart_is_bought_too(app, client, pears, make_product):
    product, (small, _, _) = pears
    other = variant_id(app, make_product(title_en="Millet"))
    add_to_cart(client, other, 1)
    add_to_cart(client, small, 1, buy_now="1", lang="en")
    page = _text(client.get("/checkout?lang=en"))
    assert "The other items in your cart are in this checkout too" in page
    assert "Millet" in page and "Crisp pears" in page


def test_buy_now_without_a_token_confirms_and_then_goes_to_the_checkout(app, client, pears):
    product, (_, box, _) = pears
    page = client.post("/cart/add?lang=zh", data={"variant_id": box, "quantity": 1, "buy_now": "1"})
    text = page.get_data(as_text=True)
    assert "立即购买？" in text and 'name="buy_now" value="1"' in text
    assert _cart(app) == []
    response = client.post(
        "/cart/add",
        data={"variant_id": box, "quantity": 1, "buy_now": "1", "csrf_token": csrf_token(text)},
    )
    assert response.headers["Location"].endswith("/checkout")
    assert _cart(app) == [(box, 1)]


def test_buy_now_of_a_sold_out_size_goes_back_to_the_product(app, client, pears):
    product, (_, _, gift) = pears
    response = add_to_cart(client, gift, 1, buy_now="1")
    assert "/checkout" not in response.headers["Location"]
    assert _cart(app) == []


@pytest.mark.parametrize(
    "value", ["²", "99999999999999999999", "1\x00", "🍐", "x" * 10_000, "-1", ""]
)
def test_hostile_buy_now_values_never_fail(app, client, pears, value):
    product, (small, _, _) = pears
    for data in (
        {"variant_id": value, "quantity": 1, "buy_now": "1"},
        {"variant_id": small, "quantity": value, "buy_now": "1"},
        {"variant_id": small, "quantity": 1, "buy_now": value},
    ):
        response = client.post("/cart/add", data={**data, "csrf_token": form_token(client)})
        assert response.status_code in (302, 303, 400, 404), (data, response.status_code)


# --- Units sold, dispatch, delivery ---------------------------------------------------------


def test_units_sold_count_paid_units_less_refunds(app, make_user, make_shop, make_product):
    seller = make_user("exhibitor")
    shop = make_shop(owner=seller)
    product = make_product(shop=shop, stock=50, title_en="Honey", slug="honey")
    variant = variant_id(app, product)
    buy(app.test_client(), variant, 3)  # paid: counts 3
    add_to_cart(waiting := app.test_client(), variant, 2)
    place_order(waiting)  # waiting for payment: not sold yet
    refunded = orders_of(app, buy(app.test_client(), variant, 4))[0]
    partly = orders_of(app, buy(app.test_client(), variant, 5))[0]
    with app.test_request_context():
        actor = db.session.get(User, seller.id)
        orders.refund_order(db.session.get(Order, refunded.id), actor, "Broken in the post")
        order = db.session.get(Order, partly.id)
        orders.refund(order, actor, "Two were bruised", line_quantities={order.lines[0].id: 2})
        db.session.commit()
    page = _text(app.test_client().get(f"/products/{product.id}-honey?lang=en"))
    assert "6 sold" in page  # 3 + (5 - 2); the fully refunded 4 and the unpaid 2 do not count
    zh = _text(app.test_client().get(f"/products/{product.id}-honey?lang=zh"))
    assert "已售 6 件" in zh


def test_a_product_nobody_bought_shows_no_sold_figure(client, pears):
    product, _ = pears
    assert "sold-count" not in _page(client, product).get_data(as_text=True)


def test_the_page_says_when_the_shop_dispatches_and_where_it_delivers(
    app, client, make_shop, make_product
):
    shop = make_shop(
        dispatch_days=3,
        shipping_fee_fen=800,
        free_shipping_over_fen=9900,
        no_shipping_regions="西藏自治区,境外",
    )
    product = make_product(shop=shop, slug="tea")
    zh = _text(client.get(f"/products/{product.id}-tea?lang=zh"))
    assert "付款后 3 天内发货" in zh
    assert "除以下地区外均可配送：西藏自治区,境外" in zh
    en = _text(client.get(f"/products/{product.id}-tea?lang=en"))
    assert "Ships within 3 days of payment" in en
    assert "¥8.00 per order, free from ¥99.00" in en


def test_one_dispatch_day_reads_in_the_singular(client, make_shop, make_product):
    product = make_product(shop=make_shop(dispatch_days=1), slug="eggs")
    assert "Ships within 1 day of payment" in _text(
        client.get(f"/products/{product.id}-eggs?lang=en")
    )


# --- The seller sets the dispatch time --------------------------------------------------------


@pytest.fixture
def seller_with_shop(make_user, make_shop, login_as):
    seller = make_user("exhibitor")
    shop = make_shop(owner=seller, dispatch_days=2)
    return login_as(seller), shop


def _shop_form(client) -> dict:
    """The shop profile form as the browser would send it back unchanged."""
    page = client.get("/sell/shop?lang=en").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page))
    fields.update(
        {
            name: html.unescape(value)
            for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)<', page)
        }
    )
    select = re.search(r'<select[^>]*name="region".*?</select>', page, re.S)[0]
    chosen = [option for option in re.findall(r"<option[^>]*>", select) if "selected" in option]
    fields["region"] = re.search(r'value="(\d+)"', chosen[0])[1]
    fields.pop("logo", None)
    return fields


def _saved(app, shop_id):
    with app.app_context():
        row = db.session.get(Shop, shop_id)
        return {
            "dispatch_days": row.dispatch_days,
            "name_zh": row.name_zh,
            "shipping_fee_fen": row.shipping_fee_fen,
            "region_id": row.region_id,
        }


def test_the_shop_profile_round_trips_the_dispatch_days(app, seller_with_shop):
    client, shop = seller_with_shop
    before = _saved(app, shop.id)
    form = _shop_form(client)
    assert form["dispatch_days"] == "2"
    assert client.post("/sell/shop", data=form).status_code == 302
    assert _saved(app, shop.id) == before  # sent back unchanged: nothing changed
    client.post("/sell/shop", data={**_shop_form(client), "dispatch_days": "5"})
    assert _saved(app, shop.id) == {**before, "dispatch_days": 5}  # only that field


@pytest.mark.parametrize(
    "value", ["0", "31", "-1", "²", "99999999999999999999", "3\x00", "🍐", "x" * 10_000, "", "2.5"]
)
def test_the_dispatch_days_refuse_nonsense_and_keep_what_was_typed(app, seller_with_shop, value):
    client, shop = seller_with_shop
    response = client.post(
        "/sell/shop?lang=en", data={**_shop_form(client), "dispatch_days": value}
    )
    assert _saved(app, shop.id)["dispatch_days"] == 2
    if "\x00" in value:
        assert response.status_code == 400  # NUL is refused before any form sees it
        return
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*name="dispatch_days"[^>]*>', page)[0]
    assert f'value="{html.escape(value)}"' in field  # what was typed stays in the box
    errors = ("Enter a number of days from 1 to 30.", "Enter a whole number", "too large")
    assert any(error in _text(response) for error in errors) and "has-error" in page


def test_a_profile_form_from_before_the_dispatch_field_keeps_the_days(app, seller_with_shop):
    client, shop = seller_with_shop
    client.post("/sell/shop", data={**_shop_form(client), "dispatch_days": "7"})
    old_page = {key: value for key, value in _shop_form(client).items() if key != "dispatch_days"}
    assert client.post("/sell/shop", data={**old_page, "name_zh": "新名字"}).status_code == 302
    assert _saved(app, shop.id)["dispatch_days"] == 7
    assert _saved(app, shop.id)["name_zh"] == "新名字"
