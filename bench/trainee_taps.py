"""Taps a trainee needs on a phone from sign-up to their first shipped practice order.

A person's path, driven by Playwright in Debian's Chromium at 390x844: open the cohort's sign-up
link (what the trainer's QR code holds), sign up, open the practice shop, list a product and
publish it, ask for a simulated customer, open the order and ship it. The script follows what the
pages show — the form in front of it, else the nearest link to where it must go — so one script
measures any version of the site.

A tap is a click on a link or button (a form submitted by its button is one tap). Typing into a
field, or choosing in a select, is not a tap: those are counted apart as fields filled. Opening
the sign-up link is not counted (the trainee scans it).

Usage: start a seeded server (its demo cohort's join code is LINGSHOU), then
    .venv/bin/python bench/trainee_taps.py --base-url http://127.0.0.1:5000
Results go to docs/benchmarks.md by hand.
"""

import argparse
import secrets
import sys
from dataclasses import dataclass, field

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
#: The demo region of the seeded cohort, as the region select names it in Chinese.
REGION_ZH = "灵寿县"


@dataclass
class Count:
    """Taps and fields filled, with the steps that made them."""

    taps: int = 0
    fields: int = 0
    steps: list[str] = field(default_factory=list)

    def tap(self, page: Page, locator, why: str) -> None:
        """Click a link or button and wait for the page it leads to."""
        with page.expect_navigation():
            locator.first.click()
        self.taps += 1
        self.steps.append(f"tap: {why} -> {page.url.split('?')[0].split('/', 3)[-1]}")

    def fill(self, locator, value: str, why: str) -> None:
        locator.first.fill(value)
        self.fields += 1
        self.steps.append(f"field: {why}")

    def choose(self, locator, label: str, why: str) -> None:
        """Pick an option of a select, only when it is not chosen already."""
        select = locator.first
        chosen = select.evaluate(
            "s => s.options[s.selectedIndex] && s.options[s.selectedIndex].text"
        )
        if chosen != label:
            select.select_option(label=label)
            self.fields += 1
            self.steps.append(f"field: {why}")


def visible(page: Page, selector: str):
    """The visible elements matching selector (may be none)."""
    return page.locator(f"{selector} >> visible=true")


def go_to(page: Page, count: Count, path: str, why: str) -> None:
    """Reach a page by tapping the link to it, or through the checklist when none is shown."""
    if page.url.split("?")[0].endswith(path):
        return
    link = visible(page, f'a[href$="{path}"]')
    if link.count() == 0:
        count.tap(page, visible(page, 'a[href$="/train"]'), "open the practice checklist")
        link = visible(page, f'a[href$="{path}"]')
    count.tap(page, link, why)


def run(base_url: str, code: str) -> Count:
    count = Count()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
        page = context.new_page()

        # 1. Sign up from the cohort's link: the join code is filled in already.
        page.goto(f"{base_url}/signup?code={code}")
        count.fill(
            page.locator("input[name=email]"), f"t{secrets.token_hex(4)}@example.test", "email"
        )
        count.fill(page.locator("input[name=display_name]"), "李小华", "name")
        count.fill(page.locator("input[name=password]"), "apricots on the hillside", "password")
        count.tap(
            page, page.locator("form:has(input[name=password]) button[type=submit]"), "sign up"
        )

        # 2. Open the practice shop: its form where the trainee lands, else the link to it.
        if visible(page, "input[name=name_zh]").count() == 0:
            count.tap(page, visible(page, 'a[href$="/sell/shop"]'), "open the shop form")
        form = page.locator("form:has(input[name=name_zh]) >> visible=true").first
        count.fill(form.locator("input[name=name_zh]"), "李家杏园", "shop name")
        count.choose(form.locator("select[name=region]"), REGION_ZH, "region")
        count.tap(page, form.locator("button[type=submit]"), "open the shop")

        # 3. List a product and publish it.
        go_to(page, count, "/sell/products/new", "add a product")
        form = page.locator("form:has(input[name=title_zh])").first
        count.fill(form.locator("input[name=title_zh]"), "灵寿金丝小枣 一斤装", "product title")
        count.fill(form.locator("input[name=spec_zh]"), "一袋 1 斤", "spec")
        count.fill(form.locator("input[name=price]"), "25", "price")
        count.fill(form.locator("input[name=stock]"), "12", "stock")
        count.tap(page, form.locator("button[type=submit]"), "save the product")
        publish = visible(page, 'form[action$="/publish"] button')
        if publish.count():
            count.tap(page, publish, "publish")

        # 4. A simulated customer orders.
        go_to(page, count, "/train/customers", "practice customers")
        normal = page.locator('form:has(input[name=scenario][value="normal"]) button')
        count.tap(page, normal, "send a normal customer")

        # 5. Open the order and ship it.
        count.tap(page, visible(page, 'a[href*="/sell/orders/VM-"]'), "open the order")
        form = page.locator('form[action$="/ship"]')
        count.fill(form.locator("input[name=carrier]"), "顺丰速运", "carrier")
        count.fill(form.locator("input[name=tracking_number]"), "SF1234567890", "tracking number")
        count.tap(page, form.locator("button[type=submit]"), "mark as shipped")
        if "SF1234567890" not in page.content():
            sys.exit("the order does not show as shipped: the run did not reach its end")
        browser.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="a running, seeded site")
    parser.add_argument("--code", default="LINGSHOU", help="a cohort's join code")
    options = parser.parse_args()
    count = run(options.base_url.rstrip("/"), options.code)
    for step in count.steps:
        print(step)
    print(f"taps: {count.taps}  fields filled: {count.fields}")


if __name__ == "__main__":
    main()
