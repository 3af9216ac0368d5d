"""Organizers choose each region's featured products and their order, and unpublish listings."""

import pytest
from flask import Blueprint
from sqlalchemy import select

from products.models import Product
from shop.extensions import db
from tests.forms import submit
from tests.shopping import form_token


def _region_featured(app, slug="dangshan"):
    from products.models import Region

    with app.app_context():
        return [
            (product.slug, product.featured_position)
            for product in db.session.scalars(
                select(Product)
                .join(Region, Product.region_id == Region.id)
                .where(Region.slug == slug, Product.featured.is_(True))
                .order_by(Product.featured_position)
            )
        ]


def _ids(app, *slugs):
    with app.app_context():
        return [db.session.scalar(select(Product.id).where(Product.slug == slug)) for slug in slugs]


@pytest.fixture
def organizer(seeded, make_user, login_as):
    return login_as(make_user("organizer"))


def arrange(organizer, changes, **kwargs):
    """Save Dangshan's board on the featured page with `changes` (its other cards as shown)."""
    organizer.set_cookie("lang", "en")  # the board posts to its address without ?lang=
    return submit(
        organizer, "/organize/featured?lang=en", "/organize/featured/dangshan", changes, **kwargs
    )


@pytest.mark.parametrize("role", ["customer", "trainee", "exhibitor", "trainer"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/organize/featured"),
        ("post", "/organize/featured/dangshan"),
        ("get", "/organize/products/4/unpublish"),
        ("post", "/organize/products/4/unpublish"),
        ("get", "/organize/unpublish?product=4"),
    ],
)
def test_only_organizers_reach_curation(seeded, make_user, login_as, role, method, path):
    client = login_as(make_user(role))
    # A valid token of this visitor's own session: the refusal must come from the role check.
    response = getattr(client, method)(
        path,
        data={"reason": "x", "featured": ["4"], "shown": ["4"], "csrf_token": form_token(client)},
    )
    assert response.status_code == 403
    assert _region_featured(seeded)[0][0] == "dangshan-crisp-pears"


def test_anonymous_visitors_are_sent_to_log_in(seeded):
    if "accounts.login" not in seeded.view_functions:
        # The log-in page belongs to the accounts blueprint; stand in for it when absent.
        stand_in = Blueprint("accounts", __name__)
        stand_in.add_url_rule("/login", "login", lambda: "log in")
        seeded.register_blueprint(stand_in)
    response = seeded.test_client().get("/organize/featured")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_featured_page_lists_each_region_with_its_featured_products(organizer):
    page = organizer.get("/organize/featured?lang=en").get_data(as_text=True)
    assert "Dangshan County" in page and "Dege County" in page
    assert "Cambodia" not in page
    assert page.index("Dangshan crisp pears") < page.index("Dangshan pear syrup")


def test_reordering_and_adding_featured_products_shows_on_the_home_page_at_once(seeded, organizer):
    client = seeded.test_client()
    before = client.get("/?lang=en").get_data(as_text=True)
    assert "Dangshan canned yellow peaches" not in before
    pears, syrup, peaches = _ids(
        seeded, "dangshan-crisp-pears", "dangshan-pear-syrup", "dangshan-yellow-peaches"
    )
    response = arrange(
        organizer,
        {
            "featured": [pears, syrup],
            f"position-{pears}": "5",
            f"position-{syrup}": "1",
            "add": f"/products/{peaches}-dangshan-yellow-peaches",
        },
    )
    assert response.status_code == 302
    assert _region_featured(seeded) == [
        ("dangshan-pear-syrup", 1),
        ("dangshan-crisp-pears", 2),
        ("dangshan-yellow-peaches", 3),
    ]
    after = client.get("/?lang=en").get_data(as_text=True)
    section = after[after.index('id="region-dangshan"') : after.index('id="region-dege"')]
    assert (
        section.index("Dangshan pear syrup")
        < section.index("Dangshan crisp pears")
        < section.index("Dangshan canned yellow peaches")
    )
    assert "Featured products of Dangshan County saved." in organizer.get(
        "/organize/featured?lang=en"
    ).get_data(as_text=True)


def test_unticking_a_product_removes_it_from_the_home_page(seeded, organizer):
    pears, syrup = _ids(seeded, "dangshan-crisp-pears", "dangshan-pear-syrup")
    arrange(organizer, {"featured": [syrup], f"position-{syrup}": "1"})
    home = seeded.test_client().get("/?lang=en").get_data(as_text=True)
    assert "Dangshan pear syrup" in home and "Dangshan crisp pears" not in home


def test_a_ticked_product_without_a_number_goes_last(seeded, organizer):
    pears, syrup, peaches = _ids(
        seeded, "dangshan-crisp-pears", "dangshan-pear-syrup", "dangshan-yellow-peaches"
    )
    arrange(
        organizer,
        {
            "featured": [peaches, pears, syrup],
            f"position-{pears}": "1",
            f"position-{syrup}": "2",
            f"position-{peaches}": "",
        },
    )
    assert [slug for slug, _ in _region_featured(seeded)] == [
        "dangshan-crisp-pears",
        "dangshan-pear-syrup",
        "dangshan-yellow-peaches",
    ]


def test_a_product_of_another_region_cannot_be_featured_here(seeded, organizer):
    (apples,) = _ids(seeded, "yanan-luochuan-apples")
    response = arrange(organizer, {"add": str(apples)}, follow_redirects=True)
    assert "not public products of Dangshan County" in response.get_data(as_text=True)
    assert [slug for slug, _ in _region_featured(seeded)] == [
        "dangshan-crisp-pears",
        "dangshan-pear-syrup",
    ]


def test_curation_form_needs_a_csrf_token(seeded, organizer):
    # Hand-made on purpose: the form without its token.
    response = organizer.post(
        "/organize/featured/dangshan", data={"featured": ["4"], "shown": ["4"]}
    )
    assert response.status_code == 400


def test_unpublishing_takes_the_listing_down_with_the_reason_for_the_seller(seeded, organizer):
    (pears,) = _ids(seeded, "dangshan-crisp-pears")
    page = f"/organize/products/{pears}/unpublish"
    form = organizer.get(f"{page}?lang=en").get_data(as_text=True)
    assert "Reason for the seller" in form
    response = submit(
        organizer, f"{page}?lang=en", page, {"reason": "The photo shows apples, not pears."}
    )
    assert response.status_code == 302
    with seeded.app_context():
        product = db.session.get(Product, pears)
        assert product.status == "draft"
        assert product.moderation_note == "The photo shows apples, not pears."
        assert product.featured is False
    client = seeded.test_client()
    assert client.get(f"/products/{pears}-dangshan-crisp-pears").status_code == 404
    assert "Dangshan crisp pears" not in client.get("/?lang=en").get_data(as_text=True)
    assert "Dangshan crisp pears" not in client.get("/regions/dangshan?lang=en").get_data(
        as_text=True
    )


def test_unpublishing_without_a_reason_is_refused(seeded, organizer):
    (pears,) = _ids(seeded, "dangshan-crisp-pears")
    page = f"/organize/products/{pears}/unpublish"
    organizer.set_cookie("lang", "en")  # the form posts to its address without ?lang=
    response = submit(organizer, f"{page}?lang=en", page, {"reason": "   "})
    assert response.status_code == 400
    assert "Write the reason" in response.get_data(as_text=True)
    with seeded.app_context():
        assert db.session.get(Product, pears).status == "published"


def test_republishing_clears_the_organizers_note(seeded):
    from products import services

    (pears,) = _ids(seeded, "dangshan-crisp-pears")
    with seeded.app_context():
        product = db.session.get(Product, pears)
        services.unpublish(product, "Wrong photo")
        services.publish(product)
        assert product.moderation_note == "" and product.status == "published"


def test_finding_a_listing_by_its_address(seeded, organizer):
    (pears,) = _ids(seeded, "dangshan-crisp-pears")
    response = organizer.get(
        f"/organize/unpublish?product=http://localhost/products/{pears}-dangshan-crisp-pears"
    )
    assert response.headers["Location"].endswith(f"/organize/products/{pears}/unpublish")
    response = organizer.get("/organize/unpublish?product=999999")
    assert response.headers["Location"].endswith("/organize/featured")


def test_product_numbers_are_read_from_typed_text():
    from shop.curation.services import product_numbers

    assert product_numbers("12, 40") == [12, 40]
    assert product_numbers("/products/7-dangshan-pears") == [7]
    assert product_numbers("https://x.test/products/7-d-2") == [7]
    assert product_numbers("abc") == []
