"""An organizer reaches the featured board from the header, orders featured products by
dragging them at a desk and with the up and down buttons on a phone; the board fits 390 px."""

import os

import pytest
from sqlalchemy import select

from products.models import Product, Region
from shop.extensions import db
from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser

ORGANIZER = "organizer@demo.villagemarket.test"
PASSWORD = "demo-Organizer-2026"
SHOTS = os.environ.get("VM_SHOTS")


def _dangshan_featured(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Product.slug)
                .join(Region, Product.region_id == Region.id)
                .where(Region.slug == "dangshan", Product.featured.is_(True))
                .order_by(Product.featured_position)
            )
        )


def log_in(page, base: str, language: str) -> None:
    labels = ("Email", "Password", "Log in") if language == "en" else ("邮箱", "密码", "登录")
    page.goto(f"{base}/login?lang={language}")
    page.get_by_label(labels[0]).fill(ORGANIZER)
    page.get_by_label(labels[1], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=labels[2]).click()


def _shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=False)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_header_link_leads_to_a_board_that_fits_a_phone(page, live_server, language):
    log_in(page, live_server, language)
    page.goto(f"{live_server}/?lang={language}")
    name = "Organizer board" if language == "en" else "主办方看板"
    # On a phone the header's links wait in its menu.
    page.locator(".site-header").locator(
        "summary", has_text="Menu" if language == "en" else "菜单"
    ).click()
    page.get_by_role("link", name=name).click()
    page.wait_for_url("**/organize/featured**")
    assert page.locator(".featured-board .board-card").count() >= 2
    assert_fits_the_phone(page)
    _shoot(page, f"featured-390-{language}.png")
    page.goto(f"{live_server}/organize/review?lang={language}")
    assert_fits_the_phone(page)
    _shoot(page, f"review-390-{language}.png")


def test_the_down_button_moves_a_featured_product_on_a_phone(page, live_server, seeded):
    before = _dangshan_featured(seeded)
    log_in(page, live_server, "en")
    page.goto(f"{live_server}/organize/featured?lang=en")
    first = page.locator("#region-dangshan ~ form .featured-board .board-card").first
    first.get_by_role("button", name="down").click()
    page.wait_for_load_state()
    assert _dangshan_featured(seeded) == [before[1], before[0], *before[2:]]
    assert_fits_the_phone(page)


def test_dragging_a_card_reorders_the_featured_products_at_a_desk(browser, live_server, seeded):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        before = _dangshan_featured(seeded)
        log_in(page, live_server, "en")
        page.goto(f"{live_server}/organize/featured?lang=en")
        cards = page.locator("#region-dangshan ~ form .featured-board .board-card")
        cards.nth(1).scroll_into_view_if_needed()
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        _shoot(page, "featured-1280-en.png")
        page.mouse.move(first["x"] + first["width"] - 20, first["y"] + 12)
        page.mouse.down()
        page.mouse.move(second["x"] + 30, second["y"] + second["height"] - 5, steps=8)
        with page.expect_navigation():
            page.mouse.up()
        assert _dangshan_featured(seeded) == [before[1], before[0], *before[2:]]
    finally:
        context.close()
