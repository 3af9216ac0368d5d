"""The seller workspace: shop profile, listings, photos, stock and CSV, discounts, orders."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Have the worker queue again any photo whose renditions job was lost."""
    from shop import jobs

    jobs.every(app, "photo-renditions", 300, "shop.sellers.photo_jobs.requeue_waiting")
