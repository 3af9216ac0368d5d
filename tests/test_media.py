"""Stored pictures are served as cacheable WebP, and nothing else is."""

from sqlalchemy import select

from products.images import rendition_name
from products.models import ProductImage
from shop.extensions import db


def _a_rendition(app) -> str:
    with app.app_context():
        image = db.session.scalars(select(ProductImage)).first()
        return rendition_name(image.key, 320)


def test_a_rendition_is_served_as_webp_cached_for_a_year(seeded):
    client = seeded.test_client()
    response = client.get(f"/media/{_a_rendition(seeded)}")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WEBP"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_phone_that_has_the_picture_gets_a_304(seeded):
    client = seeded.test_client()
    name = _a_rendition(seeded)
    etag = client.get(f"/media/{name}").headers["ETag"]
    again = client.get(f"/media/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_unknown_or_tricky_names_are_404(seeded):
    client = seeded.test_client()
    for name in ("missing-320.webp", "..%2Fsecret_key", ".upload-x", "village-market.db"):
        assert client.get(f"/media/{name}").status_code == 404
