"""The photo pipeline: verify, orient, strip metadata, re-encode to WebP. The only module using Pillow.

Every picture (seeded or uploaded) becomes WebP renditions at up to three widths plus a square
thumbnail, stored under a content hash so that URLs can be cached for a year.

Speed (bench/images.py, docs/benchmarks.md): a 4000x3000 phone photo must be done in well under
a second on one core. The levers, in order of effect: JPEG draft decoding (the decoder itself
scales by 1/2, 1/4 or 1/8, so a 12-megapixel photo is never decoded whole), deriving each smaller
size from the previous one, and a cheaper WebP `method` for the largest size, whose encoding
dominates the cost.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Registering just these plugins means Pillow never runs init(), which imports all ~40 of its
# plugins on first use (a cold-start cost of tens of milliseconds).
from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401  isort: skip

#: Widths served in srcset; an image narrower than a width is never upscaled.
WIDTHS = (320, 800, 1600)
THUMBNAIL_SIZE = 240
#: Anything larger is refused before decoding: a decompression bomb can fill memory.
MAX_PIXELS = 40_000_000
#: The only decoders untrusted bytes ever reach (JPEG covers MPO, the multi-picture JPEG of phones).
DECODERS = ("JPEG", "PNG", "WEBP")
#: Pillow's format names we accept.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
WEBP_QUALITY = 80
#: libwebp effort (0-6) per width. Method 2 encodes the 1600 px size in less than half the time of
#: method 4 for about 5% more bytes; smaller sizes are cheap and fetched most, so they get 4.
WEBP_METHODS = {1600: 2}
DEFAULT_WEBP_METHOD = 4
#: EXIF tag 0x0112: how the camera was held.
ORIENTATION_TAG = 0x0112
SIDEWAYS_ORIENTATIONS = (5, 6, 7, 8)

_SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(ValueError):
    """The file is not an image we can accept; `reason` is one of REASONS."""

    #: not_image: not a JPEG/PNG/WebP at all; damaged: truncated or corrupt data;
    #: too_large: more bytes than allowed; too_many_pixels: a possible decompression bomb.
    REASONS = ("not_image", "damaged", "too_large", "too_many_pixels")

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(f"unknown reason {reason!r}")
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


def stored_names(key: str, width: int) -> list[str]:
    """Every file name stored for an image (all widths and the thumbnail)."""
    return [rendition_name(key, each) for each in rendition_widths(width)] + [thumbnail_name(key)]


def content_key(data: bytes) -> str:
    """The content-addressed name stem of uploaded bytes: the same photo always gets the same key."""
    return hashlib.sha256(data).hexdigest()[:32]


def process_image(data: bytes, max_bytes: int) -> ProcessedImage:
    """Turn uploaded bytes into clean WebP renditions with no metadata at all.

    :raises ImageRejected: when the bytes are too many, not a JPEG/PNG/WebP Pillow can decode,
        damaged, or too many pixels.
    """
    if len(data) > max_bytes:
        raise ImageRejected("too_large")
    source = _open_verified(data)
    largest = _oriented_largest(source)
    key = content_key(data)
    processed = ProcessedImage(key=key, width=largest.width, height=largest.height)
    # Each smaller width is made from the previous one: far cheaper than from the original.
    current = largest
    for width in reversed(rendition_widths(largest.width)):
        if current.width != width:
            height = max(1, round(current.height * width / current.width))
            current = current.resize((width, height), Image.Resampling.LANCZOS)
        processed.files[rendition_name(key, width)] = _encode_webp(current, width)
    side = min(THUMBNAIL_SIZE, current.width, current.height)
    thumbnail = ImageOps.fit(current, (side, side), Image.Resampling.LANCZOS)
    processed.files[thumbnail_name(key)] = _encode_webp(thumbnail, side)
    return processed


def _open_verified(data: bytes) -> Image.Image:
    """Open the bytes (header only) as an image of an accepted format with a sane pixel count."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Naming the formats also spares Pillow from importing its ~40 other plugins.
            image = Image.open(io.BytesIO(data), formats=DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("not_image") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected("not_image")
    if image.width * image.height > MAX_PIXELS:
        raise ImageRejected("too_many_pixels")
    return image


def _oriented_largest(image: Image.Image) -> Image.Image:
    """Decode (at reduced scale when possible), orient upright, in sRGB, with no metadata."""
    target = max(WIDTHS)
    try:
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError):
        orientation = 1  # unreadable EXIF: treat as upright; it is dropped anyway
    sideways = orientation in SIDEWAYS_ORIENTATIONS
    if image.format in ("JPEG", "MPO"):
        # The decoder scales by 1/2, 1/4 or 1/8 for free; ask for just enough for `target` wide
        # after rotation (a sideways photo's stored height becomes its width).
        image.draft("RGB", (1, target) if sideways else (target, 1))
    icc_profile = image.info.get("icc_profile")
    try:
        image.load()
        # In place: the decoded photo is not copied just to be turned upright.
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # Truncated or corrupt data: Pillow refuses to decode it.
        raise ImageRejected("damaged") from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha else "RGB"
    clean = image if image.mode == mode else image.convert(mode)
    # Start from an empty info: exif_transpose leaves the GPS block in info["exif"], and farmers'
    # phone photos carry their home's coordinates. Nothing below ever passes metadata to save().
    clean.info = {}
    if clean.width > target:
        # Box-reduce by a whole factor first (cheap), then resample the rest with Lanczos.
        factor = clean.width // target
        if factor >= 2:
            clean = clean.reduce(factor)
        height = max(1, round(clean.height * target / clean.width))
        clean = clean.resize((target, height), Image.Resampling.LANCZOS)
    if icc_profile:
        clean = _to_srgb(clean, icc_profile)
    clean.info = {}
    return clean


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert colours from the photo's embedded profile (e.g. a phone's Display P3) to sRGB.

    The profile itself is not kept, so without this the colours of wide-gamut photos would fade.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are


def _encode_webp(image: Image.Image, width: int) -> bytes:
    """Encode as WebP, passing no EXIF, XMP or ICC data."""
    buffer = io.BytesIO()
    image.save(
        buffer,
        "WEBP",
        quality=WEBP_QUALITY,
        method=WEBP_METHODS.get(width, DEFAULT_WEBP_METHOD),
    )
    return buffer.getvalue()
