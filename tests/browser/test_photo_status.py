"""A seller adds a photo while the renditions job waits in the queue: the listing page says it is
processing, then shows the thumbnail once the worker is done, without a reload."""

import io
import signal
import uuid

import fakeredis
import pytest
from PIL import Image
from playwright.sync_api import expect

from products.models import ProductImage
from products.storage import image_store
from shop import jobs
from shop.extensions import db
from shop.sellers.services import original_of
from tests.browser.layout import assert_fits_the_phone
from tests.browser.test_listing_editor import a_listing, log_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots-photos"  # noqa: S108  screenshots to look at, not data


def a_photo(colour=(60, 140, 70)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def work(app) -> None:
    """The worker: run what is queued, in this process (the live server's Redis is in memory)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        jobs.work(app, burst=True, with_scheduler=False, fork=False, periodic=False)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_a_processing_photo_turns_into_its_thumbnail(browser, live_server, seeded):
    seeded.config.update(JOBS_REDIS=fakeredis.FakeRedis(), JOBS_QUEUE=f"vm-{uuid.uuid4()}")
    product_id, _variant, _price = a_listing(seeded)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    page = context.new_page()
    log_in(page, live_server)
    page.goto(f"{live_server}/sell/products/{product_id}?lang=en")
    page.locator('input[type="file"][name="photos"]').set_input_files(
        {"name": "orchard.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}
    )
    page.get_by_role("button", name="Save listing").click()
    processing = page.locator('.photo[data-state="processing"]')
    expect(processing).to_have_count(1)
    expect(processing.get_by_text("Processing…")).to_be_visible()

    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        for language in ("zh", "en"):
            page.goto(f"{live_server}/sell/products/{product_id}?lang={language}#listing-photos")
            assert_fits_the_phone(page, f"{width} px, {language}")
            processing.scroll_into_view_if_needed()
            page.screenshot(path=f"{SHOTS}/processing-{width}-{language}.png")
    expect(processing.get_by_text("Processing…")).to_be_visible()
    photo_id = processing.get_attribute("data-photo-id")

    work(seeded)
    # The page asks again on its own and puts the thumbnail in place: no reload.
    ready = page.locator(f'.photo[data-photo-id="{photo_id}"] img')
    expect(ready).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Processing…")).to_have_count(0)
    assert ready.evaluate("image => image.complete && image.naturalWidth") > 0
    page.screenshot(path=f"{SHOTS}/ready-1280-en.png")

    # A photo whose original turns out damaged: the page says so and offers to delete it.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator('input[type="file"][name="photos"]').set_input_files(
        {"name": "field.jpg", "mimeType": "image/jpeg", "buffer": a_photo((200, 120, 40))}
    )
    page.get_by_role("button", name="Save listing").click()
    expect(processing).to_have_count(1)
    failed_id = processing.get_attribute("data-photo-id")
    with seeded.app_context():
        image = db.session.get(ProductImage, int(failed_id))
        store, name = image_store(), original_of(image.key)
        store.delete(name)
        store.save(name, b"\xff\xd8\xff" + bytes(300))
    work(seeded)
    failed = page.locator(f'.photo[data-photo-id="{failed_id}"]')
    expect(failed.get_by_text("Could not process — please upload again")).to_be_visible(
        timeout=15_000
    )
    assert_fits_the_phone(page, "a failed photo")
    failed.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/failed-390-en.png")
    failed.get_by_role("button", name="Delete photo").click()
    expect(page.get_by_text("Photo removed.")).to_be_visible()
    expect(failed).to_have_count(0)
    context.close()
