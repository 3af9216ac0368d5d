"""The photo pipeline on real files made here with Pillow, through the upload pages and /media."""

import io
import os
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from sqlalchemy import func, select

from products.images import (
    ImageRejected,
    process_image,
    rendition_name,
    rendition_widths,
    verify_image,
)
from products.models import Product, ProductImage
from shop.extensions import db
from tests.helpers import csrf_token

MAX_BYTES = 15 * 1024 * 1024


def encode(image: Image.Image, fmt="JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(width=400, height=200, first=(220, 30, 30), second=(30, 30, 220)) -> Image.Image:
    """Left half one colour, right half another: shows which way a picture was turned."""
    image = Image.new("RGB", (width, height), second)
    image.paste(first, (0, 0, width // 2, height))
    return image


def noisy(width=800, height=600) -> Image.Image:
    """Photo-like detail, so a truncated file really misses picture data."""
    return Image.merge(
        "RGB", [Image.effect_noise((width, height), sigma) for sigma in (40, 60, 80)]
    )


def gps_tagged_jpeg() -> bytes:
    image = halves()
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "FarmPhone"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (34.0, 25.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 21.0, 3.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(image, exif=exif, icc_profile=srgb)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares a huge size (a decompression bomb's opening)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# --- The pipeline itself ----------------------------------------------------------------------


def test_exif_rotated_jpeg_comes_out_upright():
    image = halves()  # stored 400x200 on its side: red on the left
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6  # "turn 90 degrees clockwise to view"
    processed = process_image(encode(image, exif=exif), MAX_BYTES)
    assert (processed.width, processed.height) == (200, 400)
    upright = Image.open(io.BytesIO(processed.files[rendition_name(processed.key, 200)])).convert(
        "RGB"
    )
    top, bottom = upright.getpixel((100, 50)), upright.getpixel((100, 350))
    assert top[0] > 150 and top[2] < 100, "red, once on the left, is now on top"
    assert bottom[2] > 150 and bottom[0] < 100


def test_gps_and_every_other_metadata_are_gone_from_every_file():
    data = gps_tagged_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the input has GPS"
    processed = process_image(data, MAX_BYTES)
    for name, body in processed.files.items():
        output = Image.open(io.BytesIO(body))
        assert not output.getexif(), name
        assert b"Exif" not in body and b"EXIF" not in body, name
        assert b"ICCP" not in body and b"XMP " not in body, name
        assert "icc_profile" not in output.info and "exif" not in output.info


def test_no_upscaling_and_every_width_is_stored():
    processed = process_image(encode(halves(500, 250)), MAX_BYTES)
    assert rendition_widths(500) == [320, 500]
    assert set(processed.files) == {
        rendition_name(processed.key, 320),
        rendition_name(processed.key, 500),
        f"{processed.key}-thumb.webp",
    }
    sizes = {name: Image.open(io.BytesIO(body)).size for name, body in processed.files.items()}
    assert sizes[rendition_name(processed.key, 500)] == (500, 250)
    assert sizes[rendition_name(processed.key, 320)] == (320, 160)
    assert sizes[f"{processed.key}-thumb.webp"] == (160, 160)


def test_a_big_photo_is_stored_at_1600_800_and_320_plus_a_square_thumbnail():
    processed = process_image(encode(noisy(4000, 3000), quality=80), MAX_BYTES)
    assert (processed.width, processed.height) == (1600, 1200)
    widths = sorted(
        Image.open(io.BytesIO(body)).width
        for name, body in processed.files.items()
        if "thumb" not in name
    )
    assert widths == [320, 800, 1600]
    thumbnail = Image.open(io.BytesIO(processed.files[f"{processed.key}-thumb.webp"]))
    assert thumbnail.size == (240, 240) and thumbnail.format == "WEBP"


def test_the_same_bytes_get_the_same_name_and_other_bytes_another():
    data = encode(halves())
    assert process_image(data, MAX_BYTES).key == process_image(data, MAX_BYTES).key
    assert (
        process_image(encode(halves(first=(0, 200, 0))), MAX_BYTES).key
        != process_image(data, MAX_BYTES).key
    )


def test_png_transparency_and_webp_input_are_kept():
    transparent = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    transparent.paste((10, 160, 10, 255), (100, 100, 200, 200))
    processed = process_image(encode(transparent, "PNG"), MAX_BYTES)
    output = Image.open(io.BytesIO(processed.files[rendition_name(processed.key, 300)]))
    assert output.mode == "RGBA" and output.getpixel((5, 5))[3] == 0
    again = process_image(processed.files[rendition_name(processed.key, 300)], MAX_BYTES)
    assert again.width == 300


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Dear buyer, this is a text file named like a photo.\n" * 20, "not_image"),
        (encode(Image.new("RGB", (50, 50)), "GIF"), "not_image"),
        (encode(noisy(), quality=90)[:20_000], "damaged"),
        (png_header_only(10_000, 10_000), "too_many_pixels"),
        (png_header_only(7_000, 7_000), "too_many_pixels"),
        (b"\xff\xd8\xff" + b"\0" * (MAX_BYTES + 1), "too_large"),
    ],
    ids=[
        "text-named-jpg",
        "gif",
        "truncated-jpeg",
        "bomb-100-megapixels",
        "bomb-49-megapixels",
        "oversize",
    ],
)
@pytest.mark.parametrize("check", [process_image, verify_image], ids=["process", "verify"])
def test_refused_files(data, reason, check):
    # verify_image is the request's part of an upload: it must refuse all that the job would.
    with pytest.raises(ImageRejected) as refused:
        check(data, MAX_BYTES)
    assert refused.value.reason == reason


# --- Through the pages --------------------------------------------------------------------------


def post_multipart(client, url, fields: dict[str, str], files: dict[str, tuple[bytes, str]]):
    """POST a form with files, its body built in memory as a browser sends it.

    (Werkzeug's test client spools large bodies to a temporary file it never closes.)
    """
    boundary = "village-market-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (data, filename) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
        )
        parts.append(data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return client.post(
        url, data=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.fixture
def seller(app, make_user, make_shop, make_product, login_as):
    """An exhibitor's client and one of their draft listings, still without a photo.

    Without one, every picture and file stored afterwards is the upload's under test.
    """
    owner = make_user("exhibitor", language="en")
    product = make_product(shop=make_shop(owner=owner), status="draft", photo=False)
    client = login_as(owner)
    client.product_id = product.id
    return client


def upload(client, product_id, data, filename="photo.jpg"):
    page = client.get(f"/sell/products/{product_id}").get_data(as_text=True)
    return post_multipart(
        client,
        f"/sell/products/{product_id}/photos",
        {"csrf_token": csrf_token(page)},
        {"photos": (data, filename)},
    )


def stored_images(app):
    with app.app_context():
        return db.session.scalars(select(ProductImage).order_by(ProductImage.id)).all()


def served(client, name) -> tuple[bytes, str, str]:
    with client.get(f"/media/{name}") as response:
        assert response.status_code == 200
        return response.get_data(), response.mimetype, response.headers["X-Content-Type-Options"]


def test_an_uploaded_gps_photo_is_served_as_webp_without_any_exif(app, seller):
    assert upload(seller, seller.product_id, gps_tagged_jpeg()).status_code == 302
    (image,) = stored_images(app)
    names = [rendition_name(image.key, width) for width in rendition_widths(image.width)]
    for name in [*names, f"{image.key}-thumb.webp"]:
        body, mimetype, nosniff = served(seller, name)
        assert mimetype == "image/webp" and nosniff == "nosniff"
        assert not Image.open(io.BytesIO(body)).getexif()
        assert b"Exif" not in body


def test_an_uploaded_sideways_photo_is_stored_upright(app, seller):
    image = halves(1000, 500)
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6
    upload(seller, seller.product_id, encode(image, exif=exif))
    (stored,) = stored_images(app)
    assert (stored.width, stored.height) == (500, 1000)
    body, _, _ = served(seller, rendition_name(stored.key, 500))
    assert Image.open(io.BytesIO(body)).size == (500, 1000)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"just some text, not a picture", 422, "is not a photo we can read"),
        (encode(noisy(), quality=90)[:20_000], 422, "seems damaged or incomplete"),
        (png_header_only(10_000, 10_000), 422, "has more than 40 megapixels"),
        (b"\xff\xd8\xff" + os.urandom(MAX_BYTES), 413, "is larger than 15 MB"),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "bomb", "oversize"],
)
def test_a_refused_upload_says_why_and_stores_nothing(app, seller, data, status, message):
    response = upload(seller, seller.product_id, data, filename="field.jpg")
    assert response.status_code == status
    assert f"field.jpg {message}" in response.get_data(as_text=True)
    assert stored_images(app) == []
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []


def test_a_failed_upload_on_the_new_listing_form_keeps_the_rest_of_it(app, seller):
    page = seller.get("/sell/products/new").get_data(as_text=True)
    response = post_multipart(
        seller,
        "/sell/products/new",
        {
            "csrf_token": csrf_token(page),
            "title_zh": "灵寿金针菇 500克",
            "title_en": "Lingshou enoki",
            "description_zh": "清晨采摘，当天发货。",
            "category": "0",
            "tags": "菌菇,鲜品",
            "spec_zh": "一袋",
            "spec_en": "one bag",
            "price": "19.9",
            "stock": "30",
            "weight_g": "520",
            "sku": "LS-ENOKI-500",
        },
        {"photo": (b"\xff\xd8\xff" + os.urandom(MAX_BYTES), "huge.jpg")},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "huge.jpg is larger than 15 MB" in page
    for kept in (
        "灵寿金针菇 500克",
        "Lingshou enoki",
        "清晨采摘，当天发货。",
        "菌菇,鲜品",
        'value="19.9"',
        'value="30"',
        'value="520"',
        "LS-ENOKI-500",
    ):
        assert kept in page, kept
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Product)) == 1
        )  # the fixture's only


def test_a_request_over_16_mb_is_a_clear_413_page(seller):
    response = upload(seller, seller.product_id, os.urandom(16 * 1024 * 1024 + 1), "big.jpg")
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)


def test_files_live_in_the_upload_folder_outside_the_code(app, seller):
    upload(seller, seller.product_id, encode(halves()))
    (image,) = stored_images(app)
    folder = app.config["UPLOAD_FOLDER"]
    assert f"{image.key}-thumb.webp" in os.listdir(folder)
    code_tree = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert not os.path.abspath(folder).startswith(code_tree)
