"""The product page on a phone as 淘宝/拼多多 shoppers expect: one size picker, a buy bar fixed to
the bottom of the screen, 立即购买 straight to the checkout, and 联系卖家 opening a conversation."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PEARS = "/products/4-x"  # the seeded Dangshan crisp pears (redirects to the canonical address)


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login?lang=zh")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_pick_a_size_then_buy_now_from_the_bottom_bar_on_a_phone(page, live_server):
    page.goto(live_server + PEARS)
    expect(page.get_by_role("heading", level=1)).to_have_text("砀山酥梨")
    price = page.locator("#chosen-price")
    expect(price).to_have_text("¥39.90")
    page.get_by_label(re.compile("10 斤箱")).check()
    expect(price).to_have_text("¥69.90")
    assert_fits_the_phone(page)

    # The bar sits on the bottom edge of the screen, inside its width, before any scrolling.
    bar = page.locator(".buy-bar")
    box = bar.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - 844) <= 1, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    buy_now = page.get_by_role("button", name="立即购买")
    expect(buy_now).to_be_in_viewport()
    expect(page.get_by_role("button", name="加入购物车")).to_be_in_viewport()
    # Scrolled to the very end, the bar covers nothing: the footer's last line is above it.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    footer = page.locator(".site-footer").bounding_box()
    bar_top = bar.bounding_box()["y"]
    assert footer["y"] + footer["height"] <= bar_top + 1, (footer, bar_top)

    buy_now.click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("确认订单")
    expect(page.locator("main")).to_contain_text("10 斤箱")
    expect(page.locator("main")).to_contain_text("¥69.90")
    assert_fits_the_phone(page)


def test_on_a_computer_the_buttons_sit_in_the_buy_box(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server + PEARS + "?lang=en")
        bar = page.locator(".buy-bar")
        assert bar.evaluate("element => getComputedStyle(element).position") == "static"
        picker = page.locator("[data-variant-picker]").bounding_box()
        assert bar.bounding_box()["y"] > picker["y"]  # under the sizes, in the page's flow
        expect(page.get_by_role("button", name="Buy now")).to_be_visible()
    finally:
        context.close()


def test_contact_seller_signed_out_asks_to_log_in_then_opens_the_conversation(
    page, live_server, make_user
):
    make_user("customer", email="asker@example.test")
    page.goto(live_server + PEARS)
    page.get_by_role("link", name="联系卖家").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    page.get_by_label("邮箱").fill("asker@example.test")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/products/4/ask"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("咨询")
    page.get_by_label("您想咨询店铺的问题").fill("请问十斤箱大概几个梨？")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".chat-list")).to_contain_text("请问十斤箱大概几个梨？")
    assert_fits_the_phone(page)


def test_contact_seller_when_signed_in_opens_the_thread(page, live_server, make_user):
    make_user("customer", email="asker2@example.test")
    _log_in(page, live_server, "asker2@example.test")
    page.goto(live_server + PEARS)
    page.get_by_role("link", name="联系卖家").click()
    expect(page).to_have_url(re.compile(r"/products/4/ask$"))
    expect(page.locator(".ask-product")).to_contain_text("砀山酥梨")
    assert_fits_the_phone(page)
