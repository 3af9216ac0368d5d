"""The home page on a phone: products on the first screen, a tile map whose provinces are big
enough to tap, nothing spilling sideways; and a partner country's "tell me when it opens" form."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROGRAMME_TILES = {
    "zh": ["河北：灵寿县", "陕西：延安市", "浙江：义乌市", "安徽：砀山县", "四川：德格县"],
    "en": [
        "Hebei: Lingshou County",
        "Shaanxi: Yan'an",
        "Zhejiang: Yiwu",
        "Anhui: Dangshan County",
        "Sichuan: Dege County",
    ],
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_phone_sees_products_first_and_can_tap_every_programme_province(
    page, live_server, language
):
    page.goto(f"{live_server}/?lang={language}")
    first_card = page.locator(".card").first.bounding_box()
    assert first_card["y"] < 844, first_card  # on the first screen of a 390 x 844 phone
    for name in PROGRAMME_TILES[language]:
        tile = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert tile["width"] >= 44 and tile["height"] >= 44, (name, tile)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_tapping_anhui_on_the_map_opens_dangshan(page, live_server):
    page.goto(live_server + "/")
    page.get_by_role("link", name="安徽：砀山县", exact=True).click()
    expect(page).to_have_url(re.compile(r"/regions/dangshan$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("砀山县")


def test_a_category_chip_opens_its_category(page, live_server):
    page.goto(live_server + "/?lang=en")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Grains").click()
    expect(page).to_have_url(re.compile(r"/categories/grains"))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_visitor_asks_to_hear_when_cambodia_opens(page, live_server, language):
    page.goto(live_server + "/")
    page.get_by_role("link", name="柬埔寨").click()
    expect(page).to_have_url(re.compile(r"/regions/cambodia$"))
    page.goto(f"{live_server}/regions/cambodia?lang={language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("电子邮箱或手机号" if language == "zh" else "Email or mobile number").fill(
        "138 1234 5678"
    )
    page.get_by_role(
        "button", name="开放时通知我" if language == "zh" else "Tell me when it opens"
    ).click()
    thanks = "13812345678" if language == "zh" else "We will tell 13812345678 when Cambodia opens."
    expect(page.get_by_role("status")).to_contain_text(thanks)
    # A mistake is explained next to the field, and what was typed stays.
    field = page.get_by_label("电子邮箱或手机号" if language == "zh" else "Email or mobile number")
    field.fill("¹³⁸")
    page.get_by_role(
        "button", name="开放时通知我" if language == "zh" else "Tell me when it opens"
    ).click()
    expect(page.get_by_role("alert")).to_contain_text("13812345678")
    expect(field).to_have_value("¹³⁸")
