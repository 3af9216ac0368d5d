"""Buying from two regions with the sandbox card, then each seller finding their order.

In Chinese, the site's default language and the one the browser asks for.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Product
from shop.extensions import db

pytestmark = pytest.mark.browser

#: Two demo products from two regions, and the demo exhibitors who sell them (seed_data/).
PEARS = ("dangshan-crisp-pears", "exhibitor-dangshan@demo.villagemarket.test", "demo-Dangshan-2026")
APPLES = (
    "yanan-luochuan-apples",
    "exhibitor-yanan@demo.villagemarket.test",
    "demo-Yanan-Loess-2026",
)


def _product_path(app, slug: str) -> str:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == slug))
        return f"/products/{product.id}-{product.slug}"


def _add_to_cart(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.get_by_label("数量").fill("2")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    # Let the product pictures finish before leaving, as a person would; a download cut off
    # mid-way is the test server's noise, not the shop's.
    page.wait_for_load_state("networkidle")


def test_a_visitor_buys_from_two_regions_and_each_seller_sees_the_order(
    page, browser, live_server, seeded
):
    _add_to_cart(page, live_server + _product_path(seeded, PEARS[0]))
    _add_to_cart(page, live_server + _product_path(seeded, APPLES[0]))
    page.get_by_role("link", name=re.compile(r"^购物车 4$")).click()
    expect(page.get_by_role("heading", name="购物车")).to_be_visible()
    expect(page.get_by_text("（2 个订单，每家店一个，一起付款）")).to_be_visible()
    page.get_by_role("link", name="去结算").click()

    page.get_by_label("收货人姓名").fill("王小明")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("接收订单通知的邮箱（选填）").fill("xiaoming@example.test")
    page.get_by_label("省份").select_option("北京市")
    expect(page.get_by_label("城市", exact=True)).to_have_value("北京市")  # its only city
    page.get_by_label("区 / 县").select_option("海淀区")
    page.get_by_label("街道、楼号和门牌").fill("中关村大街 1 号")
    page.get_by_label("给卖家的留言（选填）").fill("请工作日送货")
    page.get_by_role("button", name=re.compile(r"^提交订单并支付 ¥")).click()

    # The sandbox's hosted-checkout-like page.
    expect(page.get_by_role("heading", name="用银行卡支付")).to_be_visible()
    page.get_by_label("卡号").fill("4242 4242 4242 4242")
    page.get_by_label("有效期（月/年）").fill("12/34")
    page.get_by_label("安全码（CVC）").fill("123")
    page.get_by_label("持卡人姓名").fill("WANG XIAOMING")
    page.get_by_role("button", name=re.compile(r"^支付 ¥")).click()

    expect(page.get_by_role("heading", name="谢谢！已收到您的付款。")).to_be_visible()
    numbers = page.get_by_role("link", name=re.compile(r"^VM-\d{4}-")).all_inner_texts()
    assert len(numbers) == 2
    expect(page.get_by_text("已付款，待发货")).to_have_count(2)
    expect(page.get_by_role("link", name=re.compile(r"^购物车 0$"))).to_be_visible()

    for _slug, email, password in (PEARS, APPLES):
        context = browser.new_context(locale="zh-CN")
        seller = context.new_page()
        seller.goto(live_server + "/login")
        seller.get_by_label("邮箱").fill(email)
        seller.get_by_label("密码").fill(password)
        seller.get_by_role("button", name="登录").click()
        seller.goto(live_server + "/sell/orders")
        expect(seller.get_by_role("heading", name="订单", exact=True)).to_be_visible()
        listed = seller.get_by_role("link", name=re.compile(r"^VM-\d{4}-")).all_inner_texts()
        assert len(listed) == 1 and listed[0] in numbers
        seller.get_by_role("link", name=listed[0]).click()
        expect(seller.get_by_text("请工作日送货")).to_be_visible()
        expect(seller.get_by_text("已付款，待发货").first).to_be_visible()
        context.close()
