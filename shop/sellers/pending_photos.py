"""Photos uploaded with a listing form that was sent back (a price error, a missing title...).

The photo is verified and its original stored as soon as it arrives, like on the edit page (its
renditions are made once the listing is saved); the page that
comes back carries a signed token for it in a hidden field, so the seller never has to choose it
again. A token names the shop it was uploaded for and expires after a day: another seller's token,
a forged one or an old one is ignored, never added to a listing.
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from products.images import ProcessedImage, thumbnail_name
from products.models import Shop
from products.storage import image_store
from shop.sellers.services import original_of

#: How long a sent-back form may wait before its photos must be chosen again (seconds).
TOKEN_MAX_AGE = 24 * 60 * 60
_SALT = "sellers.pending-photo"


@dataclass(frozen=True)
class PendingPhoto:
    """A stored photo not yet part of a listing, and the token that carries it in a form."""

    key: str
    width: int
    height: int
    name: str
    token: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def pending(shop: Shop, photo: ProcessedImage, name: str) -> PendingPhoto:
    """The pending form of a photo just stored for `shop`."""
    payload = {"s": shop.id, "k": photo.key, "w": photo.width, "h": photo.height, "n": name[:100]}
    return PendingPhoto(
        photo.key, photo.width, photo.height, name[:100], _serializer().dumps(payload)
    )


def read_tokens(shop: Shop, tokens: list[str]) -> list[PendingPhoto]:
    """The photos behind tokens sent back by a form: this shop's, unexpired, still stored.

    Anything else is dropped silently; repeats count once.
    """
    photos: list[PendingPhoto] = []
    seen: set[str] = set()
    store = image_store()
    for token in tokens[:20]:
        try:
            payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
            key, width, height = str(payload["k"]), int(payload["w"]), int(payload["h"])
            owner, name = int(payload["s"]), str(payload.get("n", ""))
        except (BadData, KeyError, TypeError, ValueError):
            continue
        if owner != shop.id or key in seen:
            continue
        # The original, or the renditions a job made from it for another listing of the photo.
        if not (store.exists(original_of(key)) or store.exists(thumbnail_name(key))):
            continue
        seen.add(key)
        photos.append(PendingPhoto(key, width, height, name, token))
    return photos


def as_processed(photos: list[PendingPhoto]) -> list[ProcessedImage]:
    """Pending photos in the shape services.add_photos takes (their files are stored already)."""
    return [
        ProcessedImage(key=photo.key, width=photo.width, height=photo.height) for photo in photos
    ]
