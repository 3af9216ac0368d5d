"""Choosing a mainland address as 省 → 市 → 区县 on a phone, and seeing it printed in that order.

In Chinese, at 390 × 844 (the page fixture's phone screen).
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Product
from shop.extensions import db
from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser

PEARS = "dangshan-crisp-pears"


def _to_checkout(page, app, live_server) -> None:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == PEARS))
        path = f"/products/{product.id}-{product.slug}"
    page.goto(live_server + path, wait_until="networkidle")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.goto(live_server + "/checkout")


def test_a_buyer_picks_province_city_and_county_and_sees_them_in_order(page, live_server, seeded):
    _to_checkout(page, seeded, live_server)
    page.get_by_label("收货人姓名").fill("王小明")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("省份").select_option("安徽省")
    city = page.get_by_label("城市", exact=True)
    expect(city).to_have_js_property("tagName", "SELECT")
    city.select_option("宿州市")
    district = page.get_by_label("区 / 县")
    expect(district.locator("option", has_text="砀山县")).to_have_count(1)
    expect(district.locator("option", has_text="海淀区")).to_have_count(0)
    district.select_option("砀山县")
    assert_fits_the_phone(page)
    # Changing the province empties what no longer belongs to it.
    page.get_by_label("省份").select_option("北京市")
    expect(city).to_have_value("北京市")  # a municipality's only city is chosen at once
    expect(district).to_have_value("")
    page.get_by_label("省份").select_option("安徽省")
    city.select_option("宿州市")
    district.select_option("砀山县")
    page.get_by_label("街道、楼号和门牌").fill("砀城镇梨都大道 8 号")
    page.get_by_role("button", name=re.compile(r"^提交订单并支付 ¥")).click()

    expect(page.get_by_role("heading", name="用银行卡支付")).to_be_visible()
    page.get_by_label("卡号").fill("4242 4242 4242 4242")
    page.get_by_label("有效期（月/年）").fill("12/34")
    page.get_by_label("安全码（CVC）").fill("123")
    page.get_by_label("持卡人姓名").fill("WANG XIAOMING")
    page.get_by_role("button", name=re.compile(r"^支付 ¥")).click()

    page.get_by_role("link", name=re.compile(r"^VM-\d{4}-")).first.click()
    address = page.locator("address.order-address")
    expect(address).to_contain_text("安徽省 宿州市 砀山县 砀城镇梨都大道 8 号")
    assert_fits_the_phone(page)


def test_without_javascript_a_typed_place_that_does_not_fit_is_named(browser, live_server, seeded):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    with seeded.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == PEARS))
        path = f"/products/{product.id}-{product.slug}"
    page.goto(live_server + path)
    page.get_by_role("button", name="加入购物车").click()
    page.get_by_role("button", name="加入购物车").click()  # without JavaScript, confirmed
    page.goto(live_server + "/checkout")
    page.get_by_label("收货人姓名").fill("王小明")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("省份").select_option("内蒙古自治区")
    page.get_by_label("城市", exact=True).fill("太原")
    page.get_by_label("区 / 县").fill("小店区")
    page.get_by_label("街道、楼号和门牌").fill("1 号")
    page.get_by_role("button", name=re.compile(r"^提交订单并支付 ¥")).click()
    expect(
        page.get_by_role("alert").filter(has_text="内蒙古自治区没有“太原”这个城市")
    ).to_be_visible()
    expect(page.get_by_label("城市", exact=True)).to_have_value("太原")
    assert_fits_the_phone(page)
    context.close()
