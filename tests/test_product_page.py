"""The product page: canonical address, price of the chosen variant, stock state, QR code."""

import json
import re

import pytest

from products.models import Variant
from shop.extensions import db


def _product_with_variants(app, make_product):
    """A product with three sizes: ¥39.90 (200 left), ¥69.90 (3 left), ¥128 (sold out)."""
    # variants=1: the other two sizes are added here, with the stock the tests need.
    product = make_product(
        price_fen=3990,
        stock=200,
        variants=1,
        title_zh="砀山酥梨",
        title_en="Crisp pears",
        slug="crisp-pears",
    )
    with app.app_context():
        db.session.add_all(
            [
                Variant(
                    product_id=product.id,
                    spec_zh="十斤箱",
                    spec_en="10 jin box",
                    price_fen=6990,
                    stock=3,
                    position=1,
                ),
                Variant(
                    product_id=product.id,
                    spec_zh="礼盒",
                    spec_en="Gift box",
                    price_fen=12800,
                    stock=0,
                    position=2,
                ),
            ]
        )
        db.session.commit()
        ids = [
            variant.id
            for variant in db.session.query(Variant)
            .filter_by(product_id=product.id)
            .order_by(Variant.position)
        ]
    return product, ids


@pytest.mark.parametrize(
    ("language", "title", "choose"),
    [("zh", "砀山酥梨", "选择规格"), ("en", "Crisp pears", "Choose a size")],
)
def test_product_page_shows_price_picker_and_stock_in_both_languages(
    app, make_product, language, title, choose
):
    product, _ = _product_with_variants(app, make_product)
    page = (
        app.test_client()
        .get(f"/products/{product.id}-crisp-pears?lang={language}")
        .get_data(as_text=True)
    )
    assert f"<h1>{title}</h1>" in page
    assert choose in page
    assert 'id="chosen-price">¥39.90<' in page
    assert ("仅剩 3 件" if language == "zh" else "Only 3 left") in page
    assert ("已售罄" if language == "zh" else "Sold out") in page
    # One picker: the chips are the add-to-cart form's own field (no second list of sizes).
    assert page.count('type="radio" name="variant_id"') == 3
    assert "<select" not in page


def test_choosing_a_variant_without_javascript_shows_its_price(app, make_product):
    product, ids = _product_with_variants(app, make_product)
    page = (
        app.test_client()
        .get(f"/products/{product.id}-crisp-pears?lang=en&variant={ids[1]}")
        .get_data(as_text=True)
    )
    assert 'id="chosen-price">¥69.90<' in page
    assert f'id="variant-{ids[1]}" value="{ids[1]}" required checked' in page
    assert 'id="chosen-stock" role="status">Only 3 left<' in page


def test_a_sold_out_product_says_it_cannot_be_bought(app, make_product):
    product = make_product(stock=0, title_en="Empty", slug="empty")
    page = app.test_client().get(f"/products/{product.id}-empty?lang=en").get_data(as_text=True)
    assert "this product cannot be bought right now" in page
    assert 'id="chosen-stock" role="status">Sold out<' in page


def test_product_page_names_origin_shop_and_category(seeded):
    client = seeded.test_client()
    page = client.get("/products/4-x?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "Dangshan crisp pears" in page
    assert 'href="/regions/dangshan"' in page
    assert 'href="/shops/dangshan-pear-orchard"' in page
    assert 'href="/categories/fresh-fruit"' in page


@pytest.mark.parametrize("wrong", ["", "-", "-old-words", "-CRISP-PEARS"])
def test_a_wrong_or_missing_slug_redirects_permanently_to_the_canonical_address(
    app, make_product, wrong
):
    product = make_product(slug="crisp-pears")
    path = f"/products/{product.id}{wrong}" if wrong != "-" else f"/products/{product.id}-"
    response = app.test_client().get(path + "?lang=en&utm_source=wechat")
    if wrong == "-":
        assert response.status_code == 404  # "/products/7-" is no product address at all
        return
    assert response.status_code == 301
    assert response.headers["Location"] == f"/products/{product.id}-crisp-pears?lang=en"


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_products_are_404(app, make_product, status):
    product = make_product(slug="hidden", status=status)
    client = app.test_client()
    assert client.get(f"/products/{product.id}-hidden").status_code == 404
    assert client.get(f"/products/{product.id}").status_code == 404


def test_unknown_product_is_404(app):
    assert app.test_client().get("/products/999999-anything").status_code == 404


def test_json_ld_describes_the_product_with_offers(app, make_product):
    product, _ = _product_with_variants(app, make_product)
    page = (
        app.test_client().get(f"/products/{product.id}-crisp-pears?lang=en").get_data(as_text=True)
    )
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Product" and data["name"] == "Crisp pears"
    offers = {offer["price"]: offer for offer in data["offers"]}
    assert set(offers) == {"39.90", "69.90", "128.00"}
    assert all(offer["priceCurrency"] == "CNY" for offer in data["offers"])
    assert offers["39.90"]["availability"] == "https://schema.org/InStock"
    assert offers["128.00"]["availability"] == "https://schema.org/OutOfStock"


def test_json_ld_cannot_be_broken_out_of_by_product_text(app, make_product):
    product = make_product(slug="sneaky", title_en="</script><script>alert(1)</script>")
    page = app.test_client().get(f"/products/{product.id}-sneaky?lang=en").get_data(as_text=True)
    assert "<script>alert(1)" not in page


def test_gallery_images_are_responsive_with_dimensions(seeded):
    page = seeded.test_client().get("/products/4-x", follow_redirects=True).get_data(as_text=True)
    image = re.search(r'<div class="gallery">\s*(<img[^>]+>)', page).group(1)
    assert "srcset=" in image and "320w" in image and "800w" in image and "1600w" in image
    assert 'width="1600" height="1200"' in image and "sizes=" in image
    assert 'alt="砀山酥梨"' in image
    assert "loading=" not in image  # the first picture is above the fold


def test_qr_code_is_an_svg_of_the_absolute_product_address(app, make_product):
    product = make_product(slug="crisp-pears")
    page = app.test_client().get(f"/products/{product.id}-crisp-pears").get_data(as_text=True)
    assert f'src="/products/{product.id}/qr.svg"' in page
    response = app.test_client().get(f"/products/{product.id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith(("<?xml", "<svg"))
    assert response.headers["Cache-Control"].startswith("public")


def test_qr_code_encodes_site_url_when_configured(tmp_path, make_product, app):
    import qrcode
    import qrcode.image.svg

    app.config["SITE_URL"] = "https://market.example"
    product = make_product(slug="crisp-pears")
    served = app.test_client().get(f"/products/{product.id}/qr.svg").get_data(as_text=True)
    expected = qrcode.make(
        f"https://market.example/products/{product.id}-crisp-pears",
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
    ).to_string(encoding="unicode")
    assert served == expected
