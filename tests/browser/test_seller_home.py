"""An exhibitor's working day starts on the home board: on a phone and on a desktop."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Product, Shop, Variant
from shop.accounts.models import User
from shop.extensions import db
from tests.browser.layout import assert_fits_the_phone
from tests.shopping import buy

pytestmark = pytest.mark.browser

EXHIBITOR = "exhibitor-dangshan@demo.villagemarket.test"
PASSWORD = "demo-Dangshan-2026"


@pytest.fixture
def paid_order(seeded, live_server):
    """A customer bought one of the Dangshan exhibitor's products and paid: it waits to ship."""
    with seeded.app_context():
        variant = db.session.scalar(
            select(Variant.id)
            .join(Product)
            .join(Shop)
            .join(User, User.id == Shop.owner_id)
            .where(User.email == EXHIBITOR, Product.status == "published", Variant.stock > 0)
            .order_by(Variant.id)
            .limit(1)
        )
    buy(seeded.test_client(), variant, 1)


def log_in(page, base: str, language: str) -> None:
    if language == "en":
        page.goto(base + "/login?lang=en")
        labels = ("Email", "Password", "Log in")
    else:
        page.goto(base + "/login?lang=zh")
        labels = ("邮箱", "密码", "登录")
    page.get_by_label(labels[0]).fill(EXHIBITOR)
    page.get_by_label(labels[1], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=labels[2]).click()


def test_on_a_phone_the_board_leads_to_the_order_to_ship(page, live_server, paid_order):
    log_in(page, live_server, "zh")
    # Logging in lands on the seller's home board.
    expect(page).to_have_url(live_server + "/sell/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
    assert_fits_the_phone(page)
    tile = page.locator(".todo-tile", has_text="待发货订单")
    expect(tile.locator(".todo-count")).to_have_text("1")
    expect(page.get_by_role("heading", name="真实销售")).to_be_visible()

    tile.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/sell/orders\?status=paid$"))
    expect(page.get_by_role("link", name=re.compile(r"待发货 1"))).to_have_attribute(
        "aria-current", "page"
    )
    card = page.locator("table.cards-on-phone tbody tr")
    expect(card).to_have_count(1)
    expect(card.locator("td[data-label='收货城市']")).to_contain_text("北京市")
    assert_fits_the_phone(page)

    card.get_by_role("link", name=re.compile(r"^VM-")).click()
    expect(page).to_have_url(re.compile(r"/sell/orders/VM-[0-9A-Z-]+$"))

    page.goto(live_server + "/sell/orders?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    assert_fits_the_phone(page)
    page.goto(live_server + "/sell/?lang=en")
    expect(page.get_by_role("heading", level=2, name="Waiting for you")).to_be_visible()
    assert_fits_the_phone(page)


def test_on_a_desktop_the_board_leads_to_a_listing_that_needs_work(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        log_in(page, live_server, "en")
        expect(page).to_have_url(live_server + "/sell/")
        # The account's language is Chinese; this visit reads the board in English.
        page.goto(live_server + "/sell/?lang=en")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Home")
        expect(page.get_by_role("navigation", name="Your shop").get_by_role("link", name="Home"))
        assert_fits_the_phone(page)
        listings = page.locator("section.home-listings")
        expect(listings.get_by_role("heading", name="Listings that need attention")).to_be_visible()
        first = listings.locator(".listing-needs li a").first
        href = first.get_attribute("href")
        assert re.fullmatch(r"/sell/products/\d+", href)
        first.click()
        expect(page).to_have_url(live_server + href)
        # The listing's page shows its quality score and the tips that raise it.
        expect(page.locator(".quality-score")).to_be_visible()
        page.goto(live_server + "/sell/orders?lang=en")
        expect(page.get_by_role("navigation", name="Orders by status")).to_be_visible()
        assert_fits_the_phone(page)
    finally:
        context.close()
