"""The photo pipeline: verify, orient, strip metadata, re-encode to WebP. The only module using Pillow.

It also draws the pictures made for sharing: QR codes and the share kit's poster (at the end).

Every picture (seeded or uploaded) becomes WebP renditions at up to three widths plus a square
thumbnail, stored under a content hash so that URLs can be cached for a year. An upload is only
verified in its request (verify_image) and kept under a private name (original_name); a job
makes its renditions (process_image) from that original.

Speed (bench/images.py, docs/benchmarks.md): a 4000x3000 phone photo must be done in well under
a second on one core. The levers, in order of effect: JPEG draft decoding (the decoder itself
scales by 1/2, 1/4 or 1/8, so a 12-megapixel photo is never decoded whole), deriving each smaller
size from the previous one, and a cheaper WebP `method` for the largest size, whose encoding
dominates the cost.
"""

import functools
import hashlib
import hmac
import io
import logging
import os
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

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

log = logging.getLogger(__name__)


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


def original_name(key: str, secret: str) -> str:
    """The private name an uploaded original is kept under until its renditions are made.

    Keyed with the app's secret: a rendition's public name gives away `key`, and an original
    still carries the camera's EXIF (a farm's GPS position), so its name must not be guessable
    even where MEDIA_URL serves the store itself. /media serves only .webp names.
    """
    digest = hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()
    return f"original-{digest[:48]}"


def verify_image(data: bytes, max_bytes: int) -> ProcessedImage:
    """Check uploaded bytes the way process_image does, without making any rendition.

    Cheap enough for a request: the header is read, a JPEG is decoded at 1/8 scale (which still
    reads every byte, so truncated data is caught), and the size of the largest rendition is
    worked out. Returns the key and that size, with no files.
    :raises ImageRejected: for the same bytes process_image refuses.
    """
    if len(data) > max_bytes:
        raise ImageRejected("too_large")
    image = _open_verified(data)
    width, height = image.size
    try:
        orientation = image.getexif().get(ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError):
        orientation = 1
    if orientation in SIDEWAYS_ORIENTATIONS:
        width, height = height, width
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("damaged") from None
    target = max(WIDTHS)
    if width > target:
        width, height = target, max(1, round(height * target / width))
    return ProcessedImage(key=content_key(data), width=width, height=height)


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


# --- Share pictures: QR codes and the share poster (the training sandbox's share kit) --------

#: A portrait that WeChat Moments and video channels show whole, without cropping.
POSTER_SIZE = (1080, 1440)
POSTER_COVER_HEIGHT = 700
POSTER_MARGIN = 60
POSTER_QR_SIDE = 300
#: Colours of the site (static/css/site.css): paper, ink, muted ink, brand green, accent.
POSTER_COLOURS = {
    "paper": (251, 250, 246),
    "ink": (31, 42, 31),
    "muted": (77, 90, 77),
    "brand": (47, 107, 58),
    "accent": (180, 68, 28),
}
#: The simplified Chinese face of the Noto Sans CJK collection (noto-cjk-sans-otc on PyPI,
#: SIL OFL), so Chinese renders on every machine `make run` sets up, with no system font.
CJK_FACE = "Noto Sans CJK SC"
#: Noto Color Emoji (SIL OFL; Debian's fonts-noto-color-emoji, which `make run` and `make test`
#: install through scripts/ensure-fonts.sh). VM_EMOJI_FONT names another file.
EMOJI_FONT_FILES = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
)
#: A bitmap font: its glyphs exist at this one size only and are scaled to the text's size.
EMOJI_BITMAP_SIZE = 109
#: Characters that belong to the emoji before them: zero-width joiner, variation selectors,
#: the combining keycap, skin tones and the tag characters of subdivision flags.
_EMOJI_JOINERS = re.compile("[\u200d\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")
#: Characters shown as emoji by default (pictographs, symbols, flags' regional indicators).
_EMOJI_PRESENTATION = re.compile("[\U0001f000-\U0001faff]")
#: Latin words and numbers stay whole when a title wraps; CJK text may break between characters.
_WRAP_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.,:%/&+\-]*|\s+|.", re.DOTALL)


def _qr_code(address: str):
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(address)
    code.make(fit=True)
    return code


def qr_svg(address: str) -> str:
    """An address as a QR code in SVG, for pages and downloads (scales without blurring)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(address, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def qr_png(address: str, module: int = 12) -> bytes:
    """An address as a QR code in PNG (what phones and WeChat save), `module` pixels a module."""
    matrix = _qr_code(address).get_matrix()  # includes the four-module quiet zone
    side = module * len(matrix)
    canvas = Image.new("1", (side, side), 1)
    _draw_qr(canvas, address, (0, 0, side), matrix=matrix, dark=0, light=1)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@functools.cache
def _cjk_font_file() -> tuple[str, int]:
    """The collection's path and the index of its simplified Chinese face."""
    import noto_cjk_sans_otc

    path = str(noto_cjk_sans_otc.FONT_PATH)
    for index in range(16):
        try:
            face = ImageFont.truetype(path, 12, index=index)
        except OSError:
            break
        if face.getname()[0] == CJK_FACE:
            return path, index
    raise RuntimeError(f"{CJK_FACE} is not in {path}")


@functools.lru_cache(maxsize=8)
def poster_font(size: int) -> ImageFont.FreeTypeFont:
    """The poster's typeface (Noto Sans CJK SC) at a pixel size."""
    path, index = _cjk_font_file()
    return ImageFont.truetype(path, size, index=index)


@functools.cache
def emoji_font() -> ImageFont.FreeTypeFont | None:
    """Noto Color Emoji at its bitmap size, or None (logged once) when it cannot be loaded."""
    chosen = os.environ.get("VM_EMOJI_FONT")
    candidates = [chosen] if chosen else list(EMOJI_FONT_FILES)
    path = next((candidate for candidate in candidates if os.path.isfile(candidate)), None)
    if path is None:
        log.warning(
            "Share posters draw emoji without colour: no colour emoji font at %s. "
            "Install Debian's fonts-noto-color-emoji (scripts/ensure-fonts.sh does).",
            ", ".join(candidates),
        )
        return None
    try:
        return ImageFont.truetype(path, EMOJI_BITMAP_SIZE)
    except OSError as error:
        log.warning("Share posters draw emoji without colour: cannot load %s (%s).", path, error)
        return None


@functools.lru_cache(maxsize=4096)
def _font_has(font: ImageFont.FreeTypeFont, character: str) -> bool:
    """Whether the font has its own glyph for a character (not the missing-glyph box)."""
    if font is emoji_font():
        # The colour font's missing glyph is empty; every real one has pixels.
        left, top, right, bottom = font.getbbox(character)
        return bottom > top
    missing = font.getmask("\U000f0000")  # a private-use character no font draws
    mask = font.getmask(character)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def _runs(text: str, font: ImageFont.FreeTypeFont) -> list[tuple[str, bool]]:
    """The text cut into (run, is_emoji) pieces: emoji come from the colour font, character by
    character, where the text font lacks them or they are shown as emoji by default."""
    emoji = emoji_font()
    runs: list[tuple[str, bool]] = []
    for character in text:
        if emoji is None:
            is_emoji = False
        elif _EMOJI_JOINERS.match(character) and runs and runs[-1][1]:
            is_emoji = True
        else:
            wanted = _EMOJI_PRESENTATION.match(character) or not _font_has(font, character)
            is_emoji = bool(wanted) and _font_has(emoji, character)
        if runs and runs[-1][1] == is_emoji:
            runs[-1] = (runs[-1][0] + character, is_emoji)
        else:
            runs.append((character, is_emoji))
    return runs


def _emoji_scale(font: ImageFont.FreeTypeFont) -> float:
    """How much the colour font's bitmaps shrink so an emoji stands as tall as the text's em."""
    ascent, descent = emoji_font().getmetrics()
    return font.size / (ascent + descent)


def _text_length(text: str, font: ImageFont.FreeTypeFont) -> float:
    """The drawn width of text mixing the poster face and colour emoji."""
    total = 0.0
    for run, is_emoji in _runs(text, font):
        if is_emoji:
            total += emoji_font().getlength(run) * _emoji_scale(font)
        else:
            total += font.getlength(run)
    return total


def _draw_text(canvas: Image.Image, xy: tuple[float, float], text: str, font, fill) -> None:
    """Draw text at xy (left, top of the line), emoji in colour scaled to the font's size."""
    x, y = xy
    draw = ImageDraw.Draw(canvas)
    ascent, descent = font.getmetrics()
    for run, is_emoji in _runs(text, font):
        if not is_emoji:
            draw.text((x, y), run, font=font, fill=fill)
            x += font.getlength(run)
            continue
        emoji = emoji_font()
        scale = _emoji_scale(font)
        width = emoji.getlength(run)
        ascent_e, descent_e = emoji.getmetrics()
        glyphs = Image.new("RGBA", (max(1, round(width)), ascent_e + descent_e), (0, 0, 0, 0))
        ImageDraw.Draw(glyphs).text((0, 0), run, font=emoji, embedded_color=True)
        size = (max(1, round(width * scale)), max(1, round((ascent_e + descent_e) * scale)))
        glyphs = glyphs.resize(size, Image.Resampling.LANCZOS)
        # Centred on the line the text occupies.
        top = round(y + (ascent + descent - size[1]) / 2)
        canvas.paste(glyphs, (round(x), top), glyphs)
        x += width * scale


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Lines of at most `width` pixels; past `max_lines` the last one ends with an ellipsis."""
    tokens: list[str] = []
    for token in _WRAP_TOKENS.findall(" ".join(text.split())):
        # A word wider than the whole line is broken between its letters.
        tokens.extend(token if _text_length(token, font) > width else [token])
    lines: list[str] = []
    current = ""
    for token in tokens:
        if current and _text_length(current + token, font) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_length(last + "…", font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _poster_cover(cover: bytes | None, size: tuple[int, int]) -> Image.Image:
    """The cover photo cropped to fill `size`, or a plain brand-coloured block without one."""
    if cover:
        try:
            image = Image.open(io.BytesIO(cover), formats=DECODERS)
            image.load()
            return ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            pass  # a damaged stored file: the poster is still useful without the photo
    return Image.new("RGB", size, POSTER_COLOURS["brand"])


def _draw_qr(
    canvas: Image.Image,
    address: str,
    box: tuple[int, int, int],
    *,
    matrix: list[list[bool]] | None = None,
    dark=(0, 0, 0),
    light=(255, 255, 255),
) -> None:
    """Draw the address's QR code, dark on light with its quiet zone, in a square box."""
    left, top, side = box
    matrix = matrix or _qr_code(address).get_matrix()
    module = max(1, side // len(matrix))
    drawn = module * len(matrix)
    left, top = left + (side - drawn) // 2, top + (side - drawn) // 2
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, top, left + drawn - 1, top + drawn - 1), fill=light)
    for row, cells in enumerate(matrix):
        for column, is_dark in enumerate(cells):
            if is_dark:
                x, y = left + column * module, top + row * module
                draw.rectangle((x, y, x + module - 1, y + module - 1), fill=dark)


def render_share_poster(
    cover: bytes | None,
    title: str,
    price_text: str,
    shop_name: str,
    url: str,
    *,
    mark: str = "练习店铺 · Practice shop",
    hint: str = "",
) -> bytes:
    """A PNG poster to post on WeChat Moments: cover, title, price, shop name and a QR code.

    `cover` is a stored rendition's bytes (None: a plain coloured block); `url` is what the QR
    code opens; `mark` (empty: none) is printed over the cover, `hint` under the shop name.
    """
    width, height = POSTER_SIZE
    margin = POSTER_MARGIN
    colours = POSTER_COLOURS
    canvas = Image.new("RGB", POSTER_SIZE, colours["paper"])
    canvas.paste(_poster_cover(cover, (width, POSTER_COVER_HEIGHT)), (0, 0))
    draw = ImageDraw.Draw(canvas)

    if mark:
        font = poster_font(34)
        left, top, right, bottom = draw.textbbox((margin + 22, margin + 12), mark, font=font)
        draw.rounded_rectangle(
            (margin, margin, right + 22, bottom + 14), radius=14, fill=colours["accent"]
        )
        draw.text((margin + 22, margin + 12), mark, font=font, fill=(255, 255, 255))

    y = POSTER_COVER_HEIGHT + 36
    font = poster_font(62)
    for line in _wrap(title, font, width - 2 * margin, 2):
        _draw_text(canvas, (margin, y), line, font, colours["ink"])
        y += 84
    y += 8
    draw.text((margin, y), price_text, font=poster_font(76), fill=colours["accent"])

    qr_top = height - margin - POSTER_QR_SIDE
    draw.line((margin, qr_top - 30, width - margin, qr_top - 30), fill=(220, 216, 204), width=2)
    text_width = width - 3 * margin - POSTER_QR_SIDE
    y = qr_top + 20
    font = poster_font(44)
    for line in _wrap(shop_name, font, text_width, 2):
        _draw_text(canvas, (margin, y), line, font, colours["ink"])
        y += 62
    if hint:
        font = poster_font(32)
        for line in _wrap(hint, font, text_width, 3):
            y += 8
            draw.text((margin, y), line, font=font, fill=colours["muted"])
            y += 40
    _draw_qr(canvas, url, (width - margin - POSTER_QR_SIDE, qr_top, POSTER_QR_SIDE))

    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue()
