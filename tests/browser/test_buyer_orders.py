"""A phone buyer's journey after the cart: a declined card, another card, the confirmation page,
then finding the orders again (an account from the confirmation page, the header, the footer).

At 390 × 844 in Chinese, as most visitors arrive from a WeChat link on a phone.
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


def _product_path(app, slug: str) -> str:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == slug))
        return f"/products/{product.id}-{product.slug}"


def _add_to_cart(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    page.wait_for_load_state("networkidle")


def _pay(page, card: str) -> None:
    page.get_by_label("卡号").fill(card)
    page.get_by_label("有效期（月/年）").fill("12/34")
    page.get_by_label("安全码（CVC）").fill("123")
    page.get_by_label("持卡人姓名").fill("WANG XIAOMING")
    page.get_by_role("button", name=re.compile(r"^支付 ¥")).click()


def test_a_declined_card_is_retried_and_the_orders_are_found_again(page, live_server, seeded):
    product = live_server + _product_path(seeded, PEARS)
    _add_to_cart(page, product)
    page.goto(live_server + "/checkout")
    expect(page.get_by_role("heading", name="确认订单")).to_be_visible()
    assert_fits_the_phone(page)
    page.get_by_label("收货人姓名").fill("王小明")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("接收订单通知的邮箱（选填）").fill("xiaoming@example.test")
    page.get_by_label("省份").select_option("安徽省")
    page.get_by_label("城市", exact=True).select_option("宿州市")
    page.get_by_label("区 / 县").select_option("砀山县")
    page.get_by_label("街道、楼号和门牌").fill("中关村大街 1 号")
    page.get_by_role("button", name=re.compile(r"^提交订单并支付 ¥")).click()

    # The card is declined: the same page asks for another one, the orders kept.
    expect(page.get_by_role("heading", name="用银行卡支付")).to_be_visible()
    placed = page.locator(".sandbox-orders").inner_text()
    number = re.search(r"VM-\d{4}-[0-9A-Z]{6}", placed).group(0)
    _pay(page, "4000 0000 0000 0002")
    expect(page.get_by_role("heading", name="换一张卡再试")).to_be_visible()
    assert "/payments/sandbox/" in page.url
    assert number in page.locator(".sandbox-orders").inner_text()
    assert_fits_the_phone(page)

    # Another card pays the very same orders.
    _pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="谢谢！已收到您的付款。")).to_be_visible()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    expect(page.get_by_text("已付款，待发货")).to_be_visible()
    expect(page.get_by_text("中关村大街 1 号")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^预计发货："))).to_be_visible()
    expect(page.locator(".done-lines img")).to_have_count(1)
    expect(page.get_by_role("link", name="继续逛逛")).to_be_visible()
    assert_fits_the_phone(page)
    done = page.url

    # Shopping on, the next checkout already knows the address.
    _add_to_cart(page, product)
    page.goto(live_server + "/checkout")
    expect(page.get_by_label("收货人姓名")).to_have_value("王小明")
    expect(page.get_by_label("手机号码")).to_have_value(re.compile(r"138\s?1234\s?5678"))
    expect(page.get_by_label("街道、楼号和门牌")).to_have_value("中关村大街 1 号")
    expect(page.get_by_label("省份")).to_have_value("安徽省")

    # The confirmation page's account offer: the order joins the new account.
    page.goto(done)
    page.get_by_role("link", name="创建账户").click()
    expect(page.get_by_label("邮箱")).to_have_value("xiaoming@example.test")
    page.get_by_label("您的名字").fill("小明")
    page.get_by_label("密码").fill("a long and easy passphrase")
    page.get_by_role("button", name="创建账户").click()
    expect(page.get_by_role("heading", name="我的订单")).to_be_visible()
    expect(page.get_by_role("link", name=number)).to_be_visible()

    # Later, from anywhere: the header's 我的订单.
    page.goto(live_server + "/")
    page.locator(".site-header").locator("summary", has_text="菜单").click()
    page.locator(".site-header").get_by_role("link", name="我的订单").click()
    expect(page.get_by_role("heading", name="我的订单")).to_be_visible()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    assert_fits_the_phone(page)
    page.goto(live_server + "/account")
    expect(page.get_by_role("main").get_by_role("link", name="我的订单")).to_be_visible()
    assert_fits_the_phone(page)


def test_the_footer_leads_a_guest_to_the_order_lookup(page, live_server):
    page.goto(live_server + "/")
    page.locator("footer").get_by_role("link", name="查询订单").click()
    expect(page.get_by_role("heading", name="查询订单")).to_be_visible()
    assert page.url.endswith("/orders/find")
    assert_fits_the_phone(page)
