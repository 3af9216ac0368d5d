"""The public pages on a 390 px phone: a one-row header whose menu holds the rest, search results
before their filters, and a cart whose quantities save as they change."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_fits_the_phone
from tests.browser.test_checkout import PEARS, _add_to_cart, _product_path
from tests.browser.test_workspace_fits_phone import _logged_in, _practice_shop_with_orders

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ("/", "/regions/dangshan", "/search?q=梨")
MOST_HEADER_PX = 64


def _header_height(page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


def _toggle(scope, text: str):
    """A disclosure's summary (Chromium exposes it as a button; Playwright gives it no role)."""
    return scope.locator("summary").filter(has_text=re.compile("^" + text))


def _open_menu(page):
    _toggle(page.locator(".site-header"), "菜单").click()
    return page.locator(".site-header")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_visitors_header_is_one_row_and_its_menu_holds_the_rest(page, live_server, path):
    page.goto(live_server + path)
    assert _header_height(page) <= MOST_HEADER_PX
    header = page.locator(".site-header")
    # Search and cart stay in the row; the rest waits behind 菜单.
    expect(header.get_by_role("searchbox", name="搜索商品")).to_be_visible()
    expect(header.get_by_role("link", name=re.compile(r"^购物车 \d+$"))).to_be_visible()
    expect(header.get_by_role("link", name="登录")).to_be_hidden()
    assert_fits_the_phone(page)
    _open_menu(page)
    expect(header.get_by_role("link", name="登录")).to_be_visible()
    expect(header.get_by_role("link", name="English")).to_be_visible()
    assert_fits_the_phone(page, "the open menu does not spill sideways")
    _toggle(header, "分类").click()
    header.get_by_role("link", name="五谷杂粮").click()
    expect(page).to_have_url(re.compile(r"/categories/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("五谷杂粮")


def test_the_menu_switches_the_language_and_escape_closes_it(page, live_server):
    page.goto(live_server + "/regions/dangshan")
    header = _open_menu(page)
    page.keyboard.press("Escape")
    expect(header.get_by_role("link", name="English")).to_be_hidden()
    expect(_toggle(header, "菜单")).to_be_focused()
    _open_menu(page)
    _toggle(header, "地区").click()
    expect(header.get_by_role("link", name="延安市")).to_be_visible()
    header.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dangshan")
    assert _header_height(page) <= MOST_HEADER_PX
    assert_fits_the_phone(page)


def test_a_trainee_with_a_practice_shop_gets_the_same_short_header(browser, live_server, seeded):
    _practice_shop_with_orders(seeded)
    context, page = _logged_in(
        browser, live_server, "trainee@demo.villagemarket.test", "demo-Trainee-2026"
    )
    try:
        for path in PUBLIC_PAGES:
            page.goto(live_server + path)
            assert _header_height(page) <= MOST_HEADER_PX, path
            assert_fits_the_phone(page, path)
        header = _open_menu(page)
        for name in ("我的订单", "我的店铺", "练习清单"):
            expect(header.get_by_role("link", name=name)).to_be_visible()
        expect(header.get_by_role("button", name="退出登录")).to_be_visible()
        expect(header.get_by_role("button", name="English")).to_be_visible()
        header.get_by_role("link", name="我的订单").click()
        expect(page).to_have_url(re.compile(r"/orders"))
        # In the workspace the seller links fold behind one toggle.
        page.goto(live_server + "/sell/")
        assert _header_height(page) <= MOST_HEADER_PX
        workspace = page.get_by_role("navigation", name="我的店铺")
        expect(workspace).to_be_hidden()
        toggle = _toggle(page, "卖家中心")
        assert toggle.bounding_box()["height"] <= 56
        toggle.click()
        workspace.get_by_role("link", name="商品列表").click()
        expect(page).to_have_url(re.compile(r"/sell/products$"))
        assert_fits_the_phone(page)
    finally:
        context.close()


def test_on_a_desktop_the_header_shows_its_links_without_a_menu_button(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_server + "/search?q=梨")
        header = page.locator(".site-header")
        expect(_toggle(header, "菜单")).to_be_hidden()
        expect(header.get_by_role("link", name="登录")).to_be_visible()
        expect(header.get_by_role("link", name="English")).to_be_visible()
        # The filters are a side column: no button to press.
        expect(page.get_by_role("complementary", name="筛选")).to_be_visible()
        expect(_toggle(page, "筛选")).to_be_hidden()
        _toggle(header, "分类").click()
        header.get_by_role("link", name="五谷杂粮").click()
        expect(page).to_have_url(re.compile(r"/categories/"))
    finally:
        context.close()


def test_search_results_come_first_and_the_filter_sheet_narrows_them(page, live_server):
    page.goto(live_server + "/search?q=酥梨")
    first = page.get_by_role("region", name="搜索结果").get_by_role("listitem").first
    expect(first).to_be_in_viewport()
    box = first.bounding_box()
    assert box["y"] + box["height"] <= 844, "the whole first result is above the fold"
    expect(page.get_by_role("complementary", name="筛选")).to_be_hidden()
    _toggle(page, "筛选").click()
    sheet = page.get_by_role("complementary", name="筛选")
    expect(sheet).to_be_in_viewport()
    assert_fits_the_phone(page)
    sheet.get_by_role("link", name=re.compile(r"鲜果 \(1\)")).click()
    expect(page).to_have_url(re.compile(r"category=fresh-fruit"))
    expect(page.get_by_role("status")).to_have_text("找到 1 件商品")
    # The button says a filter is on; the sheet's Close button closes it again.
    button = _toggle(page, "筛选 1")
    button.click()
    page.get_by_role("complementary", name="筛选").get_by_role("button", name="关闭").click()
    expect(page.get_by_role("complementary", name="筛选")).to_be_hidden()
    expect(button).to_be_focused()


def test_cart_quantity_saves_without_the_update_button(page, live_server, seeded):
    _add_to_cart(page, live_server + _product_path(seeded, PEARS[0]))
    page.goto(live_server + "/cart")
    total = page.locator(".cart-grand-total .price")
    expect(total).to_have_text("¥79.80")
    quantity = page.get_by_label("砀山酥梨 的数量")
    # The label is for screen readers only: one pixel, not a line of text on the screen.
    label = page.locator(f"label[for='{quantity.get_attribute('id')}']")
    size = label.bounding_box()
    assert size["width"] <= 1 and size["height"] <= 1
    expect(page.get_by_role("button", name="更新")).to_be_hidden()
    quantity.fill("3")
    expect(total).to_have_text("¥119.70")
    expect(page.locator(".site-header .cart-count")).to_have_text("3")
    expect(page.get_by_role("status").filter(has_text="数量已更新")).to_be_visible()
    expect(quantity).to_be_focused()
    page.get_by_role("button", name="增加一件：砀山酥梨").click()
    expect(total).to_have_text("¥159.60")
    # It was saved: a fresh load shows the new quantity.
    page.reload()
    expect(page.get_by_label("砀山酥梨 的数量")).to_have_value("4")
    assert_fits_the_phone(page)


def test_without_javascript_the_update_button_still_saves(browser, live_server, seeded):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(live_server + _product_path(seeded, PEARS[0]))
        page.get_by_role("button", name="加入购物车").click()
        page.get_by_role("button", name="加入购物车").click()  # confirmed without JavaScript
        page.goto(live_server + "/cart")
        page.get_by_label("砀山酥梨 的数量").fill("2")
        page.get_by_role("button", name="更新").click()
        expect(page.locator(".cart-grand-total .price")).to_have_text("¥79.80")
        # Without script the menu still opens (a disclosure) and the filter sheet too.
        _toggle(page.locator(".site-header"), "菜单").click()
        expect(page.locator(".site-header").get_by_role("link", name="English")).to_be_visible()
        page.goto(live_server + "/search?q=梨")
        _toggle(page, "筛选").click()
        expect(page.get_by_role("complementary", name="筛选")).to_be_visible()
    finally:
        context.close()
