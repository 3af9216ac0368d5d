"""A seller edits a listing in a real browser: one form, one save, a warning before leaving."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Product, Shop
from shop.accounts.models import User
from shop.extensions import db
from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/editor"  # noqa: S108  screenshots to look at, not data
EMAIL = "exhibitor-dangshan@demo.villagemarket.test"
PASSWORD = "demo-Dangshan-2026"


def a_listing(app) -> tuple[int, int, int]:
    """(product id, first variant id, its price in fen) of the demo Dangshan exhibitor."""
    with app.app_context():
        product = db.session.scalars(
            select(Product)
            .join(Product.shop)
            .join(User, Shop.owner_id == User.id)
            .where(User.email == EMAIL)
            .order_by(Product.id)
        ).first()
        variant = product.variants[0]
        return product.id, variant.id, variant.price_fen


def log_in(page, live_server):
    page.goto(live_server + "/login?lang=en")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_title_and_a_variant_price_are_saved_with_one_save(
    browser, live_server, seeded, width, height
):
    product_id, variant_id, price_fen = a_listing(seeded)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    page = context.new_page()
    log_in(page, live_server)
    page.goto(f"{live_server}/sell/products/{product_id}?lang=zh")
    assert_fits_the_phone(page, "no sideways scrolling in Chinese")
    page.screenshot(path=f"{SHOTS}/listing-{width}-zh.png", full_page=True)
    page.goto(f"{live_server}/sell/products/{product_id}?lang=en")
    assert_fits_the_phone(page, "no sideways scrolling in English")

    new_price = f"{price_fen // 100 + 1}.50"
    page.get_by_label("Title in English").fill("Dangshan crisp pears, picked ripe")
    variant = page.get_by_role("group", name=re.compile("^Variant ")).first
    variant.get_by_label("Price (yuan)").fill(new_price)
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/listing-{width}-en-unsaved.png", full_page=True)

    # Leaving now asks first; staying keeps what was typed.
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Village Market").first.click()
    expect(page).to_have_url(re.compile(rf"/sell/products/{product_id}"))
    assert asked == ["beforeunload"]
    expect(page.get_by_label("Title in English")).to_have_value("Dangshan crisp pears, picked ripe")

    page.get_by_role("button", name="Save listing").click()
    expect(page.get_by_text("Listing saved.")).to_be_visible()
    expect(page.get_by_label("Title in English")).to_have_value("Dangshan crisp pears, picked ripe")
    expect(variant.get_by_label("Price (yuan)")).to_have_value(new_price)
    with seeded.app_context():
        product = db.session.get(Product, product_id)
        assert product.title_en == "Dangshan crisp pears, picked ripe"
        assert product.variants[0].id == variant_id
        assert product.variants[0].price_fen == (price_fen // 100 + 1) * 100 + 50
    page.screenshot(path=f"{SHOTS}/listing-{width}-en-saved.png", full_page=True)

    # Saved: leaving no longer asks.
    page.get_by_role("link", name="Village Market").first.click()
    expect(page).not_to_have_url(re.compile(r"/sell/products/\d+"))
    context.close()


def pear_photo() -> bytes:
    image = Image.new("RGB", (800, 600), (70, 130, 60))
    ImageDraw.Draw(image).ellipse((280, 120, 520, 480), fill=(225, 200, 70))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("language", "far", "kept", "confirm", "save"),
    [
        (
            "en",
            "is far from the usual",
            "uploaded and kept",
            "Yes, these prices are right",
            "Save draft",
        ),
        ("zh", "相差很大", "已上传并保留", "是的，这些价格没错", "保存草稿"),
    ],
)
def test_a_new_listings_photo_and_typing_survive_a_price_mistake(
    browser, live_server, seeded, language, far, kept, confirm, save
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = context.new_page()
    log_in(page, live_server)
    page.goto(live_server + "/sell/products/new")
    page.locator("#title_zh").fill("砀山梨膏 两瓶")
    page.locator("#category").select_option(index=1)
    page.locator("#spec_zh").fill("两瓶")
    page.locator("#price").fill("9999999.99")
    page.locator("#stock").fill("5")
    page.locator("#weight_g").fill("800")
    page.locator("#photo").set_input_files(
        {"name": "pear.jpg", "mimeType": "image/jpeg", "buffer": pear_photo()}
    )
    page.get_by_role("button", name=save).click()

    # Far from what such things cost: asked to confirm, with the photo and all typing kept.
    expect(page.get_by_text(re.compile(far))).to_be_visible()
    expect(page.get_by_text(re.compile(kept))).to_be_visible()
    expect(page.locator("#title_zh")).to_have_value("砀山梨膏 两瓶")
    expect(page.locator("#price")).to_have_value("9999999.99")
    assert_fits_the_phone(page)
    page.screenshot(path=f"{SHOTS}/new-listing-390-{language}-confirm.png")
    page.get_by_label(re.compile(confirm)).check()
    page.get_by_role("button", name=save).click()
    expect(page).to_have_url(re.compile(r"/sell/products/\d+$"))
    expect(page.locator(".photo-grid img")).to_have_count(1)
    with seeded.app_context():
        product = db.session.get(Product, int(page.url.rsplit("/", 1)[1]))
        assert product.variants[0].price_fen == 999_999_999 and len(product.images) == 1
    context.close()
