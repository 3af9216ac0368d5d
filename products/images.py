"""The photo pipeline: verify, orient, strip metadata, re-encode to WebP. The only module using Pillow.

Every picture (seeded or uploaded) becomes WebP renditions at up to three widths plus a square
thumbnail, stored under a content hash so that URLs can be cached for a year.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

#: Widths served in srcset; an image narrower than a width is never upscaled.
WIDTHS = (320, 800, 1600)
THUMBNAIL_SIZE = 240
#: Anything larger is refused before decoding: a decompression bomb can fill memory.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
WEBP_QUALITY = 80
#: libwebp effort (0-6); 4 keeps a 1600 px encode well under the per-photo time budget.
WEBP_METHOD = 4


class ImageRejected(ValueError):
    """The file is not an image we can accept; `reason` is one of the keys of REASONS."""

    REASONS = ("not_image", "too_large", "too_many_pixels")

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ProcessedImage:
    """The result of processing one upload: its key, largest size and the files to store."""

    key: str
    width: int
    height: int
    files: dict[str, bytes] = field(default_factory=dict)


def rendition_widths(width: int) -> list[int]:
    """The widths stored for an image whose largest rendition is `width` px wide."""
    return sorted({min(target, width) for target in WIDTHS})


def rendition_name(key: str, width: int) -> str:
    """File name of one width of an image."""
    return f"{key}-{width}.webp"


def thumbnail_name(key: str) -> str:
    """File name of an image's square thumbnail."""
    return f"{key}-thumb.webp"


def process_image(data: bytes, max_bytes: int) -> ProcessedImage:
    """Turn uploaded bytes into clean WebP renditions.

    :raises ImageRejected: when the bytes are too many, not a decodable JPEG/PNG/WebP, or too many pixels.
    """
    if len(data) > max_bytes:
        raise ImageRejected("too_large")
    source = _open_verified(data)
    largest = _oriented_largest(source)
    key = hashlib.sha256(data).hexdigest()[:32]
    processed = ProcessedImage(key=key, width=largest.width, height=largest.height)
    # Each smaller width is made from the previous one: far cheaper than from the original.
    current = largest
    for width in reversed(rendition_widths(largest.width)):
        if current.width != width:
            height = max(1, round(current.height * width / current.width))
            current = current.resize((width, height), Image.Resampling.LANCZOS)
        processed.files[rendition_name(key, width)] = _encode_webp(current)
    thumbnail = ImageOps.fit(current, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    processed.files[thumbnail_name(key)] = _encode_webp(thumbnail)
    return processed


def _open_verified(data: bytes) -> Image.Image:
    """Open the bytes as an image of an accepted format with a sane pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("not_image") from None
    except OSError:
        raise ImageRejected("not_image") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected("not_image")
    if image.width * image.height > MAX_PIXELS:
        raise ImageRejected("too_many_pixels")
    return image


def _oriented_largest(image: Image.Image) -> Image.Image:
    """Decode (at reduced scale when possible), apply EXIF orientation, drop all metadata."""
    orientation = image.getexif().get(0x0112, 1)
    sideways = orientation in (5, 6, 7, 8)
    target = max(WIDTHS)
    if image.format in ("JPEG", "MPO"):
        # JPEG can decode at 1/2, 1/4, 1/8 scale for free; ask for just enough for 1600 wide.
        image.draft("RGB", (1, target) if sideways else (target, 1))
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # Truncated or corrupt data: Pillow refuses to decode it.
        raise ImageRejected("not_image") from None
    mode = (
        "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    )
    clean = upright.convert(mode)
    # A fresh image carries no EXIF, GPS, XMP or ICC data: farmers' photos often hold their address.
    clean.info = {}
    if clean.width > target:
        height = max(1, round(clean.height * target / clean.width))
        factor = clean.width // (target * 2)
        if factor >= 2:
            clean = clean.reduce(factor)
        clean = clean.resize((target, height), Image.Resampling.LANCZOS)
    return clean


def _encode_webp(image: Image.Image) -> bytes:
    """Encode without any metadata."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()
