"""The share kit (/sell/share for any seller, /train/share for trainees): QR codes in PNG and
SVG, and the PNG share poster, with Chinese and colour emoji drawn, shown inline on the listing."""

import io
import logging
import re
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image, ImageChops

from products import images
from products.images import CJK_FACE, POSTER_SIZE, poster_font, render_share_poster
from shop.training import lessons
from tests.helpers import (
    create_listing,
    done_lessons,
    jpeg,
    open_shop,
    publish,
    shop_of,
    upload_photos,
)


@pytest.fixture
def region(make_region):
    return make_region(name_zh="砀山县", name_en="Dangshan County")


def _trainee(app, make_user, login_as, region, name_zh):
    user = make_user("trainee", language="en")
    client = login_as(user)
    assert open_shop(client, region.id, name_zh=name_zh).status_code == 302
    product_id = create_listing(client, title_zh="砀山酥梨 5斤装 礼盒", title_en="")
    publish(client, product_id)
    return SimpleNamespace(user=user, client=client, product_id=product_id)


@pytest.fixture
def trainee(app, make_user, login_as, region):
    return _trainee(app, make_user, login_as, region, "砀山梨园")


def poster_url(product_id: int) -> str:
    return f"/sell/share/products/{product_id}/poster.png"


def qr_url(product_id: int, kind: str = "png") -> str:
    return f"/sell/share/products/{product_id}/qr.{kind}"


def decoded(png: bytes) -> list[str]:
    """What a QR reader finds in a picture."""
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_share_kit_lists_the_shop_and_each_published_product(app, trainee):
    draft = create_listing(trainee.client, title_zh="砀山梨膏 草稿", title_en="")
    response = trainee.client.get("/train/share?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    token = shop_of(app, trainee.user.id).preview_token
    assert f"http://localhost/practice/{token}" in page
    assert f"http://localhost/practice/{token}/products/{trainee.product_id}" in page
    # The poster is shown on the page (press and hold saves it in WeChat) and offered to download.
    assert re.search(rf'<img src="{poster_url(trainee.product_id)}\?v=\w+"', page)
    assert "Press and hold the image to save it" in page
    assert f'href="{qr_url(trainee.product_id)}?v=' in page
    assert f'href="{qr_url(trainee.product_id, "svg")}?v=' in page
    assert 'src="/sell/share/qr.png"' in page
    assert poster_url(draft) not in page and "砀山梨膏" not in page
    assert lessons.SHARE_KIT in done_lessons(app, trainee.user.id)


def test_the_qr_codes_are_png_and_svg_of_the_preview_addresses(app, trainee):
    trainee.client.get("/train/share")
    token = shop_of(app, trainee.user.id).preview_token
    product_address = f"http://localhost/practice/{token}/products/{trainee.product_id}"
    shop_png = trainee.client.get("/sell/share/qr.png")
    product_png = trainee.client.get(qr_url(trainee.product_id))
    for response in (shop_png, product_png):
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.headers["Content-Disposition"].startswith("inline; filename=")
        assert Image.open(io.BytesIO(response.data)).format == "PNG"
    assert decoded(shop_png.data) == [f"http://localhost/practice/{token}"]
    assert decoded(product_png.data) == [product_address]
    # SVG stays as an extra, for printing large.
    shop_svg = trainee.client.get("/sell/share/qr.svg")
    product_svg = trainee.client.get(qr_url(trainee.product_id, "svg"))
    for response in (shop_svg, product_svg):
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
    assert shop_svg.data != product_svg.data
    assert token not in shop_svg.get_data(as_text=True)  # drawn as modules, not written out


def test_the_poster_is_a_png_of_the_exact_size_whose_qr_opens_the_preview(app, trainee, client):
    upload_photos(trainee.client, trainee.product_id, jpeg(1600, 1200, (200, 40, 40)))
    response = trainee.client.get(poster_url(trainee.product_id))
    assert response.status_code == 200 and response.mimetype == "image/png"
    # Inline, so that pages can show it; the file name is for downloads.
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["Content-Disposition"].endswith('-poster.png"')
    assert response.headers["Cache-Control"] == "no-store"
    poster = Image.open(io.BytesIO(response.data))
    assert poster.format == "PNG" and poster.size == POSTER_SIZE == (1080, 1440)
    # The cover photo fills the top of the poster.
    red, green, blue = poster.convert("RGB").getpixel((540, 300))
    assert red > 150 and green < 90 and blue < 90
    token = shop_of(app, trainee.user.id).preview_token
    address = f"http://localhost/practice/{token}/products/{trainee.product_id}"
    assert decoded(response.data) == [address]
    # A classmate who scans it sees the product, marked as practice.
    page = client.get(address.removeprefix("http://localhost") + "?lang=en")
    assert page.status_code == 200
    assert "砀山酥梨 5斤装 礼盒" in page.get_data(as_text=True)


def test_a_product_without_photos_gets_a_poster_too(app, trainee):
    response = trainee.client.get(poster_url(trainee.product_id))
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == POSTER_SIZE
    assert len(decoded(response.data)) == 1


def test_the_poster_font_draws_chinese_not_empty_boxes():
    font = poster_font(62)
    assert font.getname()[0] == CJK_FACE
    village, market = font.getmask("乡"), font.getmask("集")
    assert village.getbbox() is not None and market.getbbox() is not None
    # A font without Chinese draws every character as the same empty box ("tofu").
    assert bytes(village) != bytes(market)


def test_the_title_is_drawn_on_the_poster():
    def poster_with(title: str) -> Image.Image:
        png = render_share_poster(None, title, "¥39.90", "砀山梨园", "http://localhost/p")
        return Image.open(io.BytesIO(png)).convert("RGB")

    # Two titles of four Chinese characters differ exactly where the title is drawn; with a
    # font lacking Chinese both would be four identical boxes and the posters the same.
    changed = ImageChops.difference(poster_with("砀山酥梨"), poster_with("乡村集市")).getbbox()
    assert changed is not None
    left, top, _right, bottom = changed
    assert top > 700 and bottom < 820 and left >= 60


def test_a_long_title_wraps_and_ends_with_an_ellipsis():
    title = "砀山酥梨皮薄多汁甜脆爽口产地直发新鲜采摘礼盒包装送礼佳品" * 3
    png = render_share_poster(None, title, "¥39.90", "砀山梨园", "http://localhost/p")
    assert Image.open(io.BytesIO(png)).size == POSTER_SIZE
    assert decoded(png) == ["http://localhost/p"]


def test_another_trainees_posters_and_qr_codes_are_404(app, trainee, make_user, login_as, region):
    other = _trainee(app, make_user, login_as, region, "另一家梨园")
    draft = create_listing(trainee.client, title_zh="砀山梨膏 草稿", title_en="")
    for url in (
        poster_url(other.product_id),
        qr_url(other.product_id),
        qr_url(other.product_id, "svg"),
        poster_url(draft),
        qr_url(draft),
        poster_url(999999),
    ):
        assert trainee.client.get(url).status_code == 404, url
    # And the other trainee's own poster works for them.
    assert other.client.get(poster_url(other.product_id)).status_code == 200


def test_the_poster_needs_a_seller(client, make_user, login_as, trainee):
    url = poster_url(trainee.product_id)
    assert re.search(r"/login", client.get(url).headers["Location"])
    assert login_as(make_user("customer")).get(url).status_code == 403


# --- Colour emoji on the poster ---------------------------------------------------------------

EMOJI_TITLE = "🍄🔥 野生菌"
#: Where the title's first emoji is drawn: the left margin, the title's first line.
FIRST_EMOJI_BOX = (60, 736, 60 + 62, 736 + 84)


def coloured_pixels(poster: Image.Image, box) -> int:
    """Pixels that are clearly coloured (the poster's text is near-black on near-white)."""
    return sum(
        1
        for red, green, blue in poster.crop(box).get_flattened_data()
        if max(red, green, blue) - min(red, green, blue) > 80
    )


def poster_of(title: str) -> Image.Image:
    png = render_share_poster(None, title, "¥39.90", "菌子小铺", "http://localhost/p")
    return Image.open(io.BytesIO(png)).convert("RGB")


@pytest.fixture
def fresh_fonts():
    """Font look-ups are cached per process; start and end each test with an empty cache."""
    images.emoji_font.cache_clear()
    images._font_has.cache_clear()
    yield
    images.emoji_font.cache_clear()
    images._font_has.cache_clear()


def test_emoji_in_a_title_are_drawn_in_colour(fresh_fonts):
    poster = poster_of(EMOJI_TITLE)
    # The mushroom's red cap and the flame's orange: hundreds of coloured pixels, where a
    # missing glyph ("☒", a dark outline) has none.
    assert coloured_pixels(poster, FIRST_EMOJI_BOX) > 300
    second = (FIRST_EMOJI_BOX[2], FIRST_EMOJI_BOX[1], FIRST_EMOJI_BOX[2] + 70, FIRST_EMOJI_BOX[3])
    assert coloured_pixels(poster, second) > 300
    # The Chinese after them is still drawn by the poster's own face, in ink.
    assert poster_of("🍄🔥 野生菌") != poster_of("🍄🔥 乡村集")


def test_without_the_emoji_font_the_poster_still_renders_and_says_why(
    fresh_fonts, monkeypatch, tmp_path, caplog
):
    monkeypatch.setenv("VM_EMOJI_FONT", str(tmp_path / "NotoColorEmoji.ttf"))
    with caplog.at_level(logging.WARNING, logger="products.images"):
        poster = poster_of(EMOJI_TITLE)
    assert poster.size == POSTER_SIZE
    assert coloured_pixels(poster, FIRST_EMOJI_BOX) == 0  # drawn, but without colour
    assert any("without colour" in record.getMessage() for record in caplog.records)


# --- Sellers of real shops get the same kit ---------------------------------------------------


@pytest.fixture
def exhibitor(app, make_user, make_shop, make_product, login_as):
    user = make_user("exhibitor", language="en")
    shop = make_shop(owner=user, name_zh="菌子小铺", name_en="Mushroom Corner")
    product = make_product(shop=shop, title_zh="🍄 野生菌", title_en="Wild mushrooms")
    draft = make_product(shop=shop, status="draft", title_en="Not yet")
    return SimpleNamespace(
        client=login_as(user),
        shop_slug=shop.slug,
        product=product.id,
        slug=product.slug,
        draft=draft.id,
    )


def test_a_real_shop_shares_its_public_pages(app, exhibitor, client, listing_photo):
    page = exhibitor.client.get("/sell/share?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    public = f"http://localhost/products/{exhibitor.product}-{exhibitor.slug}"
    assert public in html and f"http://localhost/shops/{exhibitor.shop_slug}" in html
    assert "practice" not in html.lower()
    assert re.search(rf'<img src="{poster_url(exhibitor.product)}\?v=\w+"', html)
    assert poster_url(exhibitor.draft) not in html

    poster = exhibitor.client.get(poster_url(exhibitor.product))
    assert poster.status_code == 200 and poster.mimetype == "image/png"
    assert decoded(poster.data) == [public]
    qr = exhibitor.client.get(qr_url(exhibitor.product))
    assert qr.mimetype == "image/png" and decoded(qr.data) == [public]
    # The address in the code is the product's real page, open to anyone.
    assert client.get(public.removeprefix("http://localhost")).status_code == 200
    # A real shop's poster carries no practice mark: its cover corner is the product's photo.
    photo = Image.open(io.BytesIO(next(iter(listing_photo.files.values())))).convert("RGB")
    corner = Image.open(io.BytesIO(poster.data)).convert("RGB").getpixel((100, 90))
    colour = photo.getpixel((8, 8))
    assert all(abs(drawn - shot) <= 12 for drawn, shot in zip(corner, colour, strict=True))


def test_a_draft_has_no_share_pictures_yet(exhibitor):
    for url in (poster_url(exhibitor.draft), qr_url(exhibitor.draft)):
        assert exhibitor.client.get(url).status_code == 404


def test_the_listing_share_box_shows_the_poster_inline(app, exhibitor):
    from flask import render_template_string

    from products.models import Product
    from shop.extensions import db

    with app.test_request_context("/sell/products?lang=zh"):
        published = db.session.get(Product, exhibitor.product)
        draft = db.session.get(Product, exhibitor.draft)
        box = render_template_string('{% include "sellers/_share_kit.html" %}', product=published)
        empty = render_template_string('{% include "sellers/_share_kit.html" %}', product=draft)
    assert re.search(rf'<img src="{poster_url(exhibitor.product)}\?v=\w+"', box)
    assert "长按图片保存" in box
    assert f'href="{qr_url(exhibitor.product)}?v=' in box
    assert "<img" not in empty and "发布" in empty
