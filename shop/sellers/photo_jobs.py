"""The photos' background job: WebP renditions made from a stored original (shop.jobs runs it).

It reads and writes only through the image store, so a worker on another machine than the web
server that took the upload does the same work (with MEDIA_STORAGE=s3, or a shared folder).
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, select, update

from products.images import ImageRejected, process_image, stored_names
from products.models import ProductImage
from products.storage import image_store
from shop import jobs
from shop.extensions import db
from shop.models_base import utcnow
from shop.sellers.services import RENDITIONS_JOB, original_of

log = logging.getLogger(__name__)


def make_renditions(image_id: int) -> str:
    """Make a processing photo's renditions and mark it ready, or failed when its original is
    damaged or gone; commits. Returns the photo's state ('gone' when it was removed meanwhile).

    Safe to run twice: names are content hashes, and only a processing row is changed.
    Errors of the store or the database propagate, so the job can be retried.
    """
    image = db.session.get(ProductImage, image_id)
    if image is None:
        return "gone"
    if image.state != "processing":
        return image.state
    key, store = image.key, image_store()
    original = store.read(original_of(key))
    size: tuple[int, int] | None = None
    if original is not None:
        try:
            processed = process_image(original, current_app.config["MAX_IMAGE_BYTES"])
        except ImageRejected as error:
            log.warning("Photo %s (%s) could not be processed: %s", image_id, key, error.reason)
        else:
            for name, body in processed.files.items():
                store.save(name, body)
            size = (processed.width, processed.height)
    elif all(store.exists(name) for name in stored_names(key, image.width)):
        # The same photo was processed for another listing, which then removed the original.
        size = (image.width, image.height)
    else:
        log.warning("Photo %s (%s) has neither an original nor renditions", image_id, key)
    values = (
        {"failed": True} if size is None else {"ready": True, "width": size[0], "height": size[1]}
    )
    # Conditional: a photo the seller removed meanwhile stays removed, a finished one untouched.
    db.session.execute(
        update(ProductImage)
        .where(ProductImage.id == image_id, ProductImage.ready.is_(False))
        .where(ProductImage.failed.is_(False))
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if original is not None:
        _drop_original_unless_awaited(key)
    return "failed" if size is None else "ready"


def _drop_original_unless_awaited(key: str) -> None:
    """Delete the original (it keeps the camera's metadata) once no photo waits for it."""
    awaited = db.session.scalar(
        select(
            exists().where(
                ProductImage.key == key,
                ProductImage.ready.is_(False),
                ProductImage.failed.is_(False),
            )
        )
    )
    if not awaited:
        image_store().delete(original_of(key))


#: A photo still processing after this long lost its job (a worker stopped mid-way, Redis lost
#: it, or it failed on a store or database error): the periodic run below queues it again.
STALE_AFTER = timedelta(minutes=5)
#: Queued per run at most, so that a long outage does not become one huge burst.
REQUEUE_BATCH = 500


def requeue_waiting() -> int:
    """Queue the renditions job again for photos processing longer than STALE_AFTER.

    The worker runs it every five minutes and when it starts; the job is safe to run twice.
    Returns how many were queued.
    """
    waiting = db.session.scalars(
        select(ProductImage.id)
        .where(
            ProductImage.ready.is_(False),
            ProductImage.failed.is_(False),
            ProductImage.created_at < utcnow() - STALE_AFTER,
        )
        .order_by(ProductImage.id)
        .limit(REQUEUE_BATCH)
    ).all()
    for image_id in waiting:
        jobs.enqueue(RENDITIONS_JOB, image_id)
    return len(waiting)
