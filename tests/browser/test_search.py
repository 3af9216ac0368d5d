"""Searching in a real browser: the header box, highlighted results, facets, suggestions."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_visitor_searches_from_the_header_and_narrows_by_region(page, live_server):
    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="搜索商品")
    box.fill("酥梨")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=%E9%85%A5%E6%A2%A8"))
    expect(page.get_by_role("heading", level=1)).to_have_text("“酥梨”的搜索结果")
    results = page.get_by_role("region", name="搜索结果")
    first = results.get_by_role("listitem").first
    expect(first.get_by_role("link", name="砀山酥梨")).to_be_visible()
    expect(first.locator("mark").first).to_have_text("酥梨")
    expect(page.get_by_role("status")).to_have_text("找到 2 件商品")

    # On a phone the facets wait behind the 筛选 (filter) button, in a sheet.
    page.locator("summary", has_text="筛选").click()
    filters = page.get_by_role("complementary", name="筛选")
    filters.get_by_role("link", name=re.compile(r"鲜果 \(1\)")).click()
    expect(page).to_have_url(re.compile(r"category=fresh-fruit"))
    expect(page.get_by_role("status")).to_have_text("找到 1 件商品")
    page.locator("summary", has_text="筛选").click()
    chosen = page.get_by_role("complementary", name="筛选").get_by_role(
        "link", name=re.compile(r"鲜果 \(1\)")
    )
    expect(chosen).to_have_attribute("aria-current", "true")
    page.get_by_role("link", name="全部分类").click()
    expect(page.get_by_role("status")).to_have_text("找到 2 件商品")
    # The search box keeps the words, so a visitor can change them.
    expect(page.get_by_role("searchbox", name="搜索商品")).to_have_value("酥梨")


def test_pinyin_initials_and_sorting_by_price(page, live_server):
    page.goto(live_server + "/search?q=dssl")
    first = page.get_by_role("region", name="搜索结果").get_by_role("listitem").first
    expect(first.get_by_role("link", name="砀山酥梨")).to_be_visible()
    page.goto(live_server + "/search?q=")
    page.get_by_role("navigation", name="排序").get_by_role("link", name="价格从低到高").click()
    prices = page.locator(".search-hit .price").all_inner_texts()
    values = [float(re.sub(r"[^0-9.]", "", text)) for text in prices]
    assert len(values) > 5 and values == sorted(values)


def test_a_misspelling_offers_the_right_word(page, live_server):
    page.goto(live_server + "/search?q=peer")
    expect(page.get_by_role("status")).to_have_text("没有找到符合的商品。")
    expect(page.get_by_role("heading", name="精选商品")).to_be_visible()
    page.get_by_role("link", name="pear", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("“pear”的搜索结果")
    first = page.get_by_role("region", name="搜索结果").get_by_role("listitem").first
    expect(first.get_by_role("link", name="砀山酥梨")).to_be_visible()
