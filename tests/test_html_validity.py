"""Every page people use is valid HTML by the Nu HTML Checker (tests/html_check.py).

Public pages and the organizer's in one run; the pages of a buyer, an exhibitor and a trainee
at work (cart, checkout, order, inbox, discounts, checklist, share kit, preview) in another.
"""

from datetime import timedelta

from sqlalchemy import select

from products.models import Discount, Product, ProductStatus, Shop, Variant
from shop.accounts.models import User
from shop.extensions import db
from shop.messages import services as messages
from shop.models_base import utcnow
from shop.orders.models import Order
from tests.html_check import html_errors
from tests.shopping import add_to_cart, buy, orders_of

PAGES = [
    "/",
    "/regions/dangshan",
    "/regions/dangshan?sort=price_asc&category=fresh-fruit",
    "/regions/dege",
    "/regions/cambodia",
    "/categories/crafts",
    "/shops/dangshan-pear-orchard",
    "/products/4-dangshan-crisp-pears",
    "/products/9-dege-yak-jerky",
    "/no-such-page",
]


#: The organizer's pages (not public, but used with keyboards and screen readers too).
ORGANIZER_PAGES = ["/organize/featured", "/organize/products/4/unpublish", "/organize/openings"]


def _both_languages(client, urls, expected=(200,)) -> dict[str, bytes]:
    pages = {}
    for url in urls:
        for language in ("zh", "en"):
            joiner = "&" if "?" in url else "?"
            response = client.get(f"{url}{joiner}lang={language}")
            assert response.status_code in expected, url
            pages[f"{url} ({language})"] = response.data
    return pages


def test_public_and_organizer_pages_have_no_html_errors(seeded, tmp_path, make_user, login_as):
    visitor, organizer = seeded.test_client(), login_as(make_user("organizer"))
    pages = _both_languages(visitor, PAGES, expected=(200, 404))
    pages.update(_both_languages(organizer, ORGANIZER_PAGES))
    assert html_errors(tmp_path, pages) == []


def _running_discount(app, product_id: int) -> None:
    """A live-sale price on the product's first variant, ending in two hours (data set-up)."""
    with app.app_context():
        variant = db.session.scalar(
            select(Variant).where(Variant.product_id == product_id).order_by(Variant.id)
        )
        now = utcnow()
        db.session.add(
            Discount(
                shop_id=variant.product.shop_id,
                name_zh="直播秒杀",
                name_en="Live sale",
                kind="percent",
                percent_off=20,
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(hours=2),
                quantity_cap=30,
                variants=[variant],
            )
        )
        db.session.commit()


def test_the_pages_of_buyers_sellers_and_trainees_have_no_html_errors(
    seeded, tmp_path, make_user, make_shop, make_product, login_as
):
    _running_discount(seeded, 4)
    with seeded.app_context():
        pear = db.session.scalar(select(Variant.id).where(Variant.product_id == 4))
        pear_shop = db.session.scalar(select(Product.shop_id).where(Product.id == 4))
        exhibitor = db.session.get(Shop, pear_shop).owner_id

    buyer = seeded.test_client()
    pages = _both_languages(buyer, ["/products/4-dangshan-crisp-pears"])
    token = buy(buyer, pear)
    (order,) = orders_of(seeded, token)
    with seeded.app_context():
        messages.post_buyer_message(db.session.get(Order, order.id), "能发顺丰吗?", kind="question")
        db.session.commit()
    pages.update(_both_languages(buyer, [f"/orders/{order.number}"]))
    shopper = seeded.test_client()
    shopper.get("/products/4-dangshan-crisp-pears")
    add_to_cart(shopper, pear)
    pages.update(_both_languages(shopper, ["/cart", "/checkout"]))

    with seeded.app_context():
        seller = db.session.get(User, exhibitor)
        db.session.expunge(seller)
    seller_client = login_as(seller)
    pages.update(
        _both_languages(
            seller_client,
            [
                "/sell/",
                "/sell/products",
                "/sell/orders",
                f"/sell/orders/{order.number}",
                "/sell/inbox",
                f"/sell/inbox/{order.number}",
                "/sell/discounts",
                "/sell/discounts/new",
            ],
        )
    )

    trainee = make_user("trainee")
    practice = make_shop(owner=trainee, kind="practice", story_zh="我家在灵寿，种枣三十年。")
    listing = make_product(shop=practice, status=ProductStatus.PUBLISHED)
    trainee_client = login_as(trainee)
    pages.update(
        _both_languages(
            trainee_client,
            ["/train", "/train/share", "/train/reset", "/train/join", "/train/customers"],
        )
    )
    with seeded.app_context():
        preview = db.session.get(Shop, practice.id).preview_token
    assert preview, "opening /train gives the practice shop its private preview link"
    pages.update(
        _both_languages(
            seeded.test_client(),
            [f"/practice/{preview}", f"/practice/{preview}/products/{listing.id}"],
        )
    )
    assert html_errors(tmp_path, pages) == []
