"""The catalogue JSON API answers what its OpenAPI document says, and 400s bad parameters."""

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SUCCESS = {
    "/api/v1/regions": ("/v1/regions", "200"),
    "/api/v1/regions/dangshan": ("/v1/regions/{slug}", "200"),
    "/api/v1/regions/cambodia": ("/v1/regions/{slug}", "200"),
    "/api/v1/products": ("/v1/products", "200"),
    "/api/v1/products?region=dangshan&category=fresh-fruit&sort=price_desc": (
        "/v1/products",
        "200",
    ),
    "/api/v1/products?per_page=5&page=2": ("/v1/products", "200"),
    "/api/v1/products/4": ("/v1/products/{id}", "200"),
    "/api/v1/shops/dangshan-pear-orchard": ("/v1/shops/{slug}", "200"),
}


@pytest.fixture
def document(seeded):
    return seeded.test_client().get("/api/openapi.json").json


def validate(document: dict, path: str, status: str, body) -> None:
    """Check body against the response schema the document gives for path and status."""
    schema = document["paths"][path]["get"]["responses"][status]["content"]["application/json"][
        "schema"
    ]
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
    validator = Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=registry)
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, [f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]]


def test_document_is_openapi_3_1_and_lists_every_catalogue_route(seeded, document):
    assert document["openapi"].startswith("3.1")
    for path in (
        "/v1/regions",
        "/v1/regions/{slug}",
        "/v1/products",
        "/v1/products/{id}",
        "/v1/shops/{slug}",
    ):
        assert "get" in document["paths"][path]
    routes = {rule.rule for rule in seeded.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    documented = {
        "/api" + path.replace("{slug}", "<slug>").replace("{id}", "<int:product_id>")
        for path in document["paths"]
    }
    assert {
        route
        for route in routes
        if route.startswith(("/api/v1/regions", "/api/v1/products", "/api/v1/shops"))
    } <= documented


@pytest.mark.parametrize("url", list(SUCCESS))
def test_responses_match_the_document(seeded, document, url):
    response = seeded.test_client().get(url)
    assert response.status_code == 200
    path, status = SUCCESS[url]
    validate(document, path, status, response.json)


def test_the_validation_catches_a_wrong_shape(seeded, document):
    body = seeded.test_client().get("/api/v1/products/4").json
    body["variants"][0]["price_fen"] = "39.90"
    with pytest.raises(AssertionError):
        validate(document, "/v1/products/{id}", "200", body)


def test_product_has_prices_in_fen_with_formatted_text_and_images_per_width(seeded):
    body = seeded.test_client().get("/api/v1/products/4").json
    assert body["title"] == {"zh": "砀山酥梨", "en": "Dangshan crisp pears"}
    prices = {(variant["price_fen"], variant["price"]) for variant in body["variants"]}
    assert prices == {(3990, "¥39.90"), (6990, "¥69.90")}
    assert body["price_fen"] == 3990 and body["price"] == "¥39.90"
    urls = body["images"][0]["urls"]
    assert set(urls) == {"320", "800", "1600"}
    assert all(
        url.startswith("http://localhost/media/") and url.endswith(".webp") for url in urls.values()
    )
    picture = seeded.test_client().get(urls["320"].removeprefix("http://localhost"))
    picture.close()
    assert picture.status_code == 200 and picture.mimetype == "image/webp"
    assert body["url"] == "http://localhost/products/4-dangshan-crisp-pears"


def test_products_paginate_with_links(seeded):
    client = seeded.test_client()
    first = client.get("/api/v1/products?per_page=10").json
    assert first["pagination"]["total"] == 22 and first["pagination"]["pages"] == 3
    assert first["pagination"]["prev"] is None
    assert first["pagination"]["next"] == "http://localhost/api/v1/products?per_page=10&page=2"
    last = client.get(first["pagination"]["last"].removeprefix("http://localhost")).json
    assert len(last["items"]) == 2 and last["pagination"]["next"] is None
    seen = {item["id"] for item in first["items"]} | {item["id"] for item in last["items"]}
    assert len(seen) == 12


def test_products_filter_by_region_and_category(seeded):
    body = (
        seeded.test_client().get("/api/v1/products?region=dangshan&category=sweets-preserves").json
    )
    assert {item["slug"] for item in body["items"]} == {
        "dangshan-pear-syrup",
        "dangshan-yellow-peaches",
    }
    assert {item["region"]["slug"] for item in body["items"]} == {"dangshan"}


def test_region_lists_featured_products_in_order(seeded):
    body = seeded.test_client().get("/api/v1/regions/dangshan").json
    assert [item["slug"] for item in body["featured"]] == [
        "dangshan-crisp-pears",
        "dangshan-pear-syrup",
    ]
    regions = seeded.test_client().get("/api/v1/regions").json["regions"]
    assert [region["coming_soon"] for region in regions].count(True) == 4


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=two",
        "page=²",
        "per_page=1000",
        "sort=cheapest",
        "region=Not%20A%20Slug",
        "region=",
    ],
)
def test_bad_parameters_get_a_400_json_error(seeded, document, query):
    response = seeded.test_client().get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == "bad_parameter"
    assert response.json["error"]["message"]
    validate(document, "/v1/products", "400", response.json)


@pytest.mark.parametrize(
    "query", ["region=atlantis", "category=no-such-kind", "shop=nobody", "page=99"]
)
def test_filters_naming_nothing_public_and_pages_past_the_end_are_404_json(seeded, document, query):
    response = seeded.test_client().get(f"/api/v1/products?{query}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    validate(document, "/v1/products", "404", response.json)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/products/999999", "/v1/products/{id}"),
        ("/api/v1/regions/atlantis", "/v1/regions/{slug}"),
        ("/api/v1/shops/nobody", "/v1/shops/{slug}"),
    ],
)
def test_unknown_things_are_404_json(seeded, document, url, path):
    response = seeded.test_client().get(url)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    validate(document, path, "404", response.json)


def test_unknown_api_address_is_a_json_error_too(seeded, document):
    response = seeded.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_shop_phone_is_masked(app, make_shop):
    make_shop(slug="pear-family", contact_phone="138-1234-5678")
    body = app.test_client().get("/api/v1/shops/pear-family").json
    assert body["phone"] == "138****5678"
