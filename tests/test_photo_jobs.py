"""Product photos made by a job: the request verifies the upload and keeps the original, a job
makes the WebP renditions (at once without Redis, by the worker with it), and no public page
links a photo before its renditions exist. The seller sees each photo processing, then ready
or failed, on the listing page and from its JSON status address."""

import re
import signal
import uuid

import boto3
import fakeredis
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select, update

from products.images import rendition_name, stored_names, thumbnail_name
from products.models import ProductImage
from products.storage import image_store
from shop import jobs
from shop.extensions import db
from shop.models_base import utcnow
from shop.sellers import photo_jobs
from shop.sellers.services import original_of
from tests.helpers import WORKER, build_app, fresh_app, jpeg, upload_photos


@pytest.fixture
def seller(app, make_user, make_shop, make_product, login_as):
    """An exhibitor's client and one of their published listings, without a photo yet."""
    owner = make_user("exhibitor", language="en")
    product = make_product(shop=make_shop(owner=owner), photo=False)
    client = login_as(owner)
    client.product_id = product.id
    return client


@pytest.fixture
def queued(app):
    """Jobs go to an in-memory Redis (fakeredis) instead of running in the request."""
    app.config.update(
        JOBS_REDIS=fakeredis.FakeRedis(), JOBS_QUEUE=f"vm-photos-{WORKER or 'main'}-{uuid.uuid4()}"
    )
    yield jobs.queue_for(app)
    app.config["JOBS_REDIS"].close()


def work(app, periodic=False) -> None:
    """Work the queue until it is empty, in this process (RQ's SimpleWorker), as test_jobs does."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        jobs.work(app, burst=True, with_scheduler=False, fork=False, periodic=periodic)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def photo_of(app, product_id: int) -> ProductImage:
    with app.app_context():
        (image,) = db.session.scalars(
            select(ProductImage).where(ProductImage.product_id == product_id)
        ).all()
        db.session.expunge(image)
        return image


def public_page(client, product_id: int) -> str:
    response = client.get(f"/products/{product_id}?lang=en", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def media_links(html: str) -> set[str]:
    return set(re.findall(r"/media/[\w.-]+", html))


def editor(client, product_id: int) -> str:
    response = client.get(f"/sell/products/{product_id}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def status(client, product_id: int) -> dict:
    response = client.get(f"/sell/products/{product_id}/photos/status")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_without_redis_a_photo_is_ready_when_the_upload_returns(app, seller, client):
    assert upload_photos(seller, seller.product_id, jpeg(1000, 750)).status_code == 302
    image = photo_of(app, seller.product_id)
    assert (image.ready, image.failed, image.width, image.height) == (True, False, 1000, 750)
    page = public_page(client, seller.product_id)
    assert f"/media/{rendition_name(image.key, 800)} 800w" in page
    assert all(client.get(link).status_code == 200 for link in media_links(page))
    with app.app_context():
        # The original kept the camera's metadata: it is gone once the renditions exist.
        assert not image_store().exists(original_of(image.key))


def test_a_queued_photo_shows_processing_then_ready(app, seller, client, queued):
    assert upload_photos(seller, seller.product_id, jpeg(1000, 750)).status_code == 302
    image = photo_of(app, seller.product_id)
    assert (image.ready, image.failed) == (False, False)
    page = editor(seller, seller.product_id)
    assert "Processing…" in page and "Reload to see it" in page
    assert thumbnail_name(image.key) not in page
    # The share poster would be drawn without its cover: the kit waits for the photo.
    assert "Preparing the poster…" in page and "poster.png" not in page
    assert status(seller, seller.product_id) == {
        "photos": [{"id": image.id, "state": "processing", "thumbnail": None}],
        "processing": 1,
    }
    # The public page says nothing of the photo yet: no link that would be a broken picture.
    assert media_links(public_page(client, seller.product_id)) == set()
    api = client.get(f"/api/v1/products/{seller.product_id}").get_json()
    assert api["images"] == [] and api["image"] is None

    work(app)
    image = photo_of(app, seller.product_id)
    assert (image.ready, image.width, image.height) == (True, 1000, 750)
    assert status(seller, seller.product_id)["photos"] == [
        {"id": image.id, "state": "ready", "thumbnail": f"/media/{thumbnail_name(image.key)}"}
    ]
    page = editor(seller, seller.product_id)
    assert "Processing…" not in page and "Preparing the poster…" not in page
    assert f"/sell/share/products/{seller.product_id}/poster.png" in page
    page = public_page(client, seller.product_id)
    assert f"/media/{rendition_name(image.key, 800)} 800w" in page
    assert all(client.get(link).status_code == 200 for link in media_links(page))


def test_a_damaged_original_fails_and_the_seller_can_delete_it(app, seller, queued):
    assert upload_photos(seller, seller.product_id, jpeg(1000, 750)).status_code == 302
    image = photo_of(app, seller.product_id)
    with app.app_context():
        store, name = image_store(), original_of(image.key)
        store.delete(name)
        store.save(name, b"\xff\xd8\xff" + b"\0" * 500)  # a disk fault, a cut-off copy
    work(app)
    assert status(seller, seller.product_id)["photos"][0]["state"] == "failed"
    page = editor(seller, seller.product_id)
    assert "Could not process — please upload again" in page
    delete = re.search(r'formaction="([^"]+/delete)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert seller.post(delete, data={"csrf_token": token}).status_code == 302
    assert status(seller, seller.product_id) == {"photos": [], "processing": 0}


def test_a_lost_job_is_queued_again_when_the_worker_starts(app, seller, queued):
    assert upload_photos(seller, seller.product_id, jpeg(640, 480)).status_code == 302
    for job in queued.jobs:
        job.delete()  # the job is lost: Redis restarted without its data, say
    with app.app_context():
        db.session.execute(
            update(ProductImage).values(created_at=utcnow() - photo_jobs.STALE_AFTER * 2)
        )
        db.session.commit()
    work(app, periodic=True)  # each periodic job runs once when the worker starts
    assert status(seller, seller.product_id)["photos"][0]["state"] == "ready"


def test_the_status_of_another_sellers_listing_is_a_404(
    seller, make_user, make_shop, login_as, make_product
):
    other = make_user("exhibitor")
    make_shop(owner=other)
    assert (
        login_as(other).get(f"/sell/products/{seller.product_id}/photos/status").status_code == 404
    )
    assert seller.get("/sell/products/999999/photos/status").status_code == 404


def test_the_original_cannot_be_fetched(app, seller, client, queued):
    assert upload_photos(seller, seller.product_id, jpeg(640, 480)).status_code == 302
    image = photo_of(app, seller.product_id)
    with app.app_context():
        name = original_of(image.key)
        assert image_store().exists(name)
    # Not by its name, and the name is not the public key's: a rendition's address gives no hint.
    assert image.key not in name
    for guess in (name, f"{name}.webp", f"{image.key}.jpg", f"{image.key}-original"):
        assert client.get(f"/media/{guess}").status_code == 404
    app.config["MEDIA_URL"] = "https://cdn.example.test/photos"
    assert client.get(f"/media/{name}").status_code == 404  # never sent on to the store


# --- A worker on another machine, the photos in S3 ----------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on 127.0.0.1: boto3's real requests, answered locally."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class TestWorkerOnAnotherMachine:
    """The web server and the worker share the database, the bucket and Redis, not a disk."""

    @pytest.fixture
    def shared(self, s3_endpoint):
        bucket = f"photos-{uuid.uuid4().hex[:16]}"
        access = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        boto3.session.Session().client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=access["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=access["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=bucket)
        redis = fakeredis.FakeRedis()
        yield {
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": bucket,
            "AWS_ENDPOINT_URL": s3_endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "JOBS_REDIS": redis,
            "JOBS_QUEUE": f"vm-photos-s3-{WORKER or 'main'}-{uuid.uuid4()}",
            **access,
        }
        redis.close()

    @pytest.fixture
    def app(self, tmp_path, postgres_schema, shared):
        """The web server: photos in the bucket, jobs to Redis."""
        with fresh_app(tmp_path / "web", **shared) as app:
            yield app

    def test_the_worker_makes_the_renditions_in_the_bucket(
        self, tmp_path, app, shared, seller, client
    ):
        assert upload_photos(seller, seller.product_id, jpeg(1000, 750)).status_code == 302
        assert status(seller, seller.product_id)["processing"] == 1
        worker = build_app(
            tmp_path / "worker",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            **shared,
        )
        work(worker)
        with worker.app_context():
            db.engine.dispose()
        image = photo_of(app, seller.product_id)
        assert image.ready
        with app.app_context():
            store = image_store()
            assert all(store.exists(name) for name in stored_names(image.key, image.width))
            assert not store.exists(original_of(image.key))
        page = public_page(client, seller.product_id)
        assert all(client.get(link).status_code == 200 for link in media_links(page))
        assert f"/media/{rendition_name(image.key, 1000)} 1000w" in page
