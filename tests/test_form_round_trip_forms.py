"""More edit forms round-trip: submitted unchanged they change nothing; one change changes one thing.

Covers the listing editor's variant rows on awkward values, the organizers' featured board, the
language switcher, the practice and exhibitor shop profile on every optional field, the listing
page's stock and price list, cart quantities and quick replies. Forms are read from the page
(tests/forms.py) and sent as a browser sends them: a textarea's first newline dropped, and line
breaks as CRLF.
"""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from products.models import Product, Region, Shop, ShopKind, Variant
from shop.accounts.models import User
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.messages.models import QuickReply
from tests.forms import form_data, form_on
from tests.test_form_round_trip import _differences, _listing_state, _row

#: The save buttons of the featured board have no name: pressing one (or Enter) sends none.
NAMELESS_SAVE = ("", "")


def _as_browser_sends(data: MultiDict) -> MultiDict:
    """Values as a browser submits them: no leading newline (the HTML parser drops it from a
    textarea), and every line break as CRLF (the form encoding turns LF into CRLF)."""
    return MultiDict(
        (name, re.sub(r"\r?\n", "\r\n", re.sub(r"^\r?\n", "", value)))
        for name, value in data.items(multi=True)
    )


def _send(client, page_url: str, action: str | None = None, changes=None, button=None):
    """GET the page, then POST its form (the one for `action`) as a browser would."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    path = page_url.split("?")[0]
    form = form_on(page.get_data(as_text=True), action or path, path)
    data = _as_browser_sends(form_data(form, changes, button))
    return client.post(form.action or page_url, data=data)


def _detached(user: User) -> User:
    db.session.expunge(user)
    return user


# --- The listing editor's variant rows ---------------------------------------------------------


@pytest.fixture
def awkward_listing(seeded):
    """A demo listing with photos whose variants carry the values easiest to lose or bend: zero
    stock, weight and English spec, no SKU, one fen, a price floats round badly (10.05), the
    largest price a seller may type, and a multi-line description typed elsewhere (CSV, LF)."""
    with seeded.app_context():
        product = db.session.execute(
            select(Product)
            .join(Shop, Product.shop_id == Shop.id)
            .join(Variant, Variant.product_id == Product.id)
            .where(Shop.kind == ShopKind.EXHIBITOR)
            .group_by(Product.id)
            .order_by(func.count(Variant.id).desc(), Product.id)
            .limit(1)
        ).scalar_one()
        assert len(product.variants) >= 2 and product.images
        first, second = product.variants[:2]
        first.stock, first.weight_g, first.spec_en, first.sku = 0, 0, "", None
        first.price_fen = 1
        second.price_fen = 1005
        product.variants.append(
            Variant(
                spec_zh="礼盒 装",
                spec_en="Gift box, large",
                price_fen=9_999_999_999,
                stock=99_999,
                weight_g=25_000,
                sku="GIFT-BOX-L",
                position=len(product.variants),
            )
        )
        product.description_en = "Picked by hand.\nShipped in two days.\n\nKeep cool."
        db.session.commit()
        seller = _detached(db.session.get(User, product.shop.owner_id))
        return product.id, seller


def test_variant_rows_submitted_unchanged_change_nothing(seeded, login_as, awkward_listing):
    product_id, seller = awkward_listing
    client = login_as(seller)
    before = _listing_state(seeded, product_id)
    assert len(before["variants"]) >= 3 and before["images"]
    response = _send(client, f"/sell/products/{product_id}?lang=zh")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert _differences(before, _listing_state(seeded, product_id)) == set()


@pytest.mark.parametrize(
    ("field", "typed", "column", "stored"),
    [
        ("stock", "0", "stock", 0),
        ("weight_g", "1250", "weight_g", 1250),
        ("spec_en", "Family box", "spec_en", "Family box"),
        ("sku", "", "sku", None),
    ],
)
def test_one_change_in_the_second_variant_changes_only_that(
    seeded, login_as, awkward_listing, field, typed, column, stored
):
    product_id, seller = awkward_listing
    client = login_as(seller)
    before = _listing_state(seeded, product_id)
    second = before["variants"][1]["id"]
    response = _send(
        client, f"/sell/products/{product_id}?lang=en", changes={f"v{second}-{field}": typed}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    after = _listing_state(seeded, product_id)
    assert _differences(before, after) == {f"variants[1].{column}"}
    assert after["variants"][1][column] == stored


def test_no_form_of_the_listing_page_posts_to_the_single_variant_or_photo_routes(
    seeded, login_as, awkward_listing
):
    """The page saves variants and photos with its one form; the older per-variant and
    per-photo addresses are not what a seller's browser sends, so round-tripping the page's
    form is round-tripping everything it edits."""
    product_id, seller = awkward_listing
    page = login_as(seller).get(f"/sell/products/{product_id}").get_data(as_text=True)
    actions = set(re.findall(r'<form[^>]*action="([^"]*)"', page))
    assert f"/sell/products/{product_id}" in actions
    assert not [action for action in actions if "/variants" in action or "/photos" in action]


# --- The organizers' featured board ----------------------------------------------------------


def _featured_state(app) -> dict:
    """Every product's columns, and each region's featured products in their shown order."""
    with app.app_context():
        products = db.session.scalars(select(Product).order_by(Product.id)).all()
        order = {}
        for product in sorted(products, key=lambda p: (p.featured_position, p.id)):
            if product.featured:
                order.setdefault(product.region_id, []).append(product.id)
        return {"products": [_row(product) for product in products], "order": order}


@pytest.fixture
def board(seeded):
    """The organizer and the region whose board has the most featured products."""
    with seeded.app_context():
        region = db.session.execute(
            select(Region)
            .join(Product, Product.region_id == Region.id)
            .where(Product.featured.is_(True), Region.coming_soon.is_(False))
            .group_by(Region.id)
            .order_by(func.count(Product.id).desc(), Region.id)
            .limit(1)
        ).scalar_one()
        organizer = db.session.scalar(
            select(User).where(User.email == "organizer@demo.villagemarket.test")
        )
        return region.id, region.slug, _detached(organizer)


def _send_board(client, slug: str, changes=None, button=NAMELESS_SAVE):
    response = _send(
        client, "/organize/featured?lang=zh", f"/organize/featured/{slug}", changes, button
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]


def test_the_featured_board_submitted_unchanged_keeps_the_set_and_order(seeded, login_as, board):
    region_id, slug, organizer = board
    client = login_as(organizer)
    before = _featured_state(seeded)
    assert len(before["order"][region_id]) >= 2
    _send_board(client, slug)
    after = _featured_state(seeded)
    assert after["order"] == before["order"]
    assert _differences({"products": before["products"]}, {"products": after["products"]}) == set()


def test_unticking_one_featured_product_changes_only_that(seeded, login_as, board):
    region_id, slug, organizer = board
    client = login_as(organizer)
    before = _featured_state(seeded)
    dropped = before["order"][region_id][-1]
    page = client.get("/organize/featured").get_data(as_text=True)
    ticked = form_on(page, f"/organize/featured/{slug}").fields
    kept = [value for name, value in ticked if name == "featured" and value != str(dropped)]
    _send_board(client, slug, {"featured": kept})
    after = _featured_state(seeded)
    assert after["order"][region_id] == before["order"][region_id][:-1]
    index = [row["id"] for row in before["products"]].index(dropped)
    assert _differences({"products": before["products"]}, {"products": after["products"]}) == {
        f"products[{index}].featured"
    }


def test_the_down_button_swaps_two_neighbours_and_nothing_else(seeded, login_as, board):
    region_id, slug, organizer = board
    client = login_as(organizer)
    before = _featured_state(seeded)
    first, second, *rest = before["order"][region_id]
    _send_board(client, slug, button=("move", f"down-{first}"))
    after = _featured_state(seeded)
    assert after["order"][region_id] == [second, first, *rest]
    ids = [row["id"] for row in before["products"]]
    assert _differences({"products": before["products"]}, {"products": after["products"]}) == {
        f"products[{ids.index(first)}].featured_position",
        f"products[{ids.index(second)}].featured_position",
    }


def test_a_featured_listing_off_sale_keeps_its_place_through_an_unchanged_save(
    seeded, login_as, board
):
    """A seller takes a featured listing off sale for a while: the board no longer shows it,
    and saving the board untouched must not move the others into its place."""
    region_id, slug, organizer = board
    with seeded.app_context():
        candidates = db.session.scalars(
            select(Product)
            .where(Product.region_id == region_id, Product.status == "published")
            .order_by(Product.featured.desc(), Product.featured_position, Product.id)
            .limit(3)
        ).all()
        assert len(candidates) == 3
        # The middle one has the highest id, so a tie left by renumbering cannot hide a move.
        low, high, middle = sorted(candidates, key=lambda product: product.id)
        for position, product in enumerate((low, middle, high), start=1):
            product.featured, product.featured_position = True, position
        low_id, middle_id, high_id = low.id, middle.id, high.id
        seller = _detached(db.session.get(User, middle.shop.owner_id))
        db.session.commit()
    seller_client = login_as(seller)
    page = seller_client.get(f"/sell/products/{middle_id}").get_data(as_text=True)
    off_sale = form_on(page, f"/sell/products/{middle_id}/unpublish")
    assert seller_client.post(off_sale.action, data=form_data(off_sale)).status_code == 302
    before = _featured_state(seeded)
    assert middle_id in before["order"][region_id]
    _send_board(login_as(organizer), slug)
    after = _featured_state(seeded)
    assert _differences({"products": before["products"]}, {"products": after["products"]}) == set()
    assert after["order"] == before["order"]

    # Swapping the two shown ones leaves the one off sale where it was, tied with none.
    _send_board(login_as(organizer), slug, button=("move", f"down-{low_id}"))
    with seeded.app_context():
        positions = dict(
            db.session.execute(
                select(Product.id, Product.featured_position).where(
                    Product.region_id == region_id, Product.featured.is_(True)
                )
            ).all()
        )
    assert positions[middle_id] == 2
    assert positions[high_id] < positions[low_id]
    assert len(set(positions.values())) == len(positions)


# --- The account: language switcher and password form --------------------------------------


def _user_state(app, user_id: int) -> dict:
    with app.app_context():
        return {"user": _row(db.session.get(User, user_id))}


def test_switching_language_changes_only_the_language_and_switching_back_restores_it(
    app, make_user, login_as
):
    user = make_user("customer", language="zh")
    client = login_as(user)
    before = _user_state(app, user.id)
    response = _send(client, "/account?lang=zh", "/language/en", button=NAMELESS_SAVE)
    assert response.status_code in (302, 303)
    middle = _user_state(app, user.id)
    assert _differences(before, middle) == {"user.language"}
    assert middle["user"]["language"] == "en"
    response = _send(client, "/account", "/language/zh", button=NAMELESS_SAVE)
    assert response.status_code in (302, 303)
    assert _differences(before, _user_state(app, user.id)) == set()


def test_the_password_form_submitted_untouched_changes_nothing(app, make_user, login_as):
    user = make_user("customer")
    client = login_as(user)
    before = _user_state(app, user.id)
    response = _send(client, "/account/password?lang=en")
    assert response.status_code == 200
    assert _differences(before, _user_state(app, user.id)) == set()


# --- The shop profile, practice and exhibitor, every optional field filled --------------------


@pytest.fixture(params=[ShopKind.PRACTICE, ShopKind.EXHIBITOR])
def full_shop(request, app, make_user, make_shop):
    """A shop with every field of its profile filled, multi-line story included."""
    owner = make_user("trainee" if request.param == ShopKind.PRACTICE else "exhibitor")
    shop = make_shop(
        owner=owner,
        kind=request.param,
        name_en="Hill Pears",
        story_zh="我们在山上种梨。\n每年九月采摘。",
        story_en="We grow pears on the hill.\nPicked every September.",
        logo_key="0" * 64,
        contact_phone="13812345678",
        shipping_fee_fen=1005,
        free_shipping_over_fen=0,
        no_shipping_regions="内蒙古,吉林",
        dispatch_days=7,
        preview_token="t" * 40 if request.param == ShopKind.PRACTICE else None,
    )
    return shop.id, owner


def test_the_full_shop_profile_submitted_unchanged_changes_nothing(app, login_as, full_shop):
    shop_id, owner = full_shop
    client = login_as(owner)
    with app.app_context():
        before = {"shop": _row(db.session.get(Shop, shop_id))}
    response = _send(client, "/sell/shop?lang=en")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert _differences(before, {"shop": _row(db.session.get(Shop, shop_id))}) == set()


def test_unticking_a_province_changes_only_the_provinces(app, login_as, full_shop):
    shop_id, owner = full_shop
    client = login_as(owner)
    with app.app_context():
        before = {"shop": _row(db.session.get(Shop, shop_id))}
    response = _send(client, "/sell/shop?lang=zh", changes={"no_shipping_regions": "吉林"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    with app.app_context():
        after = {"shop": _row(db.session.get(Shop, shop_id))}
    assert _differences(before, after) == {"shop.no_shipping_regions"}
    assert after["shop"]["no_shipping_regions"] == "吉林"


# --- The listing page's stock and price list --------------------------------------------------


def _shop_variants(app, shop_id: int) -> dict:
    with app.app_context():
        variants = db.session.scalars(
            select(Variant).join(Product).where(Product.shop_id == shop_id).order_by(Variant.id)
        )
        return {"variants": [_row(variant) for variant in variants]}


def test_the_stock_and_price_list_round_trips(seeded, login_as, awkward_listing):
    product_id, seller = awkward_listing
    with seeded.app_context():
        shop_id = db.session.get(Product, product_id).shop_id
    client = login_as(seller)
    before = _shop_variants(seeded, shop_id)
    response = _send(client, "/sell/products?lang=zh")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert _differences(before, _shop_variants(seeded, shop_id)) == set()

    second = before["variants"][1]
    response = _send(client, "/sell/products?lang=zh", changes={f"stock-{second['id']}": "3"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    after = _shop_variants(seeded, shop_id)
    assert _differences(before, after) == {"variants[1].stock"}
    assert after["variants"][1]["stock"] == 3


# --- Cart quantities --------------------------------------------------------------------------


def test_a_cart_quantity_round_trips(seeded, login_as, make_user):
    customer = make_user("customer")
    with seeded.app_context():
        variants = db.session.scalars(
            select(Variant).where(Variant.stock >= 5).order_by(Variant.id).limit(2)
        ).all()
        cart = Cart(user_id=customer.id)
        cart.lines = [
            CartLine(variant_id=variant.id, quantity=3, price_seen_fen=variant.price_fen)
            for variant in variants
        ]
        db.session.add(cart)
        db.session.commit()
        cart_id, line_ids = cart.id, [line.id for line in cart.lines]

    def state():
        with seeded.app_context():
            lines = db.session.scalars(
                select(CartLine).where(CartLine.cart_id == cart_id).order_by(CartLine.id)
            )
            return {"lines": [_row(line) for line in lines]}

    client = login_as(customer)
    before = state()
    response = _send(client, "/cart?lang=zh", f"/cart/lines/{line_ids[1]}")
    assert response.status_code in (302, 303)
    assert _differences(before, state()) == set()
    response = _send(client, "/cart?lang=zh", f"/cart/lines/{line_ids[1]}", {"quantity": "2"})
    assert response.status_code in (302, 303)
    after = state()
    assert _differences(before, after) == {"lines[1].quantity"}
    assert after["lines"][1]["quantity"] == 2


# --- Quick replies ----------------------------------------------------------------------------


def test_a_quick_reply_round_trips(seeded, login_as, awkward_listing):
    _, seller = awkward_listing
    client = login_as(seller)
    assert client.get("/sell/inbox/quick-replies").status_code == 200  # saves the starter set

    def state():
        with seeded.app_context():
            replies = db.session.scalars(
                select(QuickReply).where(QuickReply.user_id == seller.id).order_by(QuickReply.id)
            )
            return {"replies": [_row(reply) for reply in replies]}

    before = state()
    assert len(before["replies"]) >= 2
    second = before["replies"][1]["id"]
    action = f"/sell/inbox/quick-replies/{second}"
    response = _send(client, "/sell/inbox/quick-replies?lang=zh", action)
    assert response.status_code in (302, 303)
    assert _differences(before, state()) == set()
    response = _send(
        client, "/sell/inbox/quick-replies?lang=zh", action, {f"quick{second}-body": "明天发货。"}
    )
    assert response.status_code in (302, 303)
    after = state()
    assert _differences(before, after) == {"replies[1].body"}
    assert after["replies"][1]["body"] == "明天发货。"
