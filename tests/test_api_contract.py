"""The JSON API keeps the contract of its own OpenAPI document: schemathesis, with all its checks,
against a running server with the demo catalogue, finds nothing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from products.models import ProductImage
from shop.extensions import db
from tests.live_http import running_server

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def _validate(document: dict, path: str, body) -> None:
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
    validator = Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=registry)
    errors = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)
    ]
    assert errors == []


def test_schemathesis_with_every_check_finds_nothing(seeded, tmp_path):
    with running_server(seeded) as base:
        run = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"{base}/api/openapi.json",
                "--url",
                f"{base}/api",
                "--checks",
                "all",
                "--max-examples",
                "40",
                "--seed",
                "20260401",
                "--generation-database",
                "none",
                "--no-color",
                "--request-timeout",
                "20",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
        )
    summary = re.findall(r"^=+ (.*) =+$", run.stdout, re.MULTILINE)
    cases = re.findall(r"^\s*(\d+ generated.*)$", run.stdout, re.MULTILINE)
    print("schemathesis:", *cases, summary[-1] if summary else run.stdout[-300:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or " passed" in summary[-1]


def test_a_picture_narrower_than_320_px_is_described_by_the_document(app, client, make_product):
    product = make_product()  # its cover photo is 800 px wide; a narrow second one follows
    with app.app_context():
        db.session.add(
            ProductImage(product_id=product.id, key="f" * 32, width=64, height=48, position=1)
        )
        db.session.commit()
    body = client.get(f"/api/v1/products/{product.id}").json
    assert [image["width"] for image in body["images"]] == [800, 64]
    assert list(body["images"][1]["urls"]) == ["64"]
    _validate(client.get("/api/openapi.json").json, "/v1/products/{id}", body)


def test_a_chosen_facet_with_nothing_in_it_is_described_by_the_document(seeded):
    client = seeded.test_client()
    body = client.get(
        "/api/v1/search", query_string={"q": "0" * 40, "in_stock": "1", "price": "under-30"}
    ).json
    assert body["facets"]["stock"] and body["facets"]["stock"][0]["count"] == 0
    _validate(client.get("/api/openapi.json").json, "/v1/search", body)


@pytest.mark.parametrize(
    "query",
    [
        "in_stock=maybe",
        "in_stock=",
        "price=",
        "price=free",
        "sort=cheapest",
        "sort=",
        "page=",
        "q=%00",
    ],
)
def test_search_parameters_outside_the_document_are_a_400(seeded, query):
    response = seeded.test_client().get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] in ("bad_parameter", "bad_request")


@pytest.mark.parametrize(
    "query", ["region=", "category=", "shop=", "sort=", "page=", "region=" + "a" * 81]
)
def test_listing_parameters_outside_the_document_are_a_400(seeded, query):
    response = seeded.test_client().get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_parameter"


@pytest.mark.parametrize("query", ["region=0", "category=0", "shop=0", "page=99"])
def test_listing_filters_that_name_nothing_are_a_404(seeded, query):
    response = seeded.test_client().get(f"/api/v1/products?{query}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_the_search_page_keeps_its_lenient_choices(seeded):
    client = seeded.test_client()
    assert client.get("/search?q=梨&sort=cheapest&price=free&in_stock=maybe").status_code == 200
