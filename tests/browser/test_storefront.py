"""A visitor's journey in a real browser: home page, a region from the map, a product, a size."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def console_errors(page):
    """Console errors and uncaught exceptions (a CSP violation shows up here)."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_visitor_opens_a_region_from_the_map_picks_a_size_and_sees_its_price(
    page, live_server, console_errors
):
    page.goto(live_server + "/")
    page.get_by_role("link", name="砀山县", exact=True).click()
    expect(page).to_have_url(re.compile(r"/regions/dangshan$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("砀山县")
    page.get_by_role("link", name=re.compile("砀山酥梨")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("砀山酥梨")
    price = page.locator("#chosen-price")
    expect(price).to_have_text("¥39.90")
    # One picker, and with JavaScript the price follows the choice at once.
    expect(page.get_by_role("group", name="选择规格")).to_have_count(1)
    page.get_by_label(re.compile("10 斤箱")).check()
    expect(price).to_have_text("¥69.90")
    expect(page).to_have_url(re.compile(r"variant=\d+"))
    page.get_by_label(re.compile("5 斤箱")).check()
    expect(price).to_have_text("¥39.90")
    # The JSON-LD block is data, not script: the page runs under the CSP without a violation.
    assert page.locator('script[type="application/ld+json"]').count() == 1
    assert console_errors == []


def test_without_javascript_the_size_picker_chooses_what_is_added(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server + "/regions/dangshan?lang=en")
        page.get_by_role("link", name=re.compile("Dangshan crisp pears")).first.click()
        expect(page.locator("#chosen-price")).to_have_text("¥39.90")
        # Each size shows its own price; the chosen one is what the cart gets.
        expect(page.get_by_label(re.compile("10 jin box"))).to_be_visible()
        expect(page.locator("label", has_text="10 jin box")).to_contain_text("¥69.90")
        page.get_by_label(re.compile("10 jin box")).check()
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add to cart?")
        expect(page.locator("main")).to_contain_text("10 jin box")
        page.get_by_role("button", name="Add to cart").click()
        page.goto(live_server + "/cart?lang=en")
        expect(page.locator("main")).to_contain_text("10 jin box")
    finally:
        context.close()


def test_region_page_filters_and_sorts_with_the_keyboard(page, live_server):
    page.goto(live_server + "/regions/dangshan?lang=en")
    page.get_by_label("Sort by").select_option("price_desc")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(page.locator(".card h3").first).to_have_text("Dangshan canned yellow peaches")
