"""The home page in a real browser, in both languages."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_page_renders_in_chinese_and_switches_to_english(page, live_server):
    page.goto(live_server + "/")
    expect(page).to_have_title("各地特色农产品 · 乡村集市")
    expect(page.get_by_role("heading", level=1)).to_have_text("乡村集市")
    expect(page.get_by_role("heading", name="砀山县")).to_be_visible()
    # On a phone the language switch waits in the header's menu.
    page.locator(".site-header").locator("summary", has_text="菜单").click()
    page.get_by_role("link", name="English").click()
    expect(page).to_have_title("Featured farm products, region by region · Village Market")
    expect(page.get_by_role("heading", name="Dangshan County")).to_be_visible()
    # The choice is remembered on the next visit.
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".site-header").locator("summary", has_text="Menu").click()
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_skip_link_is_the_first_stop_for_the_keyboard(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_product_pictures_load_as_webp(page, live_server):
    page.goto(live_server + "/")
    first = page.locator(".card img").first
    expect(first).to_be_visible()
    assert first.evaluate("image => image.complete && image.naturalWidth > 0")
    assert ".webp" in first.evaluate("image => image.currentSrc")
