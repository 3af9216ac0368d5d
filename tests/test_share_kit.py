"""The share kit at /train/share: QR codes of the preview pages and the PNG share poster."""

import io
import re
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image, ImageChops

from products.images import CJK_FACE, POSTER_SIZE, poster_font, render_share_poster
from shop.training import lessons
from tests.test_training import (
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
    assert f'href="/train/share/posters/{trainee.product_id}.png"' in page
    assert f'src="/train/share/qr/{trainee.product_id}.svg"' in page
    assert 'src="/train/share/qr.svg"' in page
    assert f"/train/share/posters/{draft}.png" not in page and "砀山梨膏" not in page
    assert lessons.SHARE_KIT in done_lessons(app, trainee.user.id)


def test_the_qr_codes_are_svg_of_the_preview_addresses(app, trainee):
    trainee.client.get("/train/share")
    token = shop_of(app, trainee.user.id).preview_token
    shop_qr = trainee.client.get("/train/share/qr.svg")
    product_qr = trainee.client.get(f"/train/share/qr/{trainee.product_id}.svg")
    for response in (shop_qr, product_qr):
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
        assert response.headers["Cache-Control"] == "no-store"
    assert shop_qr.data != product_qr.data
    assert token not in shop_qr.get_data(as_text=True)  # drawn as modules, not written out


def test_the_poster_is_a_png_of_the_exact_size_whose_qr_opens_the_preview(app, trainee, client):
    upload_photos(trainee.client, trainee.product_id, jpeg(1600, 1200, (200, 40, 40)))
    response = trainee.client.get(f"/train/share/posters/{trainee.product_id}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
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
    response = trainee.client.get(f"/train/share/posters/{trainee.product_id}.png")
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
        f"/train/share/posters/{other.product_id}.png",
        f"/train/share/qr/{other.product_id}.svg",
        f"/train/share/posters/{draft}.png",
        "/train/share/posters/999999.png",
    ):
        assert trainee.client.get(url).status_code == 404, url
    # And the other trainee's own poster works for them.
    assert other.client.get(f"/train/share/posters/{other.product_id}.png").status_code == 200


def test_the_poster_needs_a_trainee(client, make_user, login_as, trainee):
    url = f"/train/share/posters/{trainee.product_id}.png"
    assert re.search(r"/login", client.get(url).headers["Location"])
    assert login_as(make_user("customer")).get(url).headers["Location"] == "/train/join"
