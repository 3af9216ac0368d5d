"""A new exhibitor's first day, in a real browser: sign up, open a shop, list a product, sell it."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def pear_photo() -> bytes:
    """A 1200x900 JPEG of a yellow 'pear' on green, as a phone would send it."""
    image = Image.new("RGB", (1200, 900), (70, 130, 60))
    ImageDraw.Draw(image).ellipse((420, 200, 780, 700), fill=(225, 200, 70))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_a_new_exhibitor_signs_up_opens_a_shop_and_sells_a_product(page, live_server):
    page.goto(live_server + "/")
    # On a phone the language switch and the account links wait in the header's menu.
    page.locator(".site-header").locator("summary", has_text="菜单").click()
    page.get_by_role("link", name="English").click()
    page.locator(".site-header").locator("summary", has_text="Menu").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()

    page.get_by_label("Email").fill("new-grower@example.test")
    page.get_by_label("Your name").fill("Grower Wang")
    page.get_by_label("Password").fill("pears grow on the loess")
    page.get_by_label("Preferred language").select_option(label="English")
    page.get_by_label("Sell at the exhibition (exhibitor)").check()
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Open your shop")
    page.get_by_label("Shop name in Chinese").fill("王家梨园")
    page.get_by_label("Region").select_option(label="Dangshan County")
    page.get_by_label("Contact phone").fill("138 0000 1234")
    page.get_by_label("Shipping fee per order (yuan)").fill("8")
    page.get_by_role("button", name="Open my shop").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a product")
    page.get_by_label("Title in Chinese").fill("砀山酥梨 王家果园 5斤装")
    page.get_by_label("Title in English").fill("Wang family Dangshan pears, 5 jin")
    page.get_by_label("Description in Chinese").fill("皮薄多汁，清甜爽口，树上自然成熟后采摘。")
    page.get_by_label("Category").select_option(label="Fresh fruit")
    page.get_by_label("Spec in Chinese (e.g. 5 jin box)").fill("一箱 5 斤")
    page.get_by_label("Price (yuan)").fill("39.9")
    page.get_by_label("Stock", exact=True).fill("20")
    page.get_by_label("Weight (grams)").fill("2600")
    page.get_by_label("Photo").set_input_files(
        {"name": "pear.jpg", "mimeType": "image/jpeg", "buffer": pear_photo()}
    )
    # The chosen photo is previewed before it is sent.
    expect(page.locator(".upload-preview img")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Wang family Dangshan pears, 5 jin")
    expect(page).to_have_url(re.compile(r"/sell/products/\d+$"))
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Photo 1 of"))).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published. Visitors see it once the organizers")).to_be_visible()

    # An organizer approves the new shop and its first listing from the review queue.
    organizer = page.context.browser.new_page()
    organizer.goto(live_server + "/login?lang=en")
    organizer.get_by_label("Email").fill("organizer@demo.villagemarket.test")
    organizer.get_by_label("Password").fill("demo-Organizer-2026")
    organizer.get_by_role("button", name="Log in").click()
    organizer.goto(live_server + "/organize/review?lang=en")
    organizer.get_by_role("button", name="Approve 王家梨园").click()
    organizer.get_by_role("button", name=re.compile("Approve .*Wang family Dangshan pears")).click()
    organizer.close()
    page.reload()

    page.get_by_role("link", name="See it on the market").click()
    expect(page).to_have_url(re.compile(r"/products/\d+-[a-z0-9-]+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wang family Dangshan pears, 5 jin")
    expect(page.get_by_text("¥39.90").first).to_be_visible()
    picture = page.locator(".gallery img, .product img").first
    expect(picture).to_be_visible()
    assert picture.evaluate("image => image.complete && image.naturalWidth > 0")


def test_a_photo_over_15_mb_is_stopped_in_the_page_and_the_form_is_kept(page, live_server):
    page.goto(live_server + "/login?lang=en")
    page.get_by_label("Email").fill("exhibitor-dangshan@demo.villagemarket.test")
    page.get_by_label("Password").fill("demo-Dangshan-2026")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/sell/products/new?lang=en")
    page.get_by_label("Title in Chinese").fill("砀山梨膏 两瓶")
    page.get_by_label("Photo").set_input_files(
        {
            "name": "huge.jpg",
            "mimeType": "image/jpeg",
            "buffer": b"\xff\xd8\xff" + b"\0" * (16 << 20),
        }
    )
    message = page.get_by_role("status").filter(has_text="larger than 15 MB")
    expect(message).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(message).to_be_visible()
    expect(page.get_by_label("Title in Chinese")).to_have_value("砀山梨膏 两瓶")
    expect(page).to_have_url(re.compile(r"/sell/products/new"))
