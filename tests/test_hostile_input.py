"""Odd numbers, huge numbers and NUL bytes from forms, query strings and CSV files are refused
with a page that says why (or quietly ignored where that is the page's habit), never a 500."""

import io
import re

import pytest
from sqlalchemy import select

from products.models import Discount, Product, Shop, Variant
from shop.extensions import db
from shop.orders.models import Order
from tests.forms import submit
from tests.helpers import csrf_token
from tests.shopping import add_to_cart, payment_token, place_order, variant_id

HUGE = "99999999999999999999999"
PASSWORD = "correct horse battery"


def sign_in(app, user):
    """A client logged in through the log-in form."""
    client = app.test_client()
    response = submit(client, "/login", changes={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture
def seller(app, make_user, make_shop, make_product):
    """An exhibitor (English) with one listing; the client has .shop, .product and .variant."""
    owner = make_user("exhibitor", language="en")
    shop = make_shop(owner=owner, slug="pear-farm")
    product = make_product(shop=shop, price_fen=3990, stock=10)
    client = sign_in(app, owner)
    client.shop, client.product, client.variant = shop, product, variant_id(app, product)
    return client


# --- Ids and page numbers in the address ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/products/{HUGE}",
        f"/products/{HUGE}-pears",
        f"/products/{2**31}/qr.svg",
        f"/products/{2**63}",
        "/products/١٢",
        f"/sell/products/{HUGE}",
    ],
)
def test_an_id_past_the_id_column_is_a_404_page(app, url):
    response = app.test_client().get(url, query_string={"lang": "en"})
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_an_api_id_past_the_id_column_is_a_404_json_error(app):
    response = app.test_client().get(f"/api/v1/products/{HUGE}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("page", ["²", "١٢", "１", HUGE, str(2**63), "-1", "0"])
def test_odd_page_numbers_on_listings_are_a_400_page(app, make_product, page):
    product = make_product()
    client = app.test_client()
    with app.app_context():
        shop = db.session.get(Shop, product.shop_id)
        region_slug, shop_slug = shop.region.slug, shop.slug
    for url in (f"/regions/{region_slug}", f"/shops/{shop_slug}"):
        response = client.get(url, query_string={"page": page, "lang": "en"})
        assert response.status_code == 400, url
        assert "Something in that request was not right" in response.get_data(as_text=True)
    for name in ("page", "per_page"):
        response = client.get("/api/v1/products", query_string={name: page})
        assert response.status_code == 400, name
        assert response.json["error"]["code"] == "bad_parameter"
    assert client.get("/search", query_string={"q": "梨", "page": page}).status_code == 400


def test_an_odd_variant_in_the_address_shows_the_product_with_its_first_variant(app, make_product):
    product = make_product(title_en="Crisp pears")
    client = app.test_client()
    for variant in ("²", "١٢", HUGE):
        response = client.get(
            f"/products/{product.id}-{product.slug}",
            query_string={"variant": variant, "lang": "en"},
        )
        assert response.status_code == 200, variant
        assert "Crisp pears" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["²", "١٢", HUGE, str(2**63)])
def test_seller_order_and_inbox_lists_show_their_first_page_for_odd_page_numbers(seller, page):
    for url in ("/sell/orders", "/sell/inbox"):
        response = seller.get(url, query_string={"page": page})
        assert response.status_code == 200, url


# --- The cart ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["²", "١٢", HUGE, str(2**31), "-1", "x" * 10_000])
def test_adding_an_odd_variant_to_the_cart_is_a_404(app, client, variant):
    assert add_to_cart(client, variant).status_code == 404


def test_an_odd_quantity_adds_one_and_a_huge_one_adds_what_may_be_bought(app, client, make_product):
    product = make_product(stock=500)
    variant = variant_id(app, product)
    assert add_to_cart(client, variant, quantity="²").status_code == 302
    assert "1" in client.get("/cart").get_data(as_text=True)
    assert add_to_cart(client, variant, quantity=HUGE).status_code == 302
    cart = client.get("/cart?lang=en").get_data(as_text=True)
    assert 'value="99"' in cart


def test_an_odd_quantity_on_the_cart_page_says_enter_a_whole_number(app, client, make_product):
    product = make_product(stock=50)
    add_to_cart(client, variant_id(app, product), 2)
    page = client.get("/cart?lang=en").get_data(as_text=True)
    line = re.search(r'action="/cart/lines/(\d+)"', page).group(1)
    response = client.post(
        f"/cart/lines/{line}?lang=en",
        data={"quantity": "²", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Enter the quantity as a whole number." in response.get_data(as_text=True)
    removed = client.post(f"/cart/lines/{HUGE}", data={"csrf_token": csrf_token(page)})
    assert removed.status_code == 404


def test_a_cart_of_99_at_300000_yuan_is_checked_out_with_its_exact_total(app, client, make_product):
    product = make_product(price_fen=30_000_000, stock=100)
    assert add_to_cart(client, variant_id(app, product), 99).status_code == 302
    response = place_order(client)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    payment_token(response)
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert order.items_fen == 99 * 30_000_000
        assert order.total_fen == order.items_fen + order.shipping_fen


# --- The seller's numbers -----------------------------------------------------------------------


def test_bulk_edit_with_odd_numbers_marks_the_fields_and_saves_nothing(app, seller):
    page = seller.get("/sell/products").get_data(as_text=True)
    token = csrf_token(page)
    variant = seller.variant
    for price, stock in (("39.9", "²"), ("39.9", "١٢"), ("39.9", HUGE), ("99999999999", "5")):
        response = seller.post(
            "/sell/products?lang=en",
            data={"csrf_token": token, f"price-{variant}": price, f"stock-{variant}": stock},
        )
        assert response.status_code == 422, (price, stock)
        assert "Nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(Variant, variant)
        assert (saved.price_fen, saved.stock) == (3990, 10)


@pytest.mark.parametrize("name", ["price-²", "price-١٢", f"price-{HUGE}"])
def test_bulk_edit_of_an_odd_variant_id_is_a_404(seller, name):
    page = seller.get("/sell/products").get_data(as_text=True)
    response = seller.post(
        "/sell/products", data={"csrf_token": csrf_token(page), name: "39.9", "stock-1": "1"}
    )
    assert response.status_code == 404


def _variant_form(seller, **changes):
    page = seller.get(f"/sell/products/{seller.product.id}?lang=en").get_data(as_text=True)
    prefix = f"v{seller.variant}-"
    data = {
        "csrf_token": csrf_token(page),
        prefix + "spec_zh": "一箱",
        prefix + "spec_en": "one box",
        prefix + "price": "39.90",
        prefix + "stock": "10",
        prefix + "weight_g": "0",
        prefix + "sku": "",
    }
    data.update({prefix + name: value for name, value in changes.items()})
    return seller.post(
        f"/sell/products/{seller.product.id}/variants/{seller.variant}?lang=en", data=data
    )


def test_a_price_past_the_limit_says_too_large_not_two_decimals(seller):
    response = _variant_form(seller, price="99999999999")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "too large" in html
    assert "at most two decimals" not in html
    assert "99999999999" in html  # what the seller typed stays in the field


@pytest.mark.parametrize(("field", "value"), [("stock", "²"), ("stock", HUGE), ("weight_g", "١٢")])
def test_odd_stock_or_weight_re_renders_the_variant_form(seller, field, value):
    response = _variant_form(seller, **{field: value})
    assert response.status_code == 422
    assert "Enter a whole number (0 or more)." in response.get_data(as_text=True)


def test_prices_and_shipping_fees_past_32_bits_are_saved_and_shown(app, seller):
    assert _variant_form(seller, price="99999999.99").status_code == 302
    page = seller.get("/sell/shop?lang=en").get_data(as_text=True)
    response = seller.post(
        "/sell/shop?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "name_zh": "梨园",
            "name_en": "Pear farm",
            "region": str(seller.shop.region_id),
            "shipping_fee": "21474836.48",
            "free_shipping_over": "50000000",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        shop = db.session.get(Shop, seller.shop.id)
        assert shop.shipping_fee_fen == 2_147_483_648
        assert shop.free_shipping_over_fen == 5_000_000_000
        assert db.session.get(Variant, seller.variant).price_fen == 9_999_999_999
    product_page = app.test_client().get(
        f"/products/{seller.product.id}?lang=en", follow_redirects=True
    )
    assert "¥99,999,999.99" in product_page.get_data(as_text=True)


def _import(seller, text: str):
    page = seller.get("/sell/products/import").get_data(as_text=True)
    return seller.post(
        "/sell/products/import?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "action": "check",
            "file": (io.BytesIO(text.encode()), "products.csv"),
        },
    )


@pytest.mark.parametrize(
    "row",
    [
        "{pid},SKU-X,,,,一箱,,39.9,²,0",
        "{pid},SKU-X,,,,一箱,,39.9,١٢,0",
        "{pid},SKU-X,,,,一箱,,39.9,5,{huge}",
        "{pid},SKU-X,,,,一箱,,١٢.٥,5,0",
        "{pid},SKU-X,,,,一箱,,99999999999,5,0",
        "²,SKU-X,,,,一箱,,39.9,5,0",
        "{huge},SKU-X,,,,一箱,,39.9,5,0",
    ],
)
def test_odd_numbers_in_csv_cells_are_reported_by_line(seller, row):
    header = "product_id,sku,title_zh,title_en,category,spec_zh,spec_en,price,stock,weight_g\r\n"
    response = _import(seller, header + row.format(pid=seller.product.id, huge=HUGE) + "\r\n")
    assert response.status_code == 422
    assert "Line 2" in response.get_data(as_text=True) or "line 2" in response.get_data(
        as_text=True
    )


def test_a_csv_file_with_a_nul_byte_is_refused_as_unreadable(app, seller):
    header = "product_id,sku,title_zh,title_en,category,spec_zh,spec_en,price,stock,weight_g\r\n"
    row = f"{seller.product.id},SKU-X,,,,一\x00箱,,39.9,5,0\r\n"
    response = _import(seller, header + row)
    assert response.status_code == 422
    assert "not text we can read" in response.get_data(as_text=True)
    page = seller.get("/sell/products/import").get_data(as_text=True)
    applied = seller.post(
        "/sell/products/import?lang=en",
        data={
            "csrf_token": csrf_token(page),
            "action": "import",
            "file": (io.BytesIO((header + row).encode()), "products.csv"),
        },
    )
    assert applied.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Variant).where(Variant.sku == "SKU-X")) is None


# --- Discounts --------------------------------------------------------------------------------


def _discount_form(seller, **changes):
    page = seller.get("/sell/discounts/new?lang=en").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "name_zh": "直播秒杀",
        "name_en": "Live sale",
        "kind": "percent",
        "percent_off": "20",
        "fixed_price": "",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T12:00",
        "quantity_cap": "",
        "variants": str(seller.variant),
    }
    data.update(changes)
    return seller.post("/sell/discounts/new?lang=en", data=data)


@pytest.mark.parametrize(
    "changes",
    [
        {"variants": "²"},
        {"variants": "١٢"},
        {"variants": "9" * 400},
        {"percent_off": "9" * 400},
        {"percent_off": "²"},
        {"quantity_cap": "9" * 400},
        {"quantity_cap": "١٢"},
        {"kind": "fixed_price", "fixed_price": "9" * 400},
    ],
)
def test_odd_numbers_in_the_discount_form_schedule_nothing(app, seller, changes):
    response = _discount_form(seller, **changes)
    assert response.status_code in (404, 422)
    with app.app_context():
        assert db.session.scalar(select(Discount)) is None


def test_the_discount_form_still_schedules_with_plain_numbers(app, seller):
    assert _discount_form(seller, quantity_cap="5").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Discount.quantity_cap)) == 5


# --- NUL bytes --------------------------------------------------------------------------------

NUL_MESSAGE_EN = "a character that cannot be saved"
NUL_MESSAGE_ZH = "无法保存的字符"


@pytest.mark.parametrize(
    "url",
    [
        "/orders/VM%00",
        "/shops/pear%00farm",
        "/regions/dang%00shan",
        "/checkout/done/abc%00",
        "/payments/abc%00/pay",
        "/practice/abc%00",
        "/search?q=%E6%A2%A8&region=%00",
        "/signup?code=LING%00",
    ],
)
def test_a_nul_byte_in_the_address_is_a_400_that_says_why_in_both_languages(app, url):
    client = app.test_client()
    chinese = client.get(url)
    assert chinese.status_code == 400
    assert NUL_MESSAGE_ZH in chinese.get_data(as_text=True)
    english = client.get(url + ("&" if "?" in url else "?") + "lang=en")
    assert english.status_code == 400
    assert NUL_MESSAGE_EN in english.get_data(as_text=True)


def test_a_nul_byte_in_an_api_address_is_a_400_json_error(app):
    response = app.test_client().get("/api/v1/shops/pear%00farm?lang=en")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert NUL_MESSAGE_EN in response.json["error"]["message"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/login", "email"),
        ("/signup", "email"),
        ("/signup", "display_name"),
        ("/orders/find", "number"),
    ],
)
def test_a_nul_byte_in_a_public_form_is_a_400_that_says_why(app, url, field):
    client = app.test_client()
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "email": "buyer@example.test",
        "password": "a long enough password 1",
        "display_name": "Buyer",
        "number": "VM-2611-7KQ3ZD",
        "last4": "5678",
    }
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    response = client.post(url + "?lang=en", data=data)
    assert response.status_code == 400
    assert NUL_MESSAGE_EN in response.get_data(as_text=True)


def test_a_nul_byte_at_checkout_places_no_order(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()))
    response = place_order(client, street="中关村\x00大街 1 号")
    assert response.status_code == 400
    assert NUL_MESSAGE_ZH in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Order)) is None


def test_a_nul_byte_in_a_listing_title_saves_nothing(app, seller):
    page = seller.get(f"/sell/products/{seller.product.id}").get_data(as_text=True)
    response = seller.post(
        f"/sell/products/{seller.product.id}?lang=en",
        data={"csrf_token": csrf_token(page), "title_zh": "酥梨\x00", "title_en": "Pears"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert "\x00" not in db.session.get(Product, seller.product.id).title_zh


def test_a_full_width_phone_ending_finds_no_order_instead_of_failing(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()))
    place_order(client)
    with app.app_context():
        number = db.session.scalar(select(Order.number))
    guest = app.test_client()
    page = guest.get("/orders/find").get_data(as_text=True)
    response = guest.post(
        "/orders/find?lang=en",
        data={"csrf_token": csrf_token(page), "number": number, "last4": "５６７８"},
    )
    assert response.status_code in (200, 422)
    assert f"/orders/{number}" not in response.headers.get("Location", "")


# --- Methods ------------------------------------------------------------------------------------


def test_a_wrong_method_says_which_methods_are_allowed(app):
    client = app.test_client()
    page = client.delete("/")
    assert page.status_code == 405
    assert "GET" in page.headers["Allow"]
    api = client.delete("/api/v1/regions")
    assert api.status_code == 405
    assert "GET" in api.headers["Allow"]
    assert api.json["error"]["code"] == "method_not_allowed"
