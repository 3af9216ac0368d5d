"""Listings at /sell/products: create, edit, variants, photos, publish, archive, delete, bulk edits."""

import io
import os
import re

import pytest
from sqlalchemy import func, select

from products import price_range
from products.models import Category, Product, ProductImage, Variant
from products.services import quality_score
from shop.curation.services import approve_listing
from shop.extensions import db
from shop.orders.models import OrderLine
from tests.forms import form_data, form_on, submit
from tests.helpers import csrf_token, jpeg, new_listing


@pytest.fixture
def seller(app, make_user, make_shop, make_region, login_as):
    """An exhibitor's logged-in client and shop (in Dangshan), and a category."""
    owner = make_user("exhibitor", language="en")
    region = make_region(name_zh="砀山县", name_en="Dangshan County")
    shop = make_shop(owner=owner, region=region)
    with app.app_context():
        category = Category(slug="fresh-fruit", name_zh="鲜果", name_en="Fresh fruit")
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    client = login_as(owner)
    client.shop, client.category_id = shop, category_id
    return client


NEW = "/sell/products/new?lang=en"


def again(client, response, url, changes=None):
    """Send the form the app showed again, as it showed it (typed values, kept photos), changed."""
    path = url.split("?")[0]
    form = form_on(response.get_data(as_text=True), path, path)
    return client.post(form.action or url, data=form_data(form, changes))


def edit(client, product_id, changes=None):
    """Save the listing page's one form (details, variants, photos) with `changes`."""
    url = f"/sell/products/{product_id}"
    return submit(client, f"{url}?lang=en", url, changes)


def act(client, product_id, action):
    """Press one of the listing page's buttons: publish, unpublish, duplicate, archive, delete."""
    url = f"/sell/products/{product_id}"
    return submit(client, url, f"{url}/{action}")


def post_without_form(client, url, data=None, **kwargs):
    """Post to an address that no page shows a form for (nor a button, for this listing).

    The per-variant and per-photo addresses are still served, though the listing page now saves
    all of it with one form; and a delete button hidden from an ordered listing may still be
    pressed from a page opened earlier. Both are posted as a script would.
    """
    token = csrf_token(client.get("/sell/products").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def create(client, **fields):
    return created(submit(client, NEW, changes=new_listing(**fields)))


def created(response) -> int:
    """The id of the listing a save redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/sell/products/(\d+)$", response.headers["Location"]).group(1))


def load(app, product_id):
    with app.app_context():
        product = db.session.get(Product, product_id)
        if product is None:
            return None
        _ = product.variants, product.images, product.region, product.shop
        db.session.expunge(product)
        return product


# --- Creating and editing ------------------------------------------------------------------


def test_a_new_listing_is_a_draft_with_its_first_variant_priced_in_fen(app, seller):
    product = load(
        app, create(seller, tags="礼盒， 地理标志,礼盒", category=str(seller.category_id))
    )
    assert product.status == "draft"
    assert product.shop_id == seller.shop.id and product.region_id == seller.shop.region_id
    assert product.slug == "dangshan-crisp-pears-5-jin"
    assert product.tags == "礼盒,地理标志"
    (variant,) = product.variants
    assert (variant.price_fen, variant.stock, variant.weight_g) == (3990, 20, 2600)
    assert variant.spec_zh == "一箱 5 斤" and variant.sku is None


def test_a_new_listing_with_a_photo_gets_it_as_cover(app, seller):
    product_id = create(seller, photo=(io.BytesIO(jpeg()), "pears.jpg"))
    (image,) = load(app, product_id).images
    assert (image.position, image.width, image.height) == (0, 1200, 900)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "39.999"}, "at most two decimals"),
        ({"price": "0"}, "more than 0"),
        ({"price": ""}, "Enter an amount in yuan"),
        ({"stock": "-1"}, "whole number"),
        ({"stock": "lots"}, "whole number"),
        ({"title_zh": "", "title_en": ""}, "Give the listing a title"),
        ({"spec_zh": "", "spec_en": ""}, "Name the spec"),
        ({"sku": "has spaces"}, "letters, digits"),
    ],
)
def test_a_new_listing_with_a_mistake_keeps_what_was_typed(app, seller, fields, message):
    response = submit(seller, NEW, changes=new_listing(description_zh="甜脆多汁", **fields))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "甜脆多汁" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_a_used_sku_is_refused(app, seller, make_product):
    make_product()  # another shop's product; its variant has a SKU
    with app.app_context():
        taken = db.session.scalar(select(Variant.sku))
    response = submit(seller, NEW, changes=new_listing(sku=taken))
    assert response.status_code == 422
    assert "already used" in response.get_data(as_text=True)


def test_editing_details(app, seller):
    product_id = create(seller)
    response = edit(
        seller,
        product_id,
        {
            "title_zh": "砀山酥梨 10斤装",
            "title_en": "",
            "description_zh": "新描述",
            "description_en": "",
            "category": str(seller.category_id),
            "tags": "gift",
        },
    )
    assert response.status_code == 302
    product = load(app, product_id)
    assert product.title_zh == "砀山酥梨 10斤装" and product.title_en == ""
    assert product.category_id == seller.category_id and product.tags == "gift"
    assert product.slug.startswith("dangshan-suli-10-jin"), "pinyin of the new title"


def test_the_edit_page_shows_the_listing(seller):
    product_id = create(seller)
    page = seller.get(f"/sell/products/{product_id}").get_data(as_text=True)
    assert 'value="39.90"' in page and "Dangshan crisp pears, 5 jin" in page
    assert "Listing quality" in page


# --- Variants ------------------------------------------------------------------------------


# The per-variant addresses, which the listing page's one form replaced (tested further down).


def test_adding_updating_and_removing_variants(app, seller):
    product_id = create(seller)
    add = post_without_form(
        seller,
        f"/sell/products/{product_id}/variants",
        {
            "new-spec_zh": "一箱 10 斤",
            "new-spec_en": "",
            "new-price": "69",
            "new-stock": "3",
            "new-weight_g": "5200",
            "new-sku": "DS-10",
        },
    )
    assert add.status_code == 302
    first, second = load(app, product_id).variants
    assert (second.spec_zh, second.price_fen, second.sku, second.position) == (
        "一箱 10 斤",
        6900,
        "DS-10",
        1,
    )
    prefix = f"v{first.id}-"
    update = post_without_form(
        seller,
        f"/sell/products/{product_id}/variants/{first.id}",
        {
            f"{prefix}spec_zh": "一箱 5 斤",
            f"{prefix}spec_en": "",
            f"{prefix}price": "35.5",
            f"{prefix}stock": "0",
            f"{prefix}weight_g": "2600",
            f"{prefix}sku": "",
        },
    )
    assert update.status_code == 302
    assert load(app, product_id).variants[0].price_fen == 3550
    assert (
        post_without_form(
            seller, f"/sell/products/{product_id}/variants/{second.id}/delete"
        ).status_code
        == 302
    )
    assert [variant.id for variant in load(app, product_id).variants] == [first.id]


def test_a_bad_variant_edit_shows_the_error_and_saves_nothing(app, seller):
    product_id = create(seller)
    (variant,) = load(app, product_id).variants
    prefix = f"v{variant.id}-"
    response = post_without_form(
        seller,
        f"/sell/products/{product_id}/variants/{variant.id}?lang=en",
        {
            f"{prefix}spec_zh": "一箱",
            f"{prefix}price": "abc",
            f"{prefix}stock": "1",
            f"{prefix}weight_g": "1",
        },
    )
    assert response.status_code == 422
    assert "at most two decimals" in response.get_data(as_text=True)
    assert load(app, product_id).variants[0].price_fen == 3990


def test_the_last_variant_of_a_published_listing_stays(app, seller):
    product_id = create(seller)
    act(seller, product_id, "publish")
    (variant,) = load(app, product_id).variants
    response = post_without_form(
        seller, f"/sell/products/{product_id}/variants/{variant.id}/delete"
    )
    assert response.status_code == 302
    assert len(load(app, product_id).variants) == 1
    assert "needs at least one variant" in seller.get(f"/sell/products/{product_id}").get_data(
        as_text=True
    )


# --- Publishing, moderation, archive, duplicate, delete -------------------------------------


def test_publishing_puts_it_on_the_public_site_and_unpublishing_takes_it_off(app, seller, client):
    product_id = create(seller)
    assert client.get(f"/products/{product_id}").status_code == 404
    assert act(seller, product_id, "publish").status_code == 302
    assert load(app, product_id).status == "published"
    # A shop's first listing waits for an organizer before it is public.
    assert client.get(f"/products/{product_id}", follow_redirects=True).status_code == 404
    with app.app_context():
        approve_listing(db.session.get(Product, product_id))
        db.session.commit()
    public = client.get(f"/products/{product_id}", follow_redirects=True)
    assert public.status_code == 200 and "砀山酥梨" in public.get_data(as_text=True)
    edit_page = seller.get(f"/sell/products/{product_id}").get_data(as_text=True)
    assert "See it on the market" in edit_page
    act(seller, product_id, "unpublish")
    assert load(app, product_id).status == "draft"
    assert client.get(f"/products/{product_id}", follow_redirects=True).status_code == 404


def test_a_listing_without_variants_cannot_be_published(app, seller):
    product_id = create(seller)
    (variant,) = load(app, product_id).variants
    post_without_form(seller, f"/sell/products/{product_id}/variants/{variant.id}/delete")
    response = act(seller, product_id, "publish")
    assert response.status_code == 302
    assert load(app, product_id).status == "draft"
    assert "Add at least one variant" in seller.get(f"/sell/products/{product_id}").get_data(
        as_text=True
    )


def test_the_organizers_note_is_shown_and_cleared_on_republishing(app, seller):
    product_id = create(seller)
    with app.app_context():
        product = db.session.get(Product, product_id)
        product.moderation_note = "照片与商品不符"
        db.session.commit()
    for page in ("/sell/products", f"/sell/products/{product_id}"):
        assert "照片与商品不符" in seller.get(page).get_data(as_text=True)
    act(seller, product_id, "publish")
    product = load(app, product_id)
    assert product.status == "published" and product.moderation_note == ""
    assert "照片与商品不符" not in seller.get("/sell/products").get_data(as_text=True)


def test_archiving_hides_the_listing_and_keeps_it(app, seller, client):
    product_id = create(seller)
    act(seller, product_id, "publish")
    assert act(seller, product_id, "archive").status_code == 302
    assert load(app, product_id).status == "archived"
    assert client.get(f"/products/{product_id}", follow_redirects=True).status_code == 404


def test_duplicating_makes_a_draft_copy_without_skus_sharing_photos(app, seller):
    original_id = create(seller, sku="DS-5", photo=(io.BytesIO(jpeg()), "pears.jpg"))
    act(seller, original_id, "publish")
    copy = load(app, created(act(seller, original_id, "duplicate")))
    original = load(app, original_id)
    assert copy.id != original.id and copy.status == "draft"
    assert copy.title_zh == "砀山酥梨 5斤装（副本）" and copy.title_en.endswith("(copy)")
    assert [(v.spec_zh, v.price_fen, v.sku) for v in copy.variants] == [("一箱 5 斤", 3990, None)]
    assert [image.key for image in copy.images] == [image.key for image in original.images]


def test_deleting_a_never_ordered_listing_removes_it_and_its_photo_files(app, seller):
    product_id = create(seller, photo=(io.BytesIO(jpeg()), "pears.jpg"))
    key = load(app, product_id).images[0].key
    assert act(seller, product_id, "delete").status_code == 302
    assert load(app, product_id) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Variant)) == 0
    assert seller.get(f"/media/{key}-thumb.webp").status_code == 404


def test_photo_files_stay_while_a_copy_still_uses_them(app, seller):
    product_id = create(seller, photo=(io.BytesIO(jpeg()), "pears.jpg"))
    act(seller, product_id, "duplicate")
    key = load(app, product_id).images[0].key
    act(seller, product_id, "delete")
    with seller.get(f"/media/{key}-thumb.webp") as response:
        assert response.status_code == 200


def test_an_ordered_listing_cannot_be_deleted_only_archived(app, seller, make_order):
    product_id = create(seller)
    product = load(app, product_id)
    make_order(product.shop, product=product)
    page = seller.get(f"/sell/products/{product_id}").get_data(as_text=True)
    assert f'action="/sell/products/{product_id}/delete"' not in page
    # Pressed anyway, from a page opened before the order came in.
    response = post_without_form(seller, f"/sell/products/{product_id}/delete")
    assert response.status_code == 302
    assert load(app, product_id) is not None
    assert "Archive it" in seller.get(f"/sell/products/{product_id}").get_data(as_text=True)


def test_a_listing_ordered_by_a_buyer_keeps_its_order_history(app, seller, make_order):
    product_id = create(seller)
    product = load(app, product_id)
    order = make_order(product.shop, product=product)
    post_without_form(seller, f"/sell/products/{product_id}/delete")  # a page opened earlier
    with app.app_context():
        assert db.session.get(Product, product_id) is not None
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
        assert line.product_id == product_id


# --- Photos --------------------------------------------------------------------------------


def photo_files(*pictures):
    return [(io.BytesIO(data), f"photo{number}.jpg") for number, data in enumerate(pictures)]


def upload(client, product_id, *pictures):
    """Add photos through the per-photo address (the listing page adds them with its one save)."""
    return post_without_form(
        client, f"/sell/products/{product_id}/photos?lang=en", {"photos": photo_files(*pictures)}
    )


def test_photos_can_be_added_reordered_made_cover_and_removed(app, seller):
    product_id = create(seller)
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    assert (
        upload(seller, product_id, *(jpeg(colour=colour) for colour in colours)).status_code == 302
    )
    red, green, blue = (image.id for image in load(app, product_id).images)
    post_without_form(seller, f"/sell/products/{product_id}/photos/{blue}/cover")
    assert [image.id for image in load(app, product_id).images] == [blue, red, green]
    post_without_form(
        seller, f"/sell/products/{product_id}/photos/{green}/move", {"direction": "earlier"}
    )
    assert [image.id for image in load(app, product_id).images] == [blue, green, red]
    post_without_form(
        seller, f"/sell/products/{product_id}/photos/{blue}/move", {"direction": "later"}
    )
    assert [image.id for image in load(app, product_id).images] == [green, blue, red]
    post_without_form(seller, f"/sell/products/{product_id}/photos/{green}/delete")
    images = load(app, product_id).images
    assert [(image.id, image.position) for image in images] == [(blue, 0), (red, 1)]


def test_a_listing_has_at_most_twelve_photos(app, seller):
    product_id = create(seller)
    pictures = [jpeg(64, 48, (number * 20, 0, 0)) for number in range(12)]
    assert upload(seller, product_id, *pictures).status_code == 302
    response = upload(seller, product_id, jpeg(64, 48, (0, 0, 9)))
    assert response.status_code == 422
    assert "at most 12 photos" in response.get_data(as_text=True)
    assert len(load(app, product_id).images) == 12


def test_one_bad_photo_in_a_batch_adds_none(app, seller):
    product_id = create(seller)
    response = post_without_form(
        seller,
        f"/sell/products/{product_id}/photos?lang=en",
        {"photos": [(io.BytesIO(jpeg()), "good.jpg"), (io.BytesIO(b"nope"), "bad.jpg")]},
    )
    assert response.status_code == 422
    assert "bad.jpg is not a photo we can read" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProductImage)) == 0
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == [], "the good photo's files are removed again"


# --- The list page: filters, bulk stock and price, quality ----------------------------------


def test_the_list_filters_by_status_and_stock(app, seller):
    sold_out = create(seller, title_zh="砀山梨膏", title_en="Pear syrup", stock="0")
    low = create(seller, title_zh="砀山黄桃罐头", title_en="Yellow peaches", stock="3")
    plenty = create(seller, title_zh="砀山酥梨", title_en="Crisp pears", stock="50")
    act(seller, plenty, "publish")

    def titles(query):
        page = seller.get(f"/sell/products?lang=en&{query}").get_data(as_text=True)
        return {title for title in ("Pear syrup", "Yellow peaches", "Crisp pears") if title in page}

    assert titles("") == {"Pear syrup", "Yellow peaches", "Crisp pears"}
    assert titles("status=published") == {"Crisp pears"}
    assert titles("status=draft") == {"Pear syrup", "Yellow peaches"}
    assert titles("stock=out") == {"Pear syrup"}
    assert titles("stock=low") == {"Yellow peaches"}
    assert titles("stock=in") == {"Yellow peaches", "Crisp pears"}
    assert sold_out and low


def test_bulk_stock_and_price_edit_saves_every_row(app, seller):
    first, second = create(seller), create(seller, title_en="Second")
    (a,), (b,) = load(app, first).variants, load(app, second).variants
    response = submit(
        seller,
        "/sell/products",
        changes={
            f"price-{a.id}": "45",
            f"stock-{a.id}": "7",
            f"price-{b.id}": "12.5",
            f"stock-{b.id}": "0",
        },
    )
    assert response.status_code == 302
    assert (load(app, first).variants[0].price_fen, load(app, first).variants[0].stock) == (4500, 7)
    assert (load(app, second).variants[0].price_fen, load(app, second).variants[0].stock) == (
        1250,
        0,
    )


def test_bulk_edit_with_one_bad_value_saves_nothing_and_keeps_the_input(app, seller):
    first, second = create(seller), create(seller, title_en="Second")
    (a,), (b,) = load(app, first).variants, load(app, second).variants
    response = submit(
        seller,
        "/sell/products?lang=en",
        "/sell/products",
        {
            f"price-{a.id}": "45",
            f"stock-{a.id}": "7",
            f"price-{b.id}": "12.345",
            f"stock-{b.id}": "-2",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="12.345"' in page and 'value="-2"' in page and "Nothing was saved" in page
    assert load(app, first).variants[0].price_fen == 3990


def test_quality_score_and_its_tips_are_shown_beside_each_listing(app, seller):
    create(seller, description_zh="", category="0")
    page = seller.get("/sell/products?lang=en").get_data(as_text=True)
    score = re.search(r"Listing quality: (\d+)/100", page)
    assert score and int(score.group(1)) < 100
    for tip in (
        "Add at least 3 photos",
        "at least 800 pixels wide",
        "Describe the product in at least 50",
        "Choose a category",
    ):
        assert tip in page


def test_a_complete_listing_scores_100(app, seller):
    product_id = create(
        seller,
        category=str(seller.category_id),
        description_zh="砀山酥梨皮薄多汁，甜脆爽口。" * 5,
    )
    pictures = jpeg(1200, 900, (1, 1, 1)), jpeg(1000, 800, (2, 2, 2)), jpeg(640, 480, (3, 3, 3))
    assert edit(seller, product_id, {"photos": photo_files(*pictures)}).status_code == 302
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert quality_score(product).score == 100
        assert quality_score(product).tips == ()


@pytest.mark.parametrize(
    ("title_zh", "title_en", "good"),
    [
        ("砀山酥梨 5斤装", "", True),
        ("", "Dangshan crisp pears", True),
        ("新鲜酥梨 5斤装", "", False),  # no origin
        ("砀山县", "", False),  # only the origin, no product
        ("砀山梨", "", False),  # fewer than 6 characters
        ("砀山酥梨" * 20, "", False),  # more than 60
    ],
)
def test_the_title_tip_wants_product_and_origin(app, seller, title_zh, title_en, good):
    product_id = create(seller, title_zh=title_zh or "", title_en=title_en or "")
    with app.app_context():
        product = db.session.get(Product, product_id)
        tips = " ".join(quality_score(product).tips)
    assert ("names the product and where it comes from" not in tips) is good


def test_saving_details_without_touching_the_titles_keeps_the_address(app, seller, make_product):
    product = make_product(
        shop=seller.shop, slug="lingshou-walnuts", title_zh="灵寿核桃", title_en="Walnuts"
    )
    response = edit(
        seller,
        product.id,
        {
            "title_zh": "灵寿核桃",
            "title_en": "Walnuts",
            "description_zh": "新的描述",
            "category": "0",
            "tags": "",
        },
    )
    assert response.status_code == 302
    assert load(app, product.id).slug == "lingshou-walnuts"


def test_the_list_page_costs_the_same_queries_for_2_or_12_listings(
    app, count_queries, seller, make_product
):
    def queries_for_list_page() -> int:
        return count_queries(seller, "/sell/products")

    for _ in range(2):
        make_product(shop=seller.shop)
    queries_for_list_page()  # a worker's first page also fetches the header's lists once
    few = queries_for_list_page()
    for _ in range(10):
        make_product(shop=seller.shop)
    assert queries_for_list_page() == few


# --- One form for the whole listing: round trips, kept photos, price checks ----------------


def listing_form(client, product_id) -> dict[str, str]:
    """The listing page's one form as a browser would submit it untouched."""
    url = f"/sell/products/{product_id}"
    return dict(form_on(client.get(url).get_data(as_text=True), url).fields)


def snapshot(app, product_id):
    """Everything a seller can set on a listing, to compare before and after a save."""
    product = load(app, product_id)
    return {
        "details": (
            product.title_zh,
            product.title_en,
            product.description_zh,
            product.description_en,
            product.category_id,
            product.tags,
            product.slug,
        ),
        "variants": [
            (v.id, v.spec_zh, v.spec_en, v.price_fen, v.stock, v.weight_g, v.sku)
            for v in product.variants
        ],
        "photos": [(image.id, image.position) for image in product.images],
    }


def full_listing(app, seller):
    """A listing with every field filled, two variants and two photos."""
    product_id = create(
        seller,
        category=str(seller.category_id),
        description_zh="皮薄多汁，清甜爽口。",
        description_en="Thin skin, juicy.",
        tags="礼盒,gift",
        sku="DS-5",
    )
    changes = {"new-spec_zh": "一箱 10 斤", "new-price": "69", "new-stock": "3"}
    changes.update({"new-weight_g": "5200", "new-sku": "DS-10"})
    assert edit(seller, product_id, changes).status_code == 302
    photos = photo_files(jpeg(colour=(200, 0, 0)), jpeg(colour=(0, 0, 200)))
    assert edit(seller, product_id, {"photos": photos}).status_code == 302
    return product_id


def test_the_listing_page_preselects_the_saved_category(app, seller):
    product_id = create(seller, category=str(seller.category_id))
    assert listing_form(seller, product_id)["category"] == str(seller.category_id)


def test_saving_the_untouched_listing_page_changes_nothing(app, seller):
    product_id = full_listing(app, seller)
    before = snapshot(app, product_id)
    assert edit(seller, product_id).status_code == 302
    assert snapshot(app, product_id) == before


def test_changing_the_title_alone_changes_nothing_else(app, seller):
    product_id = full_listing(app, seller)
    before = snapshot(app, product_id)
    assert edit(seller, product_id, {"title_en": "Dangshan pears, picked ripe"}).status_code == 302
    after = snapshot(app, product_id)
    assert after["details"][1] == "Dangshan pears, picked ripe"
    assert after["details"][4] == seller.category_id, "the category stays"
    assert (
        after["details"][:1] + after["details"][2:6]
        == before["details"][:1] + before["details"][2:6]
    )
    assert after["variants"] == before["variants"] and after["photos"] == before["photos"]


def test_one_save_keeps_the_title_a_variant_price_and_the_photo_order(app, seller):
    product_id = full_listing(app, seller)
    first, second = load(app, product_id).variants
    red, blue = (image.id for image in load(app, product_id).images)
    changes = {"title_zh": "砀山酥梨 精选", f"v{first.id}-price": "35.5"}
    changes.update({f"photo_place-{blue}": "1", f"photo_place-{red}": "2"})
    assert edit(seller, product_id, changes).status_code == 302
    product = load(app, product_id)
    assert product.title_zh == "砀山酥梨 精选"
    assert [v.price_fen for v in product.variants] == [3550, 6900]
    assert [image.id for image in product.images] == [blue, red]


def test_a_mistake_anywhere_saves_nothing_and_keeps_everything_typed(app, seller):
    product_id = full_listing(app, seller)
    before = snapshot(app, product_id)
    first, _second = load(app, product_id).variants
    response = edit(seller, product_id, {"title_zh": "砀山酥梨 精选", f"v{first.id}-price": "abc"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "砀山酥梨 精选" in page and 'value="abc"' in page
    assert page.count("at most two decimals") == 1
    assert snapshot(app, product_id) == before


def test_variants_and_photos_are_removed_with_the_one_save(app, seller):
    product_id = full_listing(app, seller)
    _first, second = load(app, product_id).variants
    red, blue = (image.id for image in load(app, product_id).images)
    changes = {"remove_variant": second.id, "remove_photo": red}
    assert edit(seller, product_id, changes).status_code == 302
    product = load(app, product_id)
    assert len(product.variants) == 1 and [(i.id, i.position) for i in product.images] == [
        (blue, 0)
    ]


def pending_tokens(page: str) -> list[str]:
    return re.findall(r'name="pending_photo" value="([^"]+)"', page)


def test_a_photo_chosen_with_a_price_error_is_kept_for_the_next_try(app, seller):
    photo = (io.BytesIO(jpeg()), "pears.jpg")
    response = submit(seller, NEW, changes=new_listing(price="39.999", photo=photo))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "uploaded and kept" in page
    tokens = pending_tokens(page)
    assert len(tokens) == 1
    # A second failed try: the photo is still kept and the old message does not pile up.
    second = again(seller, response, NEW, {"price": "x"})
    page = second.get_data(as_text=True)
    assert second.status_code == 422 and pending_tokens(page) == tokens
    assert page.count("at most two decimals") == 1
    product_id = created(again(seller, second, NEW, {"price": "39.9"}))
    (image,) = load(app, product_id).images
    assert (image.width, image.height) == (1200, 900)


def test_a_forged_or_another_shops_photo_token_is_ignored(
    app, seller, make_user, make_shop, login_as
):
    def kept(client):
        """The page sent back with a chosen photo kept (the price was left empty)."""
        photo = (io.BytesIO(jpeg()), "pears.jpg")
        return submit(client, NEW, changes=new_listing(price="", photo=photo))

    mine = kept(seller)
    (token,) = pending_tokens(mine.get_data(as_text=True))
    forged = again(seller, mine, NEW, {"price": "39.9", "pending_photo": token[:-2] + "xx"})
    assert load(app, created(forged)).images == []
    neighbour = make_user("exhibitor", language="en")
    make_shop(owner=neighbour)
    other = login_as(neighbour)
    # The neighbour's own kept photo swapped, in the hidden field, for the seller's token.
    stolen = again(other, kept(other), NEW, {"price": "39.9", "pending_photo": token})
    assert load(app, created(stolen)).images == []


def test_an_amount_with_too_many_digits_is_called_too_large(app, seller):
    response = submit(seller, NEW, changes=new_listing(price="99999999999"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "too large" in page and "at most two decimals" not in page


@pytest.fixture
def fruit_prices(app, seller, make_shop, make_product):
    """Five public listings of fresh fruit at ¥30 to ¥50 a box, each also sold as two boxes at
    ¥60 to ¥100: ten prices, median ¥55, so the usual range is ¥11 to ¥275."""
    shop = make_shop()
    for yuan in (30, 35, 40, 45, 50):
        make_product(shop=shop, price_fen=yuan * 100, category_id=seller.category_id)


def test_the_usual_range_comes_from_public_prices(app, seller, fruit_prices):
    with app.app_context():
        assert price_range.usual_range(seller.category_id) == (1100, 27500)
        assert price_range.is_far_from_usual(seller.category_id, 999_999_999)
        assert not price_range.is_far_from_usual(seller.category_id, 3990)


def test_a_category_with_few_prices_has_no_usual_range(app, seller, make_product):
    make_product(category_id=seller.category_id)
    with app.app_context():
        assert price_range.usual_range(seller.category_id) is None
        assert not price_range.is_far_from_usual(seller.category_id, 999_999_999)


def test_a_price_far_from_usual_asks_for_confirmation_and_keeps_the_form(app, seller, fruit_prices):
    data = new_listing(price="¥9,999,999.99", category=str(seller.category_id), description_zh="甜")
    response = submit(seller, NEW, changes=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "far from the usual ¥11.00 to ¥275.00" in page
    assert 'name="confirm_prices"' in page and "甜" in page
    product_id = created(again(seller, response, NEW, {"confirm_prices": "y"}))
    assert load(app, product_id).variants[0].price_fen == 999_999_999


def test_an_edited_price_far_from_usual_needs_confirming(app, seller, fruit_prices):
    product_id = create(seller, category=str(seller.category_id))
    (variant,) = load(app, product_id).variants
    response = edit(seller, product_id, {f"v{variant.id}-price": "9999999.99"})
    assert response.status_code == 422
    assert load(app, product_id).variants[0].price_fen == 3990
    url = f"/sell/products/{product_id}"
    assert again(seller, response, url, {"confirm_prices": "y"}).status_code == 302
    assert load(app, product_id).variants[0].price_fen == 999_999_999


def test_photos_added_with_a_mistake_on_the_listing_page_are_kept(app, seller):
    product_id = create(seller)
    (variant,) = load(app, product_id).variants
    response = edit(
        seller,
        product_id,
        {f"v{variant.id}-price": "0", "photos": [(io.BytesIO(jpeg()), "pears.jpg")]},
    )
    assert response.status_code == 422
    tokens = pending_tokens(response.get_data(as_text=True))
    assert len(tokens) == 1 and load(app, product_id).images == []
    url = f"/sell/products/{product_id}"
    assert again(seller, response, url, {f"v{variant.id}-price": "42"}).status_code == 302
    product = load(app, product_id)
    assert product.variants[0].price_fen == 4200 and len(product.images) == 1
