"""Photos in an S3-compatible object store (MEDIA_STORAGE=s3).

moto's server answers on 127.0.0.1 the HTTP requests that boto3 really sends, so everything
above the network (our store, the upload pages, /media) is the code that runs in production.
"""

import io
import json
import os
import urllib.error
import urllib.request
import uuid
from email.message import Message
from types import SimpleNamespace

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy import select

from products.images import rendition_name, stored_names, thumbnail_name
from products.models import ProductImage
from products.storage import IMMUTABLE, LocalImageStore, S3ImageStore, image_store
from shop.config import Config
from shop.extensions import db
from tests.forms import form_data, form_on, submit
from tests.helpers import (
    build_app,
    create_listing,
    fresh_app,
    jpeg,
    new_listing,
    open_shop,
    publish,
    save_listing,
    upload_photos,
)

#: Any keys do for moto; a real deployment gives them through the environment only.
ACCESS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
STORE_VARIABLES = ("MEDIA_STORAGE", "S3_BUCKET", "MEDIA_URL", *ACCESS, "AWS_ENDPOINT_URL")


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3 server of moto's on a free port of 127.0.0.1, for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint):
    """A new, empty bucket for each test, and a client of the test's own to look into it."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=ACCESS["AWS_DEFAULT_REGION"],
        aws_access_key_id=ACCESS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ACCESS["AWS_SECRET_ACCESS_KEY"],
    )
    name = f"photos-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)

    def keys() -> list[str]:
        listing = client.list_objects_v2(Bucket=name)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    return SimpleNamespace(
        name=name, client=client, endpoint=s3_endpoint, url=f"{s3_endpoint}/{name}", keys=keys
    )


@pytest.fixture
def app(tmp_path, postgres_schema, bucket):
    """The shop with its photos in the bucket (conftest's app keeps them in a local folder)."""
    with fresh_app(
        tmp_path / "instance",
        MEDIA_STORAGE="s3",
        S3_BUCKET=bucket.name,
        AWS_ENDPOINT_URL=bucket.endpoint,
        **ACCESS,
    ) as app:
        yield app


@pytest.fixture
def seller(app, make_user, make_shop, login_as):
    """An exhibitor's client and one of their draft listings, without a photo yet."""
    owner = make_user("exhibitor", language="en")
    make_shop(owner=owner)
    client = login_as(owner)
    client.product_id = create_listing(client)
    return client


def photos_of(app, product_id: int) -> list[ProductImage]:
    with app.app_context():
        return db.session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id == product_id)
            .order_by(ProductImage.position)
        ).all()


def serve_from_the_store(app, bucket, serving: str) -> None:
    """By the app ("app": /media answers with the bytes) or by the store ("redirect")."""
    app.config["MEDIA_URL"] = bucket.url if serving == "redirect" else ""
    if serving == "redirect":
        # What docs/deploy.md asks of a bucket that browsers read from: anyone may get objects.
        statement = {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket.name}/*",
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        bucket.client.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(policy))


def fetch(url: str) -> tuple[int, Message, bytes]:
    """What a browser gets from the store's public address."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our moto
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


def is_red_webp(body: bytes, size: tuple[int, int]) -> bool:
    picture = Image.open(io.BytesIO(body))
    red, green, blue = picture.convert("RGB").getpixel((size[0] // 2, size[1] // 2))
    return picture.format == "WEBP" and picture.size == size and red > 150 and green + blue < 90


# --- Upload, serve, delete --------------------------------------------------------------------


@pytest.mark.parametrize("serving", ["app", "redirect"])
def test_a_photo_uploaded_on_the_listing_page_is_stored_in_the_bucket_and_served(
    app, bucket, seller, serving
):
    serve_from_the_store(app, bucket, serving)
    red = jpeg(1000, 750, (200, 30, 30))
    assert upload_photos(seller, seller.product_id, red).status_code == 302
    (image,) = photos_of(app, seller.product_id)
    assert bucket.keys() == sorted(stored_names(image.key, image.width))
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == [], "nothing on the app's disk"
    page = seller.get(f"/sell/products/{seller.product_id}?lang=en")
    assert f"/media/{thumbnail_name(image.key)}" in page.get_data(as_text=True)
    if serving == "redirect":
        # Browsers check img-src again after the redirect: the store's origin must be allowed.
        policy = page.headers["Content-Security-Policy"]
        assert f"img-src 'self' data: {bucket.endpoint};" in policy

    name = rendition_name(image.key, 800)
    response = seller.get(f"/media/{name}")
    if serving == "app":
        assert response.status_code == 200 and response.mimetype == "image/webp"
        body = response.data
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == f"{bucket.url}/{name}"
        status, headers, body = fetch(response.headers["Location"])
        # The object carries its own type and cache header for the CDN in front of the bucket.
        assert status == 200 and headers["Content-Type"] == "image/webp"
        assert headers["Cache-Control"] == IMMUTABLE
    assert is_red_webp(body, (800, 600))


def test_a_rendition_from_the_bucket_is_immutable_for_a_year_and_revalidates_with_a_304(
    app, seller
):
    upload_photos(seller, seller.product_id, jpeg(400, 300))
    (image,) = photos_of(app, seller.product_id)
    url = f"/media/{rendition_name(image.key, 320)}"
    response = seller.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = seller.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_removing_a_photo_on_the_listing_page_deletes_its_objects(app, bucket, seller):
    upload_photos(
        seller, seller.product_id, jpeg(400, 300, (200, 0, 0)), jpeg(400, 300, (0, 0, 200))
    )
    removed, kept = photos_of(app, seller.product_id)
    assert save_listing(seller, seller.product_id, {"remove_photo": removed.id}).status_code == 302
    assert bucket.keys() == sorted(stored_names(kept.key, kept.width))
    assert seller.get(f"/media/{thumbnail_name(removed.key)}").status_code == 404
    assert seller.get(f"/media/{thumbnail_name(kept.key)}").status_code == 200


def test_objects_stay_while_a_copy_of_the_listing_still_shows_them(app, bucket, seller):
    upload_photos(seller, seller.product_id, jpeg(400, 300))
    (image,) = photos_of(app, seller.product_id)
    page = f"/sell/products/{seller.product_id}"
    assert submit(seller, page, f"{page}/duplicate").status_code == 302
    assert submit(seller, page, f"{page}/delete").status_code == 302
    assert bucket.keys() == sorted(stored_names(image.key, image.width))


def test_a_batch_with_one_bad_photo_leaves_nothing_in_the_bucket(app, bucket, seller):
    good, bad = (io.BytesIO(jpeg()), "good.jpg"), (io.BytesIO(b"not a photo"), "bad.jpg")
    response = save_listing(seller, seller.product_id, {"photos": [good, bad]})
    assert response.status_code == 422
    assert "bad.jpg is not a photo we can read" in response.get_data(as_text=True)
    assert photos_of(app, seller.product_id) == []
    assert bucket.keys() == []


def test_a_photo_kept_through_a_form_error_is_taken_from_the_bucket(app, bucket, seller):
    photo = (io.BytesIO(jpeg(1200, 900)), "pears.jpg")
    response = submit(
        seller, "/sell/products/new?lang=en", changes=new_listing(price="39.999", photo=photo)
    )
    assert response.status_code == 422
    # Only the verified original so far, under a private name: renditions come with the listing.
    (original,) = bucket.keys()
    assert not original.endswith(".webp")
    form = form_on(response.get_data(as_text=True), "/sell/products/new", "/sell/products/new")
    fixed = seller.post(
        form.action or "/sell/products/new", data=form_data(form, {"price": "39.9"})
    )
    assert fixed.status_code == 302
    product_id = int(fixed.headers["Location"].rsplit("/", 1)[1])
    (image,) = photos_of(app, product_id)
    # 320, 800 and 1200 wide and the thumbnail; the original (with its EXIF) is gone.
    assert sorted(stored_names(image.key, image.width)) == bucket.keys()


def test_the_share_poster_draws_its_cover_from_the_bucket(app, make_user, make_region, login_as):
    trainee = login_as(make_user("trainee", language="en"))
    assert open_shop(trainee, make_region().id).status_code == 302
    product_id = create_listing(trainee, title_zh="砀山酥梨 5斤装", title_en="")
    publish(trainee, product_id)
    upload_photos(trainee, product_id, jpeg(1600, 1200, (200, 40, 40)))
    response = trainee.get(f"/sell/share/products/{product_id}/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    red, green, blue = Image.open(io.BytesIO(response.data)).convert("RGB").getpixel((540, 300))
    assert red > 150 and green < 90 and blue < 90


# --- Misses and bad names ---------------------------------------------------------------------


@pytest.mark.parametrize("serving", ["app", "redirect"])
def test_a_missing_object_is_a_404_not_a_500(app, bucket, client, serving):
    serve_from_the_store(app, bucket, serving)
    name = rendition_name("0" * 32, 320)
    response = client.get(f"/media/{name}")
    if serving == "app":
        assert response.status_code == 404
    else:
        # No look-up before redirecting (it would cost what the redirect saves): the store says 404.
        assert response.status_code == 302
        status, _headers, _body = fetch(response.headers["Location"])
        assert status == 404


@pytest.mark.parametrize("serving", ["app", "redirect"])
def test_bad_names_are_404_and_never_reach_the_store(app, bucket, client, serving):
    serve_from_the_store(app, bucket, serving)
    # An object stored under a name we would never make must not be served either.
    bucket.client.put_object(Bucket=bucket.name, Key=".upload-x.webp", Body=b"RIFF")
    for name in (
        ".upload-x.webp",
        "..%2Fsecret_key",
        "a%5Cb-320.webp",
        "x" * 250 + ".webp",
        "village-market.db",
        f"{'0' * 32}-320.png",
    ):
        assert client.get(f"/media/{name}").status_code == 404, name


# --- The store itself -------------------------------------------------------------------------


def test_a_name_is_written_once_and_never_replaced(app, bucket):
    with app.app_context():
        store = image_store()
        assert isinstance(store, S3ImageStore)
        store.save("cafe-320.webp", b"first")
        store.save("cafe-320.webp", b"second")  # names are content hashes: this never differs
        assert store.read("cafe-320.webp") == b"first"
        assert store.exists("cafe-320.webp") and not store.exists("other-320.webp")
        assert store.read("other-320.webp") is None
        assert not store.exists("../cafe-320.webp")
        with pytest.raises(ValueError):
            store.read("../cafe-320.webp")
        store.delete("other-320.webp")  # missing: nothing happens
        store.delete("cafe-320.webp")
        assert bucket.keys() == []


# --- Configuration ----------------------------------------------------------------------------


def test_the_object_store_is_configured_from_the_environment(monkeypatch, tmp_path):
    settings = {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": "village-photos",
        "AWS_ENDPOINT_URL": "https://oss-cn-beijing.aliyuncs.com",
        "AWS_DEFAULT_REGION": "cn-beijing",
        "AWS_ACCESS_KEY_ID": "an-id",
        "AWS_SECRET_ACCESS_KEY": "a-secret",
        "MEDIA_URL": "https://img.market.example.org/",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    config = Config(str(tmp_path)).as_dict()
    assert {name: config[name] for name in settings} == {
        **settings,
        "MEDIA_URL": "https://img.market.example.org",
    }


def test_without_settings_photos_stay_in_the_local_folder(monkeypatch, tmp_path):
    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = Config(str(tmp_path))
    assert (config.MEDIA_STORAGE, config.S3_BUCKET, config.MEDIA_URL) == ("local", None, "")
    local = build_app(tmp_path / "instance")
    assert isinstance(local.extensions["image_store"], LocalImageStore)


def test_a_wrong_store_setting_stops_the_app_at_start(tmp_path):
    with pytest.raises(ValueError, match="S3_BUCKET"):
        build_app(tmp_path / "a", MEDIA_STORAGE="s3", S3_BUCKET=None)
    with pytest.raises(ValueError, match="MEDIA_STORAGE"):
        build_app(tmp_path / "b", MEDIA_STORAGE="ftp")
