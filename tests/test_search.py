"""Search as visitors use it: ranking on the demo catalogue, facets, filters, pages, safety."""

import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select

from products.models import Category, Product, Region, Shop, Variant
from shop.extensions import db


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def slugs(body) -> list[str]:
    return [hit["product"]["slug"] for hit in body["hits"]]


def public_slugs_of_region(app, region_slug: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Product.slug)
                .join(Product.shop)
                .join(Product.region)
                .where(
                    Region.slug == region_slug,
                    Product.status == "published",
                    Shop.kind == "exhibitor",
                )
            )
        )


# --- Ranking on the demo catalogue ----------------------------------------------------------


def test_suli_finds_dangshan_crisp_pears_first(seeded):
    body = api(seeded.test_client(), q="酥梨")
    assert slugs(body)[0] == "dangshan-crisp-pears"


@pytest.mark.parametrize(
    "query", ["dssl", "suli", "dangshan suli", "DangShan SuLi", "dangshansuli"]
)
def test_pinyin_and_its_initials_find_dangshan_crisp_pears(seeded, query):
    body = api(seeded.test_client(), q=query)
    assert slugs(body)[0] == "dangshan-crisp-pears"


@pytest.mark.parametrize("query", ["dangshan", "砀山", "Dangshan County"])
def test_dangshan_finds_exactly_the_dangshan_products(seeded, query):
    body = api(seeded.test_client(), q=query)
    assert set(slugs(body)) == public_slugs_of_region(seeded, "dangshan")


def test_pear_finds_the_pear_products_first_crisp_pears_on_top(seeded):
    found = slugs(api(seeded.test_client(), q="pear"))
    assert found[0] == "dangshan-crisp-pears"
    assert set(found[:2]) == {"dangshan-crisp-pears", "dangshan-pear-syrup"}


@pytest.mark.parametrize("query", ["延安", "延安市", "Yan'an", "yanan"])
def test_a_region_name_finds_that_regions_products_first(seeded, query):
    expected = public_slugs_of_region(seeded, "yanan")
    found = slugs(api(seeded.test_client(), q=query))
    assert set(found[: len(expected)]) == expected


def test_two_chinese_words_find_the_product_with_both(seeded):
    body = api(seeded.test_client(), q="苹果 洛川")
    assert slugs(body) == ["yanan-luochuan-apples"]
    assert body["partial"] is False


def test_a_single_chinese_character_finds_words_containing_it(seeded):
    found = set(slugs(api(seeded.test_client(), q="枣")))
    assert {"yanan-yanchuan-jujubes", "yiwu-nanzao"} <= found


def test_english_words_are_stemmed(seeded):
    assert slugs(api(seeded.test_client(), q="walnut"))[0] == "lingshou-walnuts"
    assert slugs(api(seeded.test_client(), q="jujube"))


def test_words_found_in_no_single_product_fall_back_to_any_word(seeded):
    body = api(seeded.test_client(), q="苹果 砀山")
    assert body["partial"] is True
    assert "yanan-luochuan-apples" in slugs(body)
    assert "dangshan-crisp-pears" in slugs(body)


@pytest.mark.parametrize(
    ("typo", "meant"), [("peer", "pear"), ("wallnut", "walnuts"), ("dangsan", "dangshan")]
)
def test_a_misspelling_gets_a_suggestion_that_finds_products(seeded, typo, meant):
    client = seeded.test_client()
    body = api(client, q=typo)
    assert body["total"] == 0
    assert body["suggestion"] == meant
    assert api(client, q=body["suggestion"])["total"] > 0
    page = client.get("/search", query_string={"q": typo, "lang": "en"}).get_data(as_text=True)
    assert f'Did you mean <a href="/search?q={meant}">{meant}</a>?' in page


def test_a_suggestion_knows_words_of_a_product_added_since_the_last_one(seeded, make_product):
    client = seeded.test_client()
    assert api(client, q="quinse")["suggestion"] is None  # no quince yet: nothing near
    make_product(title_zh="金色榅桲", title_en="Golden quince")
    body = api(client, q="quinse")
    assert body["total"] == 0 and body["suggestion"] == "quince"


def test_a_search_that_finds_nothing_says_so_and_shows_featured_products(seeded):
    client = seeded.test_client()
    page = client.get("/search", query_string={"q": "qqqzzzxxx", "lang": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "No products match your search." in html
    assert "Featured products" in html
    with seeded.app_context():
        featured = set(
            db.session.scalars(select(Product.title_en).where(Product.featured.is_(True)))
        )
    shown = set(re.findall(r"<h3>([^<]+)</h3>", unescape(html)))
    assert shown and shown <= featured
    assert api(client, q="qqqzzzxxx")["featured"]


def test_practice_shops_products_are_never_found(seeded, make_shop, make_product):
    practice = make_shop(kind="practice")
    make_product(shop=practice, title_zh="练习店砀山酥梨", title_en="Practice pears xyzzy")
    client = seeded.test_client()
    assert api(client, q="xyzzy")["total"] == 0
    assert "练习店砀山酥梨" not in client.get("/search?q=酥梨").get_data(as_text=True)
    runner = seeded.test_cli_runner()
    assert runner.invoke(args=["reindex"]).exit_code == 0
    assert api(client, q="xyzzy")["total"] == 0


# --- Facets, filters, sorting and pages -----------------------------------------------------

PRICE_BANDS_SQL = {
    "under-30": (0, 2999),
    "30-60": (3000, 5999),
    "60-100": (6000, 9999),
    "100-up": (10000, 2**31 - 1),
}


def sql_facet_counts(app, product_ids, filters: dict) -> dict[str, dict[str, int]]:
    """Facet counts computed by SQL over these products: each facet applies the other filters."""
    with app.app_context():
        lowest = (
            select(
                Variant.product_id,
                func.min(Variant.price_fen).label("price"),
                func.max(Variant.stock).label("stock"),
            )
            .group_by(Variant.product_id)
            .subquery()
        )
        band = case(
            *[
                (lowest.c.price.between(low, high), key)
                for key, (low, high) in PRICE_BANDS_SQL.items()
            ]
        )
        columns = {
            "region": Region.slug,
            "category": Category.slug,
            "price": band,
            "stock": case((lowest.c.stock > 0, "yes"), else_="no"),
        }
        counts = {}
        for facet, column in columns.items():
            statement = (
                select(column, func.count(Product.id))
                .join(Region, Product.region_id == Region.id)
                .join(Category, Product.category_id == Category.id)
                .join(lowest, lowest.c.product_id == Product.id)
                .where(Product.id.in_(product_ids))
                .group_by(column)
            )
            for other, value in filters.items():
                if other != facet:
                    statement = statement.where(columns[other] == value)
            counts[facet] = dict(db.session.execute(statement).all())
        return counts


def api_facet_counts(body) -> dict[str, dict[str, int]]:
    return {
        name: {option["value"]: option["count"] for option in options}
        for name, options in body["facets"].items()
    }


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("", {}),
        ("梨", {}),
        ("heritage", {}),
        ("", {"region": "dege"}),
        ("", {"region": "yanan", "price": "30-60"}),
        ("geographical indication", {"category": "fresh-fruit", "stock": "yes"}),
    ],
)
def test_facet_counts_match_the_database(seeded, query, filters):
    client = seeded.test_client()
    everything = api(client, q=query, per_page=48)
    matched_ids = [hit["product"]["id"] for hit in everything["hits"]]
    assert len(matched_ids) == everything["total"] > 0
    params = {"q": query, "per_page": 48}
    for name, value in filters.items():
        params["in_stock" if name == "stock" else name] = "1" if name == "stock" else value
    body = api(client, **params)
    expected = sql_facet_counts(seeded, matched_ids, filters)
    got = api_facet_counts(body)
    for facet in ("region", "category", "price"):
        assert got[facet] == expected[facet], facet
    assert got["stock"].get("yes", 0) == expected["stock"].get("yes", 0)
    assert body["total"] == len(body["hits"])
    for facet, value in filters.items():
        if facet != "stock":
            assert body["total"] == expected[facet].get(value, 0)


def test_facet_counts_follow_a_stock_change(seeded):
    with seeded.app_context():
        pears = db.session.scalar(select(Product).where(Product.slug == "dangshan-crisp-pears"))
        for variant in pears.variants:
            variant.stock = 0
        db.session.commit()
    client = seeded.test_client()
    body = api(client, q="梨", per_page=48)
    assert "dangshan-crisp-pears" in slugs(body)
    expected = sql_facet_counts(seeded, [hit["product"]["id"] for hit in body["hits"]], {})
    assert api_facet_counts(body)["stock"]["yes"] == expected["stock"]["yes"]
    assert expected["stock"]["no"] == 1
    assert "dangshan-crisp-pears" not in slugs(api(client, q="梨", in_stock="1"))


def test_filters_restrict_results_and_links_keep_the_query(seeded):
    client = seeded.test_client()
    body = api(client, q="", region="dangshan", price="30-60")
    assert body["hits"]
    for hit in body["hits"]:
        assert hit["product"]["region"]["slug"] == "dangshan"
        assert 3000 <= hit["product"]["price_fen"] <= 5999
    page = client.get("/search", query_string={"q": "梨", "lang": "en"}).get_data(as_text=True)
    assert 'href="/search?q=%E6%A2%A8&amp;region=dangshan"' in page
    chosen = client.get(
        "/search", query_string={"q": "梨", "region": "dangshan", "lang": "en"}
    ).get_data(as_text=True)
    assert 'aria-current="true">Dangshan County' in chosen
    assert "All regions" in chosen


@pytest.mark.parametrize(("sort", "descending"), [("price_asc", False), ("price_desc", True)])
def test_sort_by_price(seeded, sort, descending):
    prices = [
        hit["product"]["price_fen"]
        for hit in api(seeded.test_client(), q="", sort=sort, per_page=48)["hits"]
    ]
    assert len(prices) > 10
    assert prices == sorted(prices, reverse=descending)


def test_sort_by_newest(seeded):
    with seeded.app_context():
        newest = db.session.scalar(select(Product).where(Product.slug == "yiwu-nanzao"))
        newest.created_at = newest.created_at.replace(year=2099)
        db.session.commit()
    assert slugs(api(seeded.test_client(), q="", sort="newest"))[0] == "yiwu-nanzao"


def test_pages_cover_every_result_once(seeded):
    client = seeded.test_client()
    first = api(client, q="", per_page=5)
    total, pages = first["total"], first["pagination"]["pages"]
    assert pages == -(-total // 5)
    seen = []
    for number in range(1, pages + 1):
        seen += slugs(api(client, q="", per_page=5, page=number))
    assert len(seen) == len(set(seen)) == total
    beyond = api(client, q="", per_page=5, page=pages + 1)
    assert beyond["hits"] == [] and beyond["total"] == total
    html = client.get("/search", query_string={"q": "", "per_page": 5, "page": 2, "lang": "en"})
    text = html.get_data(as_text=True)
    assert f"Page 2 of {pages}" in text
    assert 'rel="prev" href="/search?page=1&amp;per_page=5"' in text or 'rel="prev"' in text


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1001", "9" * 30])
def test_a_bad_page_number_is_a_400_with_a_message(seeded, page):
    client = seeded.test_client()
    response = client.get("/api/v1/search", query_string={"q": "梨", "page": page})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_parameter"
    assert client.get("/search", query_string={"q": "梨", "page": page}).status_code == 400


# --- Highlighting and hostile input ---------------------------------------------------------


def test_matched_words_are_marked_in_titles_and_excerpts(seeded):
    html = seeded.test_client().get("/search?q=pear&lang=en").get_data(as_text=True)
    assert "Dangshan crisp <mark>pears</mark>" in html
    assert "<mark>" in html.split('class="search-hit-excerpt"')[1].split("</p>")[0]
    chinese = seeded.test_client().get("/search?q=dssl&lang=zh").get_data(as_text=True)
    assert "<mark>砀山酥梨</mark>" in chinese


def test_html_in_product_text_is_escaped_before_marking(seeded, make_product):
    make_product(title_en="<b>Bold</b> pears & <script>alert(1)</script>", title_zh="危险梨")
    html = seeded.test_client().get("/search?q=script&lang=en").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)" in html
    body = api(seeded.test_client(), q="bold", lang="en")
    assert body["hits"][0]["title_html"].startswith("&lt;b&gt;<mark>Bold</mark>&lt;/b&gt;")


def test_an_overlong_query_is_a_400_that_says_why(seeded):
    client = seeded.test_client()
    response = client.get("/search", query_string={"q": "梨" * 2000, "lang": "en"})
    assert response.status_code == 400
    assert "Your search is too long: please use at most 100 characters." in response.get_data(
        as_text=True
    )
    api_response = client.get("/api/v1/search", query_string={"q": "x" * 2000, "lang": "en"})
    assert api_response.status_code == 400
    assert "too long" in api_response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("pear & !", "dangshan-crisp-pears"),
        ("pear | :*", "dangshan-crisp-pears"),
        ("!pear", "dangshan-crisp-pears"),
        ("pear:*", "dangshan-crisp-pears"),
        ("(pear", "dangshan-crisp-pears"),
        ("pear)", "dangshan-crisp-pears"),
        ("'pear'", "dangshan-crisp-pears"),
        ("pear:*A", "dangshan-crisp-pears"),
        ("pear <-> crisp", "dangshan-crisp-pears"),
        ("crisp <-> pear", "dangshan-crisp-pears"),
        ("suli:* & dangshan", "dangshan-crisp-pears"),
        ("¹²³ pear", "dangshan-crisp-pears"),
        ("pear 🍐", "dangshan-crisp-pears"),
        ("pear²", None),
        ("&|!", None),
        (":*", None),
        ("''", None),
        ("\\", None),
    ],
)
def test_query_syntax_characters_are_only_text(seeded, query, first):
    """Full-text query operators (tsquery's & | ! <-> :* ( ) ', Whoosh's own) are never obeyed:
    the words around them are searched as words."""
    client = seeded.test_client()
    page = client.get("/search", query_string={"q": query, "lang": "en"})
    assert page.status_code == 200
    body = api(client, q=query)
    if first:
        assert slugs(body)[0] == first
    else:
        assert body["total"] == 0 and body["featured"]


def test_a_ten_kilobyte_query_is_a_400_on_page_and_api(seeded):
    client = seeded.test_client()
    long = "梨 & pear:* " * 1000
    assert client.get("/search", query_string={"q": long}).status_code == 400
    assert client.get("/api/v1/search", query_string={"q": long}).status_code == 400


HOSTILE = [
    'title:"',
    "(((",
    ")))",
    '"unbalanced',
    "AND OR NOT",
    "*?~^2",
    "pear~2",
    "title:[a TO",
    "{}[]",
    "\\",
    "\x00",
    "\x00梨\x00",
    "'; DROP TABLE product; --",
    "1' OR '1'='1",
    "%00",
    "%s%s%n",
    '<hostile onclick="x">',
    "</textarea><hostile>",
    "&lt;hostile&gt;",
    "😀🍐",
    "\u202e\u200b",
    "酥梨 AND (",
    "\ufffd",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pieces=st.lists(
        st.one_of(
            st.sampled_from(HOSTILE),
            st.text(max_size=20),
            st.text(alphabet="酥梨砀山苹果延安 dsl()\"':*~^<>&;", max_size=30),
            st.text(min_size=90, max_size=2100),
        ),
        max_size=4,
    )
)
def test_any_query_gives_a_normal_page_or_a_400_never_a_500_or_raw_html(seeded, pieces):
    query = "".join(pieces)
    client = seeded.test_client()
    page = client.get("/search", query_string={"q": query})
    html = page.get_data(as_text=True)
    assert page.status_code in (200, 400), html[:500]
    if len(query) <= 100 and "\x00" not in query:
        assert page.status_code == 200
    if page.status_code == 400:
        # Too long, or a NUL byte, which the whole site refuses (its page says so).
        assert "100" in html or "\x00" in query
    assert "<hostile" not in html
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 200:
        for hit in body["hits"]:
            assert "<hostile" not in hit["title_html"] + hit["excerpt_html"]
            assert not re.search(r"<(?!/?mark>)", hit["title_html"] + hit["excerpt_html"])


# --- The page shell, the API document, romanize -----------------------------------------------


def test_every_page_has_a_search_box_in_its_header(seeded):
    html = seeded.test_client().get("/?lang=en").get_data(as_text=True)
    header = html.split("<header")[1].split("</header>")[0]
    assert 'role="search"' in header and 'method="get"' in header and 'name="q"' in header
    assert '<label for="site-search-q"' in header


def test_the_openapi_document_describes_the_search_endpoint(seeded):
    client = seeded.test_client()
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/v1/search"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {
        "q",
        "region",
        "category",
        "price",
        "in_stock",
        "sort",
        "page",
        "per_page",
    }
    schema = document["components"]["schemas"]["SearchResults"]
    body = api(client, q="梨")
    assert set(schema["required"]) == set(body)
    assert set(document["components"]["schemas"]["SearchHit"]["required"]) == set(body["hits"][0])


def test_romanize_gives_pinyin_words_for_slugs():
    from products.search import romanize

    assert romanize("砀山酥梨 Pears") == "dangshan suli pears"
