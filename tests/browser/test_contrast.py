"""Text is readable: no colour contrast below WCAG AA (axe-core's color-contrast rule) on the
pages people use most, at 390 px, in Chinese and English, logged out and logged in."""

import importlib.resources

import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace_fits_phone import _logged_in, _practice_shop_with_orders

pytestmark = pytest.mark.browser

#: axe-core as bundled (and pinned) by axe-playwright-python: a local file, no network.
AXE_JS = (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text()
PHONE = {"width": 390, "height": 844}


def contrast_failures(page) -> list[str]:
    """Each element whose text contrast is below AA, as axe reports it."""
    # Evaluated by the test driver, not added as a <script>: the site's CSP rightly forbids inline scripts.
    page.evaluate(AXE_JS + "\n;void 0")
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]}});
            return result.violations.flatMap(v => v.nodes.map(n => n.target.join(" ") + ": " + n.any.map(a => a.message).join("; ")));
        }"""
    )
    return result


def _check(page, base: str, paths: list[str]) -> dict[str, list[str]]:
    failures = {}
    for path in paths:
        for language in ("zh", "en"):
            url = f"{base}{path}{'&' if '?' in path else '?'}lang={language}"
            response = page.goto(url, wait_until="networkidle")
            assert response.status == 200, url
            found = contrast_failures(page)
            if found:
                failures[url] = found
    return failures


def test_public_pages_have_readable_contrast(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server + "/")
    product = page.locator("a[href^='/products/']").first.get_attribute("href")
    # Something in the cart, so that the cart page shows its lines and totals.
    page.goto(live_server + product, wait_until="networkidle")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    page.wait_for_load_state("networkidle")
    failures = _check(page, live_server, ["/", product, "/search?q=梨", "/cart", "/login"])
    context.close()
    assert failures == {}


def test_seller_and_trainee_pages_have_readable_contrast(browser, live_server, seeded):
    _practice_shop_with_orders(seeded)
    context, page = _logged_in(
        browser, live_server, "exhibitor-lingshou@demo.villagemarket.test", "demo-Lingshou-2026"
    )
    failures = _check(page, live_server, ["/sell/", "/sell/products", "/sell/share"])
    context.close()
    context, page = _logged_in(
        browser, live_server, "trainee@demo.villagemarket.test", "demo-Trainee-2026"
    )
    failures |= _check(page, live_server, ["/train", "/train/share", "/sell/discounts/new"])
    context.close()
    assert failures == {}
