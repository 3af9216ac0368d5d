"""The discount form on a phone: the seller types 折 (or % off in English), sees what buyers
will pay next to each variant as they type, and sees only the fields of the kind they chose."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace_fits_phone import _logged_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/share"  # noqa: S108  screenshots to look at, not data


def _first_variant(page):
    """The first variant's checkbox label: "spec · ¥168.00" and the live result after it."""
    return page.locator(".discount-choice .choice label").first


def test_zhe_shows_the_resulting_price_as_the_seller_types(browser, live_server):
    context, page = _logged_in(
        browser, live_server, "exhibitor-lingshou@demo.villagemarket.test", "demo-Lingshou-2026"
    )
    try:
        page.goto(live_server + "/sell/discounts/new?lang=zh")
        amount = page.get_by_label("打几折")
        fixed = page.get_by_label("折扣价（元）")
        expect(amount).to_be_visible()
        expect(fixed).to_be_hidden()  # only the chosen kind's field shows
        label = _first_variant(page)
        regular = int(page.locator(".discount-result").first.get_attribute("data-price-fen"))
        amount.fill("8")
        expected = max(1, (regular * 80 + 50) // 100)
        expect(label).to_contain_text(f"→ ¥{expected // 100}.{expected % 100:02d}")
        amount.fill("8.5")
        expected = max(1, (regular * 85 + 50) // 100)
        expect(label).to_contain_text(f"→ ¥{expected // 100}.{expected % 100:02d}")
        amount.fill("85")  # not a 折 from 1 to 9.9: no price is promised
        expect(label).not_to_contain_text("→")
        amount.fill("8")
        page.screenshot(path=f"{SHOTS}/discount-new-390-zh.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_label("固定价格").check()
        expect(amount).to_be_hidden()
        expect(fixed).to_be_visible()
        fixed.fill("1")
        expect(label).to_contain_text("→ ¥1.00")

        # Back to 折, and scheduled: the list says it in the seller's words.
        page.get_by_label("按原价打折（百分比）").check()
        amount.fill("8")
        page.locator(".discount-choice input[type=checkbox]").first.check()
        page.get_by_role("button", name="安排折扣").click()
        expect(page.get_by_role("cell", name="8折").first).to_be_visible()
        page.screenshot(path=f"{SHOTS}/discounts-390-zh.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.goto(live_server + "/sell/discounts/new?lang=en")
        percent = page.get_by_label("Percentage off (% off)")
        percent.fill("20")
        expected = max(1, (regular * 80 + 50) // 100)
        expect(_first_variant(page)).to_contain_text(
            re.compile(rf"→ ¥{expected // 100}\.{expected % 100:02d}")
        )
        page.screenshot(path=f"{SHOTS}/discount-new-390-en.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{SHOTS}/discount-new-1280-en.png")
    finally:
        context.close()
