"""The storefront pages a visitor browses: exhibition, regions, categories and shops, in both languages."""

import re

import pytest
from sqlalchemy import select

from products.models import Product, Region, Shop
from shop.extensions import db

#: Where the tile map starts (the header has small icons drawn as SVG too).
MAP = '<figure class="tile-map">'


def _map(page: str) -> str:
    """The tile map's SVG of a home page."""
    start = page.index(MAP)
    return page[start : page.index("</svg>", start)]


def _html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "hero", "region", "partner"),
    [
        ("zh", "乡村集市", "砀山县", "即将上线"),
        ("en", "Village Market", "Dangshan County", "Coming soon"),
    ],
)
def test_home_shows_every_region_with_its_featured_products_and_partners(
    seeded, language, hero, region, partner
):
    page = _html(seeded.test_client(), f"/?lang={language}")
    assert f"<h1>{hero}</h1>" in page
    assert region in page and partner in page
    # Dangshan's featured products appear in the organizer's order; the unfeatured one does not.
    pears = "砀山酥梨" if language == "zh" else "Dangshan crisp pears"
    syrup = "砀山梨膏" if language == "zh" else "Dangshan pear syrup"
    peaches = "砀山黄桃罐头" if language == "zh" else "Dangshan canned yellow peaches"
    assert page.index(pears) < page.index(syrup)
    assert peaches not in page


def test_home_map_is_an_inline_tile_map_linking_the_programme_provinces(seeded):
    page = _html(seeded.test_client(), "/?lang=en")
    svg = _map(page)
    for slug in ("lingshou", "yanan", "yiwu", "dangshan", "dege"):
        assert f'href="/regions/{slug}"' in svg
    assert 'aria-label="Anhui: Dangshan County"' in svg
    assert "http" not in svg  # drawn here: no map tiles, no outside requests
    # Chengdu shares Sichuan's tile (which opens Dege, the first); the list beside names both.
    assert 'href="/regions/chengdu"' not in svg
    places = page[page.index('class="place-list"') :]
    assert 'href="/regions/chengdu">Chengdu</a>' in places


def test_home_links_partner_countries_to_their_coming_soon_pages(seeded):
    page = _html(seeded.test_client(), "/?lang=en")
    partners = page[page.index('id="partners-title"') :]
    for slug in ("cambodia", "laos", "azerbaijan", "turkmenistan"):
        assert f'href="/regions/{slug}"' in partners
    svg = _map(page)
    assert "/regions/cambodia" not in svg


@pytest.mark.parametrize(("language", "name"), [("zh", "砀山县"), ("en", "Dangshan County")])
def test_region_page_shows_story_and_all_its_products(seeded, language, name):
    page = _html(seeded.test_client(), f"/regions/dangshan?lang={language}")
    assert f"<h1>{name}" in page
    assert page.count('class="card"') == 3
    assert ("砀山黄桃罐头" if language == "zh" else "Dangshan canned yellow peaches") in page


def test_region_page_filters_by_category(seeded):
    page = _html(seeded.test_client(), "/regions/dangshan?lang=en&category=fresh-fruit")
    assert "Dangshan crisp pears" in page
    assert "Dangshan pear syrup" not in page
    assert '<option value="fresh-fruit" selected>' in page


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("price_asc", "Dangshan pear syrup", "Dangshan canned yellow peaches"),
        ("price_desc", "Dangshan canned yellow peaches", "Dangshan pear syrup"),
        ("featured", "Dangshan crisp pears", "Dangshan canned yellow peaches"),
    ],
)
def test_region_page_sorts(seeded, sort, first, last):
    page = _html(seeded.test_client(), f"/regions/dangshan?lang=en&sort={sort}")
    titles = re.findall(r"<h3>([^<]+)</h3>", page)
    assert titles[0] == first and titles[-1] == last


def test_region_page_sorts_newest_first(app, make_region, make_shop, make_product):
    region = make_region(slug="hills")
    shop = make_shop(region=region)
    make_product(shop=shop, title_en="Older")
    make_product(shop=shop, title_en="Newer")
    page = _html(app.test_client(), "/regions/hills?lang=en&sort=newest")
    assert page.index("Newer") < page.index("Older")


def test_region_page_paginates_with_links_both_ways(app, make_region, make_shop, make_product):
    region = make_region(slug="hills")
    shop = make_shop(region=region)
    for number in range(30):
        make_product(shop=shop, title_en=f"Item {number:02d}")
    client = app.test_client()
    first = _html(client, "/regions/hills?lang=en")
    assert first.count('class="card"') == 24
    assert 'rel="next" href="/regions/hills?page=2"' in first
    assert 'rel="prev"' not in first
    second = _html(client, "/regions/hills?lang=en&page=2")
    assert second.count('class="card"') == 6
    assert 'rel="prev" href="/regions/hills"' in second
    assert "Page 2 of 2" in second
    _html(client, "/regions/hills?page=3", 404)


@pytest.mark.parametrize("query", ["page=0", "page=abc", "sort=cheapest", "category=Bad%20Slug"])
def test_region_page_refuses_nonsense_parameters(seeded, query):
    _html(seeded.test_client(), f"/regions/dangshan?{query}", 400)


def test_unknown_region_or_category_filter_is_404(seeded):
    client = seeded.test_client()
    _html(client, "/regions/atlantis", 404)
    _html(client, "/regions/dangshan?category=no-such-kind", 404)


@pytest.mark.parametrize(("language", "name"), [("zh", "鲜果"), ("en", "Fresh fruit")])
def test_category_page_lists_products_across_regions(seeded, language, name):
    page = _html(seeded.test_client(), f"/categories/fresh-fruit?lang={language}")
    assert f"<h1>{name}</h1>" in page
    english = _html(seeded.test_client(), "/categories/fresh-fruit?lang=en")
    for title in ("Dangshan crisp pears", "Luochuan apples"):
        assert title in english
    assert "Dangshan pear syrup" not in english
    _html(seeded.test_client(), "/categories/no-such-kind", 404)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_shop_page_shows_story_region_masked_phone_and_products(
    app, make_region, make_shop, make_product, language
):
    region = make_region(name_zh="砀山县", name_en="Dangshan County")
    shop = make_shop(
        region=region,
        slug="pear-family",
        name_zh="梨园人家",
        name_en="Pear Orchard Family",
        story_zh="演示店铺的故事",
        story_en="A demo shop story",
        contact_phone="13812345678",
        shipping_fee_fen=800,
        free_shipping_over_fen=9900,
    )
    make_product(shop=shop, title_zh="酥梨", title_en="Crisp pears")
    page = _html(app.test_client(), f"/shops/pear-family?lang={language}")
    assert ("梨园人家" if language == "zh" else "Pear Orchard Family") in page
    assert ("演示店铺的故事" if language == "zh" else "A demo shop story") in page
    assert ("砀山县" if language == "zh" else "Dangshan County") in page
    assert ("酥梨" if language == "zh" else "Crisp pears") in page
    assert "138****5678" in page and "13812345678" not in page
    assert "¥8.00" in page and "¥99.00" in page


def test_practice_shops_and_their_products_never_appear_publicly(seeded, make_shop, make_product):
    with seeded.app_context():
        region = db.session.scalar(select(Region).where(Region.slug == "dangshan"))
        db.session.expunge(region)
    practice = make_shop(kind="practice", region=region, slug="trainee-practice")
    secret = make_product(
        shop=practice,
        title_zh="练习梨",
        title_en="Practice pears",
        featured=True,
        featured_position=0,
    )
    client = seeded.test_client()
    for url in (
        "/?lang=en",
        "/?lang=zh",
        "/regions/dangshan?lang=en",
        "/regions/dangshan?lang=zh&sort=price_asc",
        "/categories/fresh-fruit?lang=en",
        "/sitemap.xml",
    ):
        page = _html(client, url)
        assert "Practice pears" not in page and "练习梨" not in page, url
        assert f"/products/{secret.id}-" not in page, url
    _html(client, f"/products/{secret.id}-{secret.slug}", 404)
    _html(client, f"/products/{secret.id}/qr.svg", 404)
    _html(client, "/shops/trainee-practice", 404)
    for url in (
        "/api/v1/products?region=dangshan",
        "/api/v1/regions/dangshan",
        "/api/v1/products?per_page=60",
    ):
        assert "Practice pears" not in client.get(url).get_data(as_text=True), url
    assert client.get(f"/api/v1/products/{secret.id}").status_code == 404
    assert client.get("/api/v1/shops/trainee-practice").status_code == 404
    assert client.get("/api/v1/products?shop=trainee-practice").status_code == 404


def test_drafts_are_not_listed(app, make_region, make_shop, make_product):
    region = make_region(slug="hills")
    shop = make_shop(region=region)
    make_product(shop=shop, title_en="Visible")
    make_product(shop=shop, title_en="Unfinished draft", status="draft")
    page = _html(app.test_client(), "/regions/hills?lang=en")
    assert "Visible" in page and "Unfinished draft" not in page


def test_a_change_to_a_product_shows_on_the_next_view(seeded):
    client = seeded.test_client()
    assert "Dangshan crisp pears" in _html(client, "/?lang=en")
    with seeded.app_context():
        pears = db.session.scalar(select(Product).where(Product.slug == "dangshan-crisp-pears"))
        pears.title_en = "Dangshan crisp pears, new harvest"
        db.session.commit()
    assert "Dangshan crisp pears, new harvest" in _html(client, "/?lang=en")


def test_a_stock_change_by_a_bulk_statement_shows_on_the_next_view(app, make_product):
    from sqlalchemy import update

    from products.models import Variant

    product = make_product(stock=10, title_en="Honey")
    client = app.test_client()
    url = f"/products/{product.id}-{product.slug}?lang=en"
    assert "In stock" in _html(client, url)
    with app.app_context():
        db.session.execute(update(Variant).where(Variant.product_id == product.id).values(stock=0))
        db.session.commit()
    assert "Sold out" in _html(client, url)


def test_a_stock_change_written_as_sql_text_shows_on_the_next_view(app, make_product):
    from sqlalchemy import text

    product = make_product(stock=10, title_en="Honey")
    client = app.test_client()
    url = f"/products/{product.id}-{product.slug}?lang=en"
    assert "In stock" in _html(client, url)
    with app.app_context():
        db.session.execute(
            text("UPDATE variant SET stock = stock - :q WHERE product_id = :p"),
            {"q": 10, "p": product.id},
        )
        db.session.commit()
    assert "Sold out" in _html(client, url)


def test_page_views_never_write_to_the_database(seeded):
    from sqlalchemy import event

    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    client = seeded.test_client()
    with seeded.app_context():
        pears = db.session.scalar(select(Product).where(Product.slug == "dangshan-crisp-pears"))
        url = f"/products/{pears.id}-{pears.slug}"
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            for page in (
                "/",
                "/regions/dangshan",
                url,
                "/shops/dangshan-pear-orchard",
                "/categories/grains",
                "/sitemap.xml",
            ):
                _html(client, page)
                _html(client, page)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))]
    assert statements and writes == []


def test_shops_have_their_own_pages_linked_from_products(seeded):
    client = seeded.test_client()
    with seeded.app_context():
        shop = db.session.scalar(select(Shop).where(Shop.slug == "dangshan-pear-orchard"))
        assert shop is not None
    page = _html(client, "/shops/dangshan-pear-orchard?lang=en")
    assert "Dangshan crisp pears" in page
