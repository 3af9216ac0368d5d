"""Opening a shop at /sell and keeping its profile: names, slug, region, story, logo, shipping."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from products.models import Product, Shop
from shop.curation.services import approve_shop
from shop.extensions import db
from tests.forms import submit


def jpeg(width=600, height=600, colour=(40, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def shop_form(region_id, **fields):
    data = {
        "name_zh": "砀山梨园",
        "name_en": "",
        "region": str(region_id),
        "story_zh": "我们家三代人种梨。",
        "story_en": "",
        "contact_phone": "138 1234 5678",
        "shipping_fee": "8",
        "free_shipping_over": "99.9",
    }
    data.update(fields)
    return data


def post_shop(client, changes):
    """Fill in the shop page's form with `changes` and save it."""
    return submit(client, "/sell/shop?lang=en", "/sell/shop", changes)


def shops_of(app, user):
    with app.app_context():
        return db.session.scalars(select(Shop).where(Shop.owner_id == user.id)).all()


@pytest.mark.parametrize(("role", "kind"), [("exhibitor", "exhibitor"), ("trainee", "practice")])
def test_opening_a_shop_gives_the_right_kind(app, make_user, make_region, login_as, role, kind):
    seller = make_user(role)
    client = login_as(seller)
    assert client.get("/sell/products").headers["Location"] == "/sell/shop"
    response = post_shop(client, shop_form(make_region().id))
    assert response.status_code == 302
    assert response.headers["Location"] == "/sell/products/new"
    (shop,) = shops_of(app, seller)
    assert shop.kind == kind
    assert shop.shipping_fee_fen == 800 and shop.free_shipping_over_fen == 9990
    assert shop.contact_phone == "138 1234 5678"


def test_shop_slug_is_pinyin_of_a_chinese_name_and_unique(app, make_user, make_region, login_as):
    region = make_region()
    first, second = make_user("exhibitor"), make_user("exhibitor")
    post_shop(login_as(first), shop_form(region.id, name_zh="砀山梨园"))
    post_shop(login_as(second), shop_form(region.id, name_zh="砀山梨园"))
    assert shops_of(app, first)[0].slug == "dangshan-liyuan"
    assert shops_of(app, second)[0].slug == "dangshan-liyuan-2"


def test_shop_slug_from_an_english_name_is_url_safe(app, make_user, make_region, login_as):
    seller = make_user("exhibitor")
    post_shop(
        login_as(seller),
        shop_form(make_region().id, name_zh="", name_en="Mrs. Li's Jujubes & Millet!"),
    )
    assert shops_of(app, seller)[0].slug == "mrs-li-s-jujubes-millet"


def test_a_shop_needs_a_name_in_one_language(app, make_user, make_region, login_as):
    seller = make_user("exhibitor")
    response = post_shop(login_as(seller), shop_form(make_region().id, name_zh="", name_en=""))
    assert response.status_code == 200
    assert "Give your shop a name" in response.get_data(as_text=True)
    assert shops_of(app, seller) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("shipping_fee", "8.999", "at most two decimals"),
        ("shipping_fee", "-5", "cannot be negative"),
        ("free_shipping_over", "lots", "at most two decimals"),
        ("contact_phone", "call me maybe", "phone number"),
    ],
)
def test_shop_form_explains_bad_money_and_phone(
    app, make_user, make_region, login_as, field, value, message
):
    seller = make_user("exhibitor")
    response = post_shop(login_as(seller), shop_form(make_region().id, **{field: value}))
    assert message in response.get_data(as_text=True)
    assert shops_of(app, seller) == []


def test_one_shop_per_seller(app, make_user, make_shop, make_region, login_as):
    seller = make_user("exhibitor")
    make_shop(owner=seller)
    response = post_shop(login_as(seller), shop_form(make_region().id, name_zh="第二家店"))
    assert response.status_code == 302
    (shop,) = shops_of(app, seller)
    assert shop.name_zh == "第二家店", "the form edits the one shop instead of opening another"


def test_editing_the_profile_keeps_the_slug_and_moves_products_with_the_region(
    app, make_user, make_shop, make_product, make_region, login_as
):
    seller = make_user("exhibitor")
    shop = make_shop(owner=seller, slug="old-slug")
    product = make_product(shop=shop)
    new_region = make_region()
    response = post_shop(
        login_as(seller),
        shop_form(
            new_region.id,
            name_zh="新名字",
            free_shipping_over="",
            no_shipping_regions=["西藏", "新疆"],
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Shop, shop.id)
        assert saved.slug == "old-slug" and saved.name_zh == "新名字"
        assert saved.free_shipping_over_fen is None, "empty means never free"
        assert saved.no_shipping_regions == "西藏,新疆"
        assert db.session.get(Product, product.id).region_id == new_region.id


def test_profile_page_shows_the_saved_values_and_the_masked_phone(make_user, make_shop, login_as):
    seller = make_user("exhibitor")
    make_shop(
        owner=seller,
        contact_phone="13812345678",
        shipping_fee_fen=1250,
        no_shipping_regions="西藏",
    )
    page = login_as(seller).get("/sell/shop?lang=en").get_data(as_text=True)
    assert 'value="12.50"' in page
    assert "138****5678" in page
    assert re.search(r'<input checked[^>]*value="西藏"', page)
    assert not re.search(r'<input checked[^>]*value="新疆"', page)


def test_logo_goes_through_the_photo_pipeline(app, make_user, make_region, login_as):
    seller = make_user("exhibitor")
    client = login_as(seller)
    data = shop_form(make_region().id)
    data["logo"] = (io.BytesIO(jpeg()), "logo.jpg")
    assert post_shop(client, data).status_code == 302
    (shop,) = shops_of(app, seller)
    assert shop.logo_key
    with client.get(f"/media/{shop.logo_key}-thumb.webp") as logo:
        assert logo.status_code == 200 and logo.mimetype == "image/webp"
    assert f"/media/{shop.logo_key}-thumb.webp" in client.get("/sell/shop").get_data(as_text=True)


def test_a_bad_logo_keeps_the_rest_of_the_form(app, make_user, make_region, login_as):
    seller = make_user("exhibitor")
    data = shop_form(make_region().id, story_zh="我们的故事很长很长")
    data["logo"] = (io.BytesIO(b"not a picture at all"), "logo.jpg")
    response = post_shop(login_as(seller), data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a photo we can read" in page
    assert "我们的故事很长很长" in page and 'value="砀山梨园"' in page
    assert shops_of(app, seller) == []


def test_partner_countries_still_to_come_are_not_offered(make_user, make_region, login_as):
    make_region(name_en="Lingshou County")
    make_region(name_en="Cambodia", coming_soon=True)
    page = login_as(make_user("exhibitor")).get("/sell/shop?lang=en").get_data(as_text=True)
    assert "Lingshou County" in page and "Cambodia" not in page


def test_practice_shop_products_never_show_publicly(
    app, make_user, make_shop, make_product, client
):
    practice = make_shop(owner=make_user("trainee"), kind="practice")
    product = make_product(shop=practice, status="published")
    assert client.get(f"/products/{product.id}").status_code == 404


def test_visitors_see_the_contact_phone_masked(app, make_user, make_region, login_as, client):
    seller = make_user("exhibitor")
    post_shop(login_as(seller), shop_form(make_region().id, contact_phone="13812345678"))
    (shop,) = shops_of(app, seller)
    with app.app_context():  # a new exhibitor's shop is public once an organizer approves it
        approve_shop(db.session.get(Shop, shop.id))
        db.session.commit()
    page = client.get(f"/shops/{shop.slug}").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
