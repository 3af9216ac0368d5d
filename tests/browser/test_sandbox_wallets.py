"""Paying the way most Chinese buyers do, on the practice payment page: WeChat Pay fails, then
Alipay pays. At 390x844 in Chinese, the site's default language."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Product
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser

PEARS = "dangshan-crisp-pears"


#: The elements reaching past the screen's right edge, to name in a failure.
def _payment(app) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).order_by(Payment.id.desc()).limit(1))
        db.session.expunge(payment)
        return payment


def _orders(app, payment: Payment) -> list[Order]:
    with app.app_context():
        return list(db.session.scalars(select(Order).where(Order.payment_id == payment.id)))


def test_wechat_pay_fails_then_alipay_pays_the_same_orders(page, live_server, seeded):
    with seeded.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == PEARS))
        path = f"/products/{product.id}-{product.slug}"
    page.goto(live_server + path, wait_until="networkidle")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.goto(live_server + "/checkout")
    page.get_by_label("收货人姓名").fill("王小明")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("省份").select_option("北京市")
    page.get_by_label("区 / 县").select_option("海淀区")
    page.get_by_label("街道、楼号和门牌").fill("中关村大街 1 号")
    page.get_by_role("button", name=re.compile(r"^提交订单并支付 ¥")).click()

    expect(page.get_by_role("heading", name="选择付款方式")).to_be_visible()
    assert_fits_the_phone(page)
    page.get_by_role("button", name="微信支付").click()
    expect(page.get_by_role("heading", name="微信支付")).to_be_visible()
    expect(page.get_by_role("img", name="请用微信支付扫描的二维码")).to_be_visible()
    assert_fits_the_phone(page)
    page.get_by_role("button", name="模拟扫码支付失败").click()

    # Back on the payment page: nothing charged, the orders kept.
    expect(page.get_by_role("heading", name="请重试或换一种方式付款")).to_be_visible()
    expect(page.get_by_text("微信支付付款没有成功，没有扣款。")).to_be_visible()
    payment = _payment(seeded)
    assert (payment.status, payment.declines) == ("pending", 1)
    assert {order.status for order in _orders(seeded, payment)} == {"pending_payment"}

    page.get_by_role("button", name="支付宝").click()
    expect(page.get_by_role("heading", name="支付宝")).to_be_visible()
    assert_fits_the_phone(page)
    page.get_by_role("button", name="模拟扫码支付成功").click()

    expect(page.get_by_role("heading", name="谢谢！已收到您的付款。")).to_be_visible()
    expect(page.get_by_text("付款方式：支付宝。")).to_be_visible()
    expect(page.get_by_text("已付款，待发货")).to_have_count(1)
    assert_fits_the_phone(page)
    assert _payment(seeded).method == "alipay"
