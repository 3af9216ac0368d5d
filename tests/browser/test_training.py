"""A trainee's first class, in a real browser: join by the cohort's code, open a practice shop,
list a product, get a simulated customer and ship the order, watching the checklist fill."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_trainee_joins_a_cohort_and_ships_a_simulated_customers_order(page, live_server):
    # The trainer's QR code opens the sign-up page with the demo cohort's code filled in.
    page.goto(live_server + "/signup?code=LINGSHOU&lang=en")
    expect(page.get_by_label("Cohort join code (optional)")).to_have_value("LINGSHOU")
    page.get_by_label("Email").fill("new-trainee@example.test")
    page.get_by_label("Your name").fill("Trainee Li")
    page.get_by_label("Password").fill("apricots on the hillside")
    page.get_by_label("Preferred language").select_option(label="English")
    page.get_by_role("button", name="Create account").click()

    # A trainee lands on the checklist, which opens the practice shop as its first step.
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice checklist")
    page.get_by_label("Shop name in Chinese").fill("李家杏园")
    page.get_by_label("Region").select_option(label="Lingshou County")
    page.get_by_label("Contact phone").fill("138 0000 5678")
    page.get_by_label("Shipping fee per order (yuan)").fill("0")
    page.get_by_role("button", name="Open my shop").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a product")
    page.get_by_label("Title in Chinese").fill("灵寿金丝小枣 一斤装")
    page.get_by_label("Title in English").fill("Lingshou golden jujubes, 1 jin")
    page.get_by_label("Spec in Chinese (e.g. 5 jin box)").fill("一袋 1 斤")
    page.get_by_label("Price (yuan)").fill("25")
    page.get_by_label("Stock", exact=True).fill("12")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(re.compile("Published in your practice shop"))).to_be_visible()

    # The checklist has noticed the published product, with no button pressed.
    page.goto(live_server + "/train")
    expect(page.get_by_text("灵寿 2026 春季班")).to_be_visible()
    expect(page.locator("#lesson-first_product .lesson-state")).to_contain_text("Done on")
    expect(page.locator("#lesson-shipped .lesson-state")).to_have_text("Not done yet")
    expect(page.get_by_text("1 / 10 lessons done")).to_be_visible()

    page.goto(live_server + "/train/customers")
    page.get_by_role("button", name="Send: A normal order").click()
    number = page.locator(".practice-orders tbody tr").first.locator("a").first
    expect(number).to_have_text(re.compile(r"VM-\d{4}-"))
    number.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Practice")
    page.get_by_label("Carrier").fill("SF Express")
    page.get_by_label("Tracking number").fill("SF1234567890")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_text("SF1234567890").first).to_be_visible()

    page.goto(live_server + "/train")
    expect(page.locator("#lesson-first_order .lesson-state")).to_contain_text("Done on")
    expect(page.locator("#lesson-shipped .lesson-state")).to_contain_text("Done on")
    expect(page.get_by_text("3 / 10 lessons done")).to_be_visible()
