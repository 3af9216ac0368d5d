"""The share kit on a phone: the poster is on the page itself (in WeChat's browser a person
presses and holds it to save it) and the QR code downloads as a PNG picture."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace_fits_phone import _logged_in, _practice_shop_with_orders

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/share"  # noqa: S108  screenshots to look at, not data
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _poster_is_shown_and_qr_downloads(page, base: str, path: str, shot: str) -> None:
    page.goto(base + path + "?lang=zh", wait_until="networkidle")
    poster = page.locator(".share-poster img").first
    poster.scroll_into_view_if_needed()
    expect(poster).to_be_visible()
    # Loaded in full (a broken image has no natural size) and fits the phone's width.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=poster.element_handle()
    )
    assert poster.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1080, 1440]
    assert poster.bounding_box()["width"] <= 390
    expect(page.locator(".share-poster figcaption").first).to_have_text("长按图片保存")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/{shot}-390-zh.png", full_page=True)

    link = page.get_by_role("link", name="下载二维码（PNG）").first
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith("-qr.png")
    with open(download.path(), "rb") as saved:
        assert saved.read(8) == PNG_SIGNATURE
    response = page.request.get(base + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "image/png"
    assert response.body().startswith(PNG_SIGNATURE)


def test_a_seller_of_a_real_shop_sees_the_poster_and_gets_the_png_qr(browser, live_server):
    context, page = _logged_in(
        browser, live_server, "exhibitor-lingshou@demo.villagemarket.test", "demo-Lingshou-2026"
    )
    context.set_default_timeout(15_000)
    try:
        _poster_is_shown_and_qr_downloads(page, live_server, "/sell/share", "exhibitor-share")
        # The code on it leads to the product's public page.
        address = page.locator(".share-url input").nth(1).input_value()
        assert re.fullmatch(re.escape(live_server) + r"/products/\d+-[\w-]+", address)
        # The listing's own page carries the same poster.
        src = page.locator(".share-poster img").first.get_attribute("src")
        product_id = re.search(r"/products/(\d+)/poster\.png", src)[1]
        _poster_is_shown_and_qr_downloads(
            page, live_server, f"/sell/products/{product_id}", "exhibitor-listing"
        )
        page.goto(live_server + "/sell/share?lang=en", wait_until="networkidle")
        expect(page.locator(".share-poster figcaption").first).to_have_text(
            "Press and hold the image to save it"
        )
        page.screenshot(path=f"{SHOTS}/exhibitor-share-390-en.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{SHOTS}/exhibitor-share-1280-en.png")
        page.goto(live_server + "/sell/share?lang=zh", wait_until="networkidle")
        page.screenshot(path=f"{SHOTS}/exhibitor-share-1280-zh.png")
    finally:
        context.close()


def test_a_trainee_sees_the_practice_poster_on_the_share_kit(browser, live_server, seeded):
    _practice_shop_with_orders(seeded)
    context, page = _logged_in(
        browser, live_server, "trainee@demo.villagemarket.test", "demo-Trainee-2026"
    )
    context.set_default_timeout(15_000)
    try:
        _poster_is_shown_and_qr_downloads(page, live_server, "/train/share", "trainee-share")
        address = page.locator(".share-kit .share-url input").first.input_value()
        assert "/practice/" in address
    finally:
        context.close()
