"""A practice shop never leaks into the real market: no public page, feed, API answer, search
result, cart or exhibitor figure shows its listings or orders."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from products.models import Category, Product, Region, Shop
from shop.accounts.models import User
from shop.extensions import db
from tests.helpers import (
    create_listing,
    first_variant_id,
    open_shop,
    place_practice_order,
    publish,
    shop_of,
)
from tests.shopping import add_to_cart, buy, orders_of, variant_id

#: A word in the practice listing that nothing in the demo catalogue contains.
MARK = "zyxwv"


@pytest.fixture
def practice(seeded, make_user, login_as):
    """A trainee's published practice listing in Dangshan, featured even, with a paid order."""
    app = seeded
    with app.app_context():
        region_id = db.session.scalar(select(Region.id).where(Region.slug == "dangshan"))
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "fresh-fruit"))
    user = make_user("trainee", language="en")
    client = login_as(user)
    assert open_shop(client, region_id, name_zh="练习梨园", name_en=f"Practice {MARK}").status_code
    product_id = create_listing(
        client,
        title_zh=f"砀山酥梨 练习款 {MARK}",
        title_en=f"Dangshan practice pears {MARK}",
        description_zh=f"练习用的梨 {MARK}",
        category=str(category_id),
    )
    publish(client, product_id)
    shop = shop_of(app, user.id)
    with app.app_context():
        # Even marked featured (which no organizer page allows), it must stay out of sight.
        db.session.execute(update(Product).where(Product.id == product_id).values(featured=True))
        db.session.commit()
        slug = db.session.get(Product, product_id).slug
    order_number = place_practice_order(app, shop.id, first_variant_id(app, product_id))
    return SimpleNamespace(
        app=app, client=client, shop=shop, product_id=product_id, slug=slug, number=order_number
    )


def _shows_nothing_of(body: str, practice, searched: str = "") -> None:
    """Not the listing's words (except those the visitor typed), address, or shop."""
    for words in (MARK, "练习款", "dangshan practice pears", "练习梨园"):
        if words not in searched:
            assert words not in body.lower(), words
    assert f"/products/{practice.product_id}-" not in body
    assert practice.shop.slug not in body
    assert "/practice/" not in body


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/regions/dangshan",
        "/regions/dangshan?sort=newest",
        "/regions/dangshan?category=fresh-fruit&sort=newest",
        "/categories/fresh-fruit?sort=newest",
        "/search?q=" + MARK,
        "/search?q=练习款",
        "/search?q=酥梨&sort=newest",
        "/sitemap.xml",
        "/robots.txt",
    ],
)
def test_no_public_page_shows_a_practice_listing(practice, url):
    visitor = practice.app.test_client()
    response = visitor.get(url + ("&" if "?" in url else "?") + "lang=en")
    assert response.status_code == 200
    _shows_nothing_of(response.get_data(as_text=True), practice, searched=url)


def test_the_practice_shop_and_listing_have_no_public_address(practice):
    visitor = practice.app.test_client()
    for url in (
        f"/shops/{practice.shop.slug}",
        f"/products/{practice.product_id}",
        f"/products/{practice.product_id}-{practice.slug}",
        f"/products/{practice.product_id}/qr.svg",
    ):
        assert visitor.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/regions",
        "/api/v1/regions/dangshan",
        "/api/v1/products?region=dangshan&per_page=60",
        "/api/v1/products?category=fresh-fruit&sort=newest&per_page=60",
        "/api/v1/search?q=" + MARK,
        "/api/v1/search?q=酥梨",
    ],
)
def test_the_api_never_answers_with_a_practice_listing(practice, url):
    response = practice.app.test_client().get(url)
    assert response.status_code == 200
    _shows_nothing_of(response.get_data(as_text=True), practice, searched=url)


def test_the_api_has_no_practice_product_or_shop(practice):
    api = practice.app.test_client()
    assert api.get(f"/api/v1/products/{practice.product_id}").status_code == 404
    assert api.get(f"/api/v1/shops/{practice.shop.slug}").status_code == 404
    assert api.get(f"/api/v1/products?shop={practice.shop.slug}").status_code == 404
    assert api.get("/api/v1/search", query_string={"q": MARK}).get_json()["total"] == 0


def test_a_practice_listing_cannot_go_in_a_real_cart(practice):
    shopper = practice.app.test_client()
    response = add_to_cart(
        shopper, first_variant_id(practice.app, practice.product_id), 1, lang="en"
    )
    assert response.status_code == 302
    cart = shopper.get("/cart?lang=en").get_data(as_text=True)
    assert "not for sale" in cart
    assert MARK not in cart.lower()


def test_practice_orders_never_count_for_an_exhibitor(practice, make_user, login_as):
    app = practice.app
    with app.app_context():
        exhibitor_shop = db.session.scalar(select(Shop).where(Shop.slug == "dangshan-pear-orchard"))
        owner = db.session.get(User, exhibitor_shop.owner_id)
        real_product = db.session.scalar(
            select(Product).where(Product.shop_id == exhibitor_shop.id).order_by(Product.id)
        )
        db.session.expunge_all()
    real_order = orders_of(app, buy(app.test_client(), variant_id(app, real_product)))[0]
    seller = login_as(owner)
    orders_page = seller.get("/sell/orders?lang=en").get_data(as_text=True)
    assert real_order.number in orders_page
    assert practice.number not in orders_page
    assert seller.get(f"/sell/orders/{practice.number}").status_code == 404
    export = seller.get("/sell/orders/export.csv").get_data(as_text=True)
    assert real_order.number in export and practice.number not in export
    organizer = login_as(make_user("organizer", language="en"))
    featured = organizer.get("/organize/featured?lang=en").get_data(as_text=True)
    _shows_nothing_of(featured, practice)
    assert organizer.get(f"/organize/products/{practice.product_id}/unpublish").status_code == 404


def test_the_trainee_sees_their_practice_order_marked(practice):
    page = practice.client.get("/sell/orders?lang=en").get_data(as_text=True)
    assert practice.number in page and "Practice" in page


def _catalogue_version(app) -> int:
    from products.cache import VERSION_QUERY, VERSION_ROW

    with app.app_context():
        return db.session.scalar(VERSION_QUERY, {"id": VERSION_ROW}) or 0


def test_practice_shops_opening_and_editing_leave_the_storefront_cache_alone(
    app, make_user, make_region, login_as
):
    """A class of trainees editing their shops must not empty every visitor's cached pages."""
    region = make_region()
    trainee = login_as(make_user("trainee"))
    before = _catalogue_version(app)
    assert open_shop(trainee, region.id).status_code == 302
    assert _catalogue_version(app) == before
    with app.app_context():
        shop = db.session.scalar(select(Shop).where(Shop.kind == "practice"))
        assert shop.preview_token  # made with the shop: no page view has to write it later
        shop.story_zh = "我们家的枣园在太行山下。"
        db.session.commit()
        shop_id = shop.id
    assert _catalogue_version(app) == before
    with app.app_context():
        db.session.execute(update(Shop).where(Shop.id == shop_id).values(name_en="Renamed"))
        db.session.commit()
    # A bulk statement on the shop table is counted the safe way (it could be any shop).
    assert _catalogue_version(app) > before
