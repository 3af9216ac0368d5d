"""Edit forms round-trip: submitted unchanged they change nothing; one change changes one thing.

Each form is read from the page as a browser would (tests/forms.py) on demo rows that have every
optional field filled (category, tags, descriptions in both languages, several variants, photos),
so a field the page forgets to render or the view forgets to read shows up as a lost value.
"""

import pytest
from sqlalchemy import func, select

from products.models import Product, ProductImage, Shop, ShopKind, Variant
from shop.accounts.models import User
from shop.extensions import db
from tests.forms import form_on, submit

#: Columns a save may touch without the seller having changed anything they see (the search
#: words are derived from what they typed).
BOOKKEEPING = {"updated_at", "search_document"}


def _row(obj) -> dict:
    return {
        column.key: getattr(obj, column.key)
        for column in obj.__table__.columns
        if column.key not in BOOKKEEPING
    }


def _listing_state(app, product_id: int) -> dict:
    """Every column of the product, its variants and its photos."""
    with app.app_context():
        product = db.session.get(Product, product_id)
        variants = db.session.scalars(
            select(Variant).where(Variant.product_id == product_id).order_by(Variant.id)
        )
        images = db.session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id == product_id)
            .order_by(ProductImage.id)
        )
        return {
            "product": _row(product),
            "variants": [_row(variant) for variant in variants],
            "images": [_row(image) for image in images],
        }


def _differences(before: dict, after: dict) -> set[str]:
    changed = set()
    for part in before:
        old, new = before[part], after[part]
        if isinstance(old, list):
            assert len(old) == len(new), f"{part}: {len(old)} rows became {len(new)}"
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                changed |= {f"{part}[{index}].{key}" for key in a if a[key] != b[key]}
        else:
            changed |= {f"{part}.{key}" for key in old if old[key] != new[key]}
    return changed


@pytest.fixture
def richest_listing(seeded):
    """The demo exhibitor's listing with the most variants and photos, and its seller."""
    with seeded.app_context():
        product = db.session.execute(
            select(Product)
            .join(Shop, Product.shop_id == Shop.id)
            .join(Variant, Variant.product_id == Product.id)
            .where(
                Shop.kind == ShopKind.EXHIBITOR,
                Product.category_id.is_not(None),
                Product.tags != "",
                Product.description_en != "",
            )
            .group_by(Product.id)
            .order_by(func.count(Variant.id).desc(), Product.id)
            .limit(1)
        ).scalar_one()
        seller = db.session.get(User, product.shop.owner_id)
        db.session.expunge(seller)
        assert len(product.variants) >= 2 and product.images, "the demo listing is rich"
        return product.id, seller


def test_the_listing_form_submitted_unchanged_changes_nothing(seeded, login_as, richest_listing):
    product_id, seller = richest_listing
    client = login_as(seller)
    before = _listing_state(seeded, product_id)
    response = submit(client, f"/sell/products/{product_id}?lang=zh")
    assert response.status_code in (200, 302, 303)
    assert _differences(before, _listing_state(seeded, product_id)) == set()


def test_one_change_in_the_listing_form_changes_only_that(seeded, login_as, richest_listing):
    product_id, seller = richest_listing
    client = login_as(seller)
    before = _listing_state(seeded, product_id)
    page = client.get(f"/sell/products/{product_id}?lang=zh").get_data(as_text=True)
    form = form_on(page, f"/sell/products/{product_id}")
    second = before["variants"][1]["id"]
    price_field = next(name for name in form.names if name.endswith(f"{second}-price"))
    response = submit(
        client,
        f"/sell/products/{product_id}?lang=zh",
        changes={"title_en": "Crisp pears, picked this week", price_field: "58.80"},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    after = _listing_state(seeded, product_id)
    # The address follows the English title; the old address still leads to the listing.
    assert _differences(before, after) == {
        "product.title_en",
        "product.slug",
        "variants[1].price_fen",
    }
    assert after["product"]["title_en"] == "Crisp pears, picked this week"
    assert after["variants"][1]["price_fen"] == 5880


def _shop_state(app, shop_id: int) -> dict:
    with app.app_context():
        return {"shop": _row(db.session.get(Shop, shop_id))}


@pytest.fixture
def exhibitor_shop(seeded):
    with seeded.app_context():
        shop = db.session.scalar(
            select(Shop).where(Shop.kind == ShopKind.EXHIBITOR).order_by(Shop.id).limit(1)
        )
        seller = db.session.get(User, shop.owner_id)
        db.session.expunge(seller)
        return shop.id, seller


def test_the_shop_profile_submitted_unchanged_changes_nothing(seeded, login_as, exhibitor_shop):
    shop_id, seller = exhibitor_shop
    client = login_as(seller)
    before = _shop_state(seeded, shop_id)
    response = submit(client, "/sell/shop?lang=zh")
    assert response.status_code in (200, 302, 303)
    assert _differences(before, _shop_state(seeded, shop_id)) == set()


def test_one_change_in_the_shop_profile_changes_only_that(seeded, login_as, exhibitor_shop):
    shop_id, seller = exhibitor_shop
    client = login_as(seller)
    before = _shop_state(seeded, shop_id)
    response = submit(client, "/sell/shop?lang=zh", changes={"name_en": "Pear Orchard Co-op"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    after = _shop_state(seeded, shop_id)
    assert _differences(before, after) == {"shop.name_en"}
    assert after["shop"]["name_en"] == "Pear Orchard Co-op"


def test_a_field_the_form_does_not_have_fails_the_test_that_posts_it(
    seeded, login_as, exhibitor_shop
):
    _, seller = exhibitor_shop
    client = login_as(seller)
    with pytest.raises(AssertionError, match="has no field 'owner_id'"):
        submit(client, "/sell/shop?lang=zh", changes={"owner_id": "1"})
