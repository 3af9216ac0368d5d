"""Text responses travel compressed to phones, except pages that hold a secret."""

import gzip

import brotli


def test_the_home_page_arrives_gzipped_and_reads_the_same(seeded):
    client = seeded.test_client()
    plain = client.get("/?lang=zh")
    packed = client.get("/?lang=zh", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    # A phone on a slow line gets a fraction of the bytes.
    assert len(packed.data) < len(plain.data) / 3


def test_the_stylesheet_arrives_in_brotli_and_revalidates(client):
    packed = client.get("/static/css/site.css", headers={"Accept-Encoding": "br, gzip"})
    plain = client.get("/static/css/site.css")
    assert packed.headers["Content-Encoding"] == "br"
    css = brotli.decompress(packed.data)
    assert css == plain.data and b"body" in css
    again = client.get(
        "/static/css/site.css",
        headers={"Accept-Encoding": "br, gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


def test_a_page_with_a_form_token_is_never_compressed(client):
    # The log-in form carries a CSRF token: compressing it beside reflected input would let
    # an attacker guess the token from response sizes.
    response = client.get("/login?lang=zh", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert b'name="csrf_token"' in response.data


def test_a_signed_in_visitors_catalogue_page_is_not_compressed(seeded, make_user, login_as):
    buyer = make_user(email="compress-buyer@example.com")
    client = login_as(buyer)
    response = client.get("/?lang=zh", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data  # the log-out form
    assert "Content-Encoding" not in response.headers


def test_a_private_page_is_not_compressed(client):
    response = client.get("/cart?lang=zh", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_a_kept_whole_page_is_never_served_compressed_to_a_browser_that_did_not_ask(seeded):
    client = seeded.test_client()
    first = client.get("/regions/dangshan?lang=zh", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    plain = client.get("/regions/dangshan?lang=zh")
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(first.data) == plain.data
    again = client.get("/regions/dangshan?lang=zh", headers={"Accept-Encoding": "gzip"})
    assert again.headers["Content-Encoding"] == "gzip" and again.data == first.data
