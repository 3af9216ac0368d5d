"""Draw the seed product pictures for Village Market (乡村集市).

Every ``[[product]]`` in ``seed_data/shops/*.toml`` gets a flat illustration saved as
``seed_data/pictures/<key>.webp`` (1600x1200, WebP quality 80). Pictures are drawn with
Pillow shapes only (no fonts, no downloads, no text) at 2x size and downscaled with
LANCZOS for smooth edges. Randomness is seeded from the product key, so reruns produce
the same pictures.

Run from the repository root::

    .venv/bin/python scripts/make_pictures.py

``PICTURES`` maps each product key to a motif (drawing function) and a palette. The
script stops with an error if a product in the TOML files has no entry there, so no
product can silently go without a picture.
"""

from __future__ import annotations

import math
import random
import sys
import time
import tomllib
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed_data"
SHOPS_DIR = SEED_DIR / "shops"
OUT_DIR = SEED_DIR / "pictures"

OUT_SIZE = (1600, 1200)
SCALE = 2
W, H = OUT_SIZE[0] * SCALE, OUT_SIZE[1] * SCALE
TABLE_Y = 1560  # where the tabletop starts, in 2x canvas pixels

Color = tuple[int, int, int]
Point = tuple[float, float]


# --------------------------------------------------------------------------- colours


def rgb(c: str | Color) -> Color:
    """Return an RGB tuple for a hex string or tuple."""
    if isinstance(c, str):
        r, g, b = ImageColor.getrgb(c)[:3]
        return (r, g, b)
    return c


def mix(a: str | Color, b: str | Color, t: float) -> Color:
    """Blend colour ``a`` towards ``b`` by fraction ``t``."""
    ca, cb = rgb(a), rgb(b)
    return (
        round(ca[0] + (cb[0] - ca[0]) * t),
        round(ca[1] + (cb[1] - ca[1]) * t),
        round(ca[2] + (cb[2] - ca[2]) * t),
    )


def lighten(c: str | Color, t: float) -> Color:
    """Blend a colour towards white."""
    return mix(c, (255, 255, 255), t)


def darken(c: str | Color, t: float) -> Color:
    """Blend a colour towards black."""
    return mix(c, (0, 0, 0), t)


def jitter(c: str | Color, rng: random.Random, amount: float = 0.12) -> Color:
    """Randomly lighten or darken a colour a little."""
    t = rng.uniform(-amount, amount)
    return lighten(c, t) if t > 0 else darken(c, -t)


# --------------------------------------------------------------------------- geometry


def oval(
    cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 64
) -> list[Point]:
    """Return polygon points of an ellipse rotated by ``angle`` radians."""
    ca, sa = math.cos(angle), math.sin(angle)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return pts


def rotate(points: list[Point], angle: float, cx: float, cy: float) -> list[Point]:
    """Rotate points around (cx, cy)."""
    ca, sa = math.cos(angle), math.sin(angle)
    return [
        (cx + (x - cx) * ca - (y - cy) * sa, cy + (x - cx) * sa + (y - cy) * ca) for x, y in points
    ]


def local(cx: float, cy: float, angle: float, u: float, v: float) -> Point:
    """Map local (u along ``angle``, v across it) coordinates to canvas coordinates."""
    ca, sa = math.cos(angle), math.sin(angle)
    return (cx + u * ca - v * sa, cy + u * sa + v * ca)


def bezier(p0: Point, p1: Point, p2: Point, n: int = 24) -> list[Point]:
    """Return points along a quadratic Bezier curve."""
    pts = []
    for i in range(n + 1):
        t = i / n
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
        pts.append((a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]))
    return pts


def leaf_points(cx: float, cy: float, length: float, width: float, angle: float) -> list[Point]:
    """Return a pointed leaf outline starting at (cx, cy) and pointing along ``angle``."""
    top, bottom = [], []
    for i in range(21):
        t = i / 20
        half = width / 2 * math.sin(math.pi * t) ** 0.8
        top.append(local(cx, cy, angle, t * length, -half))
        bottom.append(local(cx, cy, angle, t * length, half))
    return top + bottom[::-1]


def ell(d: ImageDraw.ImageDraw, cx: float, cy: float, rx: float, ry: float, fill, **kw) -> None:
    """Draw an axis-aligned ellipse by centre and radii."""
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill, **kw)


# --------------------------------------------------------------------------- scene


class Scene:
    """A product layer (RGBA) plus a shadow mask, drawn at 2x size."""

    def __init__(self, pal: dict, seed: int) -> None:
        self.pal = pal
        self.rng = random.Random(seed)
        self.layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        self.d = ImageDraw.Draw(self.layer)
        self.shadow = Image.new("L", (W, H), 0)
        self.sd = ImageDraw.Draw(self.shadow)

    def cast(self, cx: float, cy: float, rx: float, ry: float, strength: int = 150) -> None:
        """Add a soft elliptical shadow (blurred later) under an object."""
        ell(self.sd, cx, cy, rx, ry, strength)

    @contextmanager
    def glaze(self, clip: Image.Image | None = None) -> Iterator[ImageDraw.ImageDraw]:
        """Draw on a temporary layer that is alpha-blended on top (optionally clipped)."""
        tmp = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        yield ImageDraw.Draw(tmp)
        if clip is not None:
            tmp.putalpha(ImageChops.multiply(tmp.getchannel("A"), clip))
        self.layer.alpha_composite(tmp)


def shaded(d, cx, cy, rx, ry, colour, angle=0.0, shine=0.45, rim=0.3) -> None:
    """Draw a rounded body lit from the upper left: dark rim, lit core and a highlight."""
    c = rgb(colour)
    m = (rx + ry) / 2
    d.polygon(oval(cx, cy, rx, ry, angle), fill=darken(c, rim))
    d.polygon(oval(cx - 0.06 * m, cy - 0.07 * m, rx * 0.88, ry * 0.88, angle), fill=c)
    # highlight towards the upper left, inside the outline
    ux, uy = -0.6, -0.8
    ca, sa = math.cos(angle), math.sin(angle)
    lx, ly = ux * ca + uy * sa, -ux * sa + uy * ca
    reach = 1 / math.sqrt((lx / rx) ** 2 + (ly / ry) ** 2)
    hx, hy = cx + 0.5 * reach * ux, cy + 0.5 * reach * uy
    if shine > 0:
        d.polygon(oval(hx, hy, 0.22 * rx, 0.14 * ry, angle - 0.5), fill=lighten(c, shine))


def box(d, base: Point, w: float, dep: float, h: float, top, left, right) -> dict[str, list[Point]]:
    """Draw an isometric box whose nearest bottom corner is ``base``; return its faces."""
    ux, uy = -0.87, -0.3
    vx, vy = 0.87, -0.3
    bx, by = base
    b = (bx, by)
    bu = (bx + ux * w, by + uy * w)
    bv = (bx + vx * dep, by + vy * dep)
    buv = (bx + ux * w + vx * dep, by + uy * w + vy * dep)

    def up(p: Point) -> Point:
        return (p[0], p[1] - h)

    faces = {
        "left": [b, bu, up(bu), up(b)],
        "right": [b, bv, up(bv), up(b)],
        "top": [up(b), up(bu), up(buv), up(bv)],
    }
    d.polygon(faces["left"], fill=rgb(left))
    d.polygon(faces["right"], fill=rgb(right))
    d.polygon(faces["top"], fill=rgb(top))
    return faces


def face_point(face: list[Point], s: float, t: float) -> Point:
    """Bilinear point inside a four-corner face (s, t in 0..1)."""
    p0, p1, p2, p3 = face
    a = (p0[0] + (p1[0] - p0[0]) * s, p0[1] + (p1[1] - p0[1]) * s)
    b = (p3[0] + (p2[0] - p3[0]) * s, p3[1] + (p2[1] - p3[1]) * s)
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def bowl(sc: Scene, cx, rim_y, rx, depth, body, fill: Callable[[], None] | None = None, band=None):
    """Draw a bowl; ``fill`` draws the contents between the back rim and the front body."""
    d = sc.d
    ry = rx * 0.22
    body = rgb(body)
    sc.cast(cx, rim_y + depth + 10, rx * 0.85, ry * 0.7, 170)
    foot_y = rim_y + depth
    d.polygon(
        [
            (cx - rx * 0.35, foot_y - 40),
            (cx + rx * 0.35, foot_y - 40),
            (cx + rx * 0.3, foot_y + 30),
            (cx - rx * 0.3, foot_y + 30),
        ],
        fill=darken(body, 0.3),
    )
    ell(d, cx, foot_y + 30, rx * 0.3, ry * 0.25, darken(body, 0.3))
    ell(d, cx, rim_y, rx, ry, darken(body, 0.45))
    d.arc((cx - rx, rim_y - ry, cx + rx, rim_y + ry), 180, 360, fill=lighten(body, 0.15), width=10)
    if fill:
        fill()
    top = [(cx + rx * math.cos(t), rim_y + ry * math.sin(t)) for t in _steps(math.pi, 0, 40)]
    bottom = [(cx + rx * math.cos(t), rim_y + depth * math.sin(t)) for t in _steps(0, math.pi, 40)]
    d.polygon(top + bottom, fill=body)
    # soft light on the left, darker right flank
    lit = [
        (cx + rx * 0.92 * math.cos(t) - rx * 0.05, rim_y + ry * 0.9 * math.sin(t) + 6)
        for t in _steps(math.pi, math.pi / 2, 20)
    ]
    lit += [
        (cx + rx * 0.55 * math.cos(t) - rx * 0.3, rim_y + depth * 0.85 * math.sin(t))
        for t in _steps(math.pi / 2, math.pi, 20)
    ]
    d.polygon(lit, fill=lighten(body, 0.12))
    if band is not None:
        f = 0.3
        hw = rx * math.sqrt(1 - f * f) * 0.96
        y0 = rim_y + depth * f
        d.arc((cx - hw, y0 - ry * 0.95, cx + hw, y0 + ry * 0.95), 8, 172, fill=rgb(band), width=22)
        d.arc(
            (cx - hw * 0.93, y0 + 30 - ry * 0.9, cx + hw * 0.93, y0 + 30 + ry * 0.9),
            10,
            170,
            fill=rgb(band),
            width=8,
        )
    d.arc((cx - rx, rim_y - ry, cx + rx, rim_y + ry), 0, 180, fill=lighten(body, 0.3), width=14)


def _steps(a: float, b: float, n: int) -> list[float]:
    """Return n+1 evenly spaced values from a to b."""
    return [a + (b - a) * i / n for i in range(n + 1)]


def heap_points(sc: Scene, cx, rim_y, rx, height, count) -> list[Point]:
    """Random points inside a dome above a bowl rim (sorted back to front)."""
    ry = rx * 0.22
    pts = []
    while len(pts) < count:
        x = sc.rng.uniform(-rx, rx)
        y = sc.rng.uniform(-height, ry)
        dome = -height * math.sqrt(max(0.0, 1 - (x / rx) ** 2))
        rim = ry * math.sqrt(max(0.0, 1 - (x / rx) ** 2))
        if dome <= y <= rim:
            pts.append((cx + x, rim_y + y))
    pts.sort(key=lambda p: p[1])
    return pts


def dome(d, cx, rim_y, rx, height, colour) -> None:
    """Fill the dome of a heap above a bowl rim with a base colour."""
    ry = rx * 0.22
    pts = [(cx + rx * math.cos(t), rim_y - height * math.sin(t)) for t in _steps(math.pi, 0, 40)]
    pts += [(cx + rx * math.cos(t), rim_y + ry * math.sin(t)) for t in _steps(0, math.pi, 40)]
    d.polygon(pts, fill=rgb(colour))


# --------------------------------------------------------------------------- motifs


def pear_shape(sc: Scene, cx, cy, s, colour, lean=0.0, leaf=True) -> None:
    """One pear: bottom bulb centred at (cx, cy) with radius ``s``, stem and leaf."""
    d, rng = sc.d, sc.rng
    c = rgb(colour)
    for col, off, k in ((darken(c, 0.25), 0.0, 1.0), (c, -0.06, 0.88)):
        bx, by = cx + off * s, cy + off * s
        tx, ty = bx + lean * s, by - 0.95 * s
        ell(d, bx, by, s * k, s * 0.95 * k, col)
        ell(d, tx, ty, s * 0.56 * k, s * 0.58 * k, col)
        d.polygon(
            [
                (bx - s * 0.9 * k, by - 0.25 * s),
                (tx - s * 0.54 * k, ty),
                (tx + s * 0.54 * k, ty),
                (bx + s * 0.9 * k, by - 0.25 * s),
            ],
            fill=col,
        )
    tx, ty = cx + lean * s, cy - 0.95 * s
    ell(d, cx - 0.4 * s, cy - 0.25 * s, 0.16 * s, 0.24 * s, lighten(c, 0.4))
    ell(d, tx - 0.22 * s, ty - 0.1 * s, 0.08 * s, 0.12 * s, lighten(c, 0.4))
    for _ in range(14):
        a, r = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.8) * s
        ell(d, cx + r * math.cos(a), cy + r * math.sin(a) * 0.9, 5, 5, darken(c, 0.35))
    stem_top = (tx + 0.12 * s, ty - 0.85 * s)
    d.line([(tx, ty - 0.45 * s), stem_top], fill=rgb("#6b4a2b"), width=max(8, int(0.07 * s)))
    if leaf:
        d.polygon(
            leaf_points(stem_top[0] - 8, stem_top[1] + 0.15 * s, 0.75 * s, 0.32 * s, -0.35),
            fill=rgb(sc.pal.get("leaf", "#5f9a3a")),
        )
        p0 = local(stem_top[0] - 8, stem_top[1] + 0.15 * s, -0.35, 0, 0)
        p1 = local(stem_top[0] - 8, stem_top[1] + 0.15 * s, -0.35, 0.7 * s, 0)
        d.line([p0, p1], fill=darken(sc.pal.get("leaf", "#5f9a3a"), 0.3), width=5)


def draw_pears(sc: Scene) -> None:
    """Yellow-green pears in a wooden crate, one more on the table."""
    d, p = sc.d, sc.pal
    wood = rgb(p["wood"])
    x0, x1, top, bot = 820, 2380, 1330, 1930
    sc.cast(1600, bot, 860, 90, 180)
    sc.cast(2690, 1900, 190, 45, 170)
    d.rectangle((x0 + 70, 1140, x1 - 70, top), fill=darken(wood, 0.25))
    d.rectangle((x0 + 70, 1140, x1 - 70, 1170), fill=darken(wood, 0.1))
    for i, x in enumerate(range(1070, 2200, 300)):
        pear_shape(sc, x + 40, 1230, 165, mix(p["main"], "#e8c84a", 0.15 * (i % 2)), lean=0.05)
    for i, x in enumerate(range(1000, 2300, 280)):
        pear_shape(sc, x, 1330, 175, p["main"], lean=(-0.08 if i % 2 else 0.08), leaf=i % 2 == 0)
    d.rectangle((x0, top - 30, x0 + 70, bot), fill=darken(wood, 0.15))
    d.rectangle((x1 - 70, top - 30, x1, bot), fill=darken(wood, 0.15))
    gap_col = darken(wood, 0.5)
    d.rectangle((x0 + 70, top, x1 - 70, bot), fill=gap_col)
    slat_h = (bot - top - 2 * 28) / 3
    for i in range(3):
        y = top + i * (slat_h + 28)
        d.rectangle((x0 + 70, y, x1 - 70, y + slat_h), fill=lighten(wood, 0.08 * (i % 2)))
        d.rectangle((x0 + 70, y, x1 - 70, y + 12), fill=lighten(wood, 0.25))
        for _ in range(4):
            gy = y + sc.rng.uniform(30, slat_h - 20)
            gx = sc.rng.uniform(x0 + 150, x1 - 700)
            d.line(
                [(gx, gy), (gx + sc.rng.uniform(300, 600), gy + sc.rng.uniform(-6, 6))],
                fill=darken(wood, 0.18),
                width=5,
            )
        for nx in (x0 + 110, x1 - 110):
            ell(d, nx, y + slat_h / 2, 11, 11, darken(wood, 0.55))
    pear_shape(sc, 2690, 1740, 165, p["main"], lean=0.12)
    d.polygon(leaf_points(480, 1990, 300, 120, -0.25), fill=rgb(p.get("leaf", "#5f9a3a")))


def apple_shape(d, cx, cy, r, colour, leaf=None) -> None:
    """A red apple: two lobes on top, stem cavity, highlight and stem."""
    c = rgb(colour)
    for col, off, k in ((darken(c, 0.32), 0.0, 1.0), (c, -0.07, 0.88)):
        x, y = cx + off * r, cy + off * r
        ell(d, x, y + 0.05 * r, r * k, r * 0.92 * k, col)
        ell(d, x - 0.38 * r * k, y - 0.35 * r * k, 0.58 * r * k, 0.55 * r * k, col)
        ell(d, x + 0.38 * r * k, y - 0.35 * r * k, 0.58 * r * k, 0.55 * r * k, col)
    ell(d, cx, cy - 0.78 * r, 0.16 * r, 0.07 * r, darken(c, 0.4))
    ell(d, cx - 0.45 * r, cy - 0.35 * r, 0.13 * r, 0.2 * r, lighten(c, 0.55))
    ell(d, cx - 0.62 * r, cy + 0.05 * r, 0.05 * r, 0.08 * r, lighten(c, 0.4))
    d.line(
        bezier(
            (cx, cy - 0.78 * r), (cx + 0.02 * r, cy - 1.05 * r), (cx + 0.15 * r, cy - 1.2 * r), 8
        ),
        fill=rgb("#5b3a22"),
        width=int(0.07 * r),
    )
    if leaf is not None:
        base = (cx + 0.08 * r, cy - 1.0 * r)
        d.polygon(leaf_points(base[0], base[1], 0.75 * r, 0.34 * r, -0.45), fill=rgb(leaf))
        d.line([base, local(base[0], base[1], -0.45, 0.7 * r, 0)], fill=darken(leaf, 0.3), width=5)


def draw_apples(sc: Scene) -> None:
    """Red apples with highlights on a linen cloth."""
    d, p = sc.d, sc.pal
    cloth = rgb(p["cloth"])
    d.polygon([(620, 1640), (2620, 1600), (2840, 2080), (420, 2120)], fill=cloth)
    for i in range(6):
        y = 1660 + i * 75
        d.line([(600 - i * 35, y), (2650 + i * 35, y - 8)], fill=darken(cloth, 0.06), width=6)
    for x, y, r in (
        (1320, 1560, 220),
        (1880, 1540, 215),
        (1040, 1800, 245),
        (1600, 1840, 255),
        (2160, 1790, 240),
    ):
        sc.cast(x + 30, y + r * 0.85, r * 0.95, r * 0.22, 170)
    specs = (
        (1320, 1560, 220, 0.1),
        (1880, 1540, 215, 0.0),
        (1040, 1800, 245, 0.05),
        (1600, 1840, 255, 0.0),
        (2160, 1790, 240, 0.12),
    )
    for i, (x, y, r, t) in enumerate(specs):
        apple_shape(d, x, y, r, mix(p["main"], "#e87a2a", t), leaf=p["leaf"] if i == 3 else None)


def draw_jujubes(sc: Scene) -> None:
    """A glossy pile of dark-red jujubes on a tray or plate."""
    d, p, rng = sc.d, sc.pal, sc.rng
    tray = rgb(p["tray"])
    cx, cy = 1600, 1800
    sc.cast(cx, cy + 60, 950, 200, 170)
    ell(d, cx, cy + 30, 960, 250, darken(tray, 0.3))
    ell(d, cx, cy, 960, 250, tray)
    ell(d, cx, cy + 10, 860, 205, darken(tray, 0.12))
    if p.get("weave"):
        for k in range(1, 9):
            ell(d, cx, cy + 10, 860 * k / 9, 205 * k / 9, None, outline=darken(tray, 0.2), width=5)
    else:
        ell(d, cx, cy + 10, 700, 165, None, outline=lighten(tray, 0.25), width=10)
    rx, ry = p.get("size", (118, 84))
    fruit = []
    while len(fruit) < 48:
        x = rng.uniform(-1, 1)
        y = rng.uniform(-1, 1)
        if x * x + y * y > 1:
            continue
        lift = (1 - x * x) * 300 * (1 - abs(y) * 0.6)
        fruit.append(
            (y * 130 + lift * 0.8, cx + x * 680, cy + y * 130 - lift, rng.uniform(-0.7, 0.7))
        )
    fruit.sort()
    for _order, x, y, a in fruit:
        c = jitter(p["main"], rng, 0.1)
        shaded(d, x, y, rx, ry, c, a, shine=0.6, rim=0.4)
        if p.get("wrinkled"):
            for k in (-0.35, 0.05, 0.4):
                pts = [
                    local(x, y, a, u * rx * 0.7, k * ry + math.sin(u * 5 + k * 7) * 8)
                    for u in _steps(-1, 1, 12)
                ]
                d.line(pts, fill=darken(c, 0.45), width=6)
        end = local(x, y, a, rx * 0.92, 0)
        ell(d, end[0], end[1], 10, 10, rgb("#c9a25c"))
    for x, y, a in ((700, 2050, 0.3), (2520, 2010, -0.4)):
        sc.cast(x, y + 40, rx, 24, 150)
        shaded(d, x, y, rx, ry, p["main"], a, shine=0.6, rim=0.4)


def draw_peach_jar(sc: Scene) -> None:
    """Halved yellow peaches in syrup inside a glass jar, one half on a dish."""
    d, p, rng = sc.d, sc.pal, sc.rng
    x0, y0, x1, y1 = 1180, 760, 2020, 1920
    sc.cast(1600, y1, 470, 70, 190)
    sc.cast(2470, 1900, 280, 60, 160)
    inner = Image.new("L", (W, H), 0)
    ImageDraw.Draw(inner).rounded_rectangle((x0 + 18, y0 + 150, x1 - 18, y1 - 18), 110, fill=255)
    with sc.glaze(inner) as g:
        g.rectangle((x0, y0, x1, y1), fill=(*rgb(p["syrup"]), 200))
    with sc.glaze(inner) as g:
        for row, y in enumerate(range(1000, 1900, 170)):
            for k in range(4):
                x = x0 + 60 + k * 250 + (120 if row % 2 else 0) + rng.uniform(-30, 30)
                a = rng.uniform(-0.5, 0.5)
                c = jitter(p["main"], rng, 0.08)
                shaded(g, x, y + rng.uniform(-20, 20), 150, 105, c, a, shine=0.35)
                if rng.random() < 0.5:
                    g.polygon(oval(x - 10, y, 55, 38, a), fill=mix(c, "#d8502a", 0.35))
    with sc.glaze() as g:
        g.rounded_rectangle((x0, y0 + 120, x1, y1), 130, outline=(255, 255, 255, 150), width=16)
        g.rounded_rectangle((x0 + 60, y0 + 260, x0 + 130, y1 - 150), 35, fill=(255, 255, 255, 110))
        g.rounded_rectangle((x0 + 170, y0 + 300, x0 + 200, y0 + 700), 15, fill=(255, 255, 255, 90))
        g.rounded_rectangle((x1 - 110, y0 + 260, x1 - 50, y1 - 200), 30, fill=(0, 0, 0, 30))
        g.rectangle((x0 + 90, y0 + 60, x1 - 90, y0 + 150), fill=(255, 255, 255, 90))
    lid = rgb(p["lid"])
    d.rounded_rectangle((x0 + 40, y0 - 70, x1 - 40, y0 + 80), 30, fill=lid)
    d.rectangle((x0 + 40, y0 - 40, x1 - 40, y0 - 20), fill=lighten(lid, 0.35))
    for x in range(x0 + 80, x1 - 60, 40):
        d.line([(x, y0 + 5), (x, y0 + 70)], fill=darken(lid, 0.2), width=8)
    dish = rgb("#f4f1ea")
    ell(d, 2470, 1880, 290, 78, darken(dish, 0.15))
    ell(d, 2470, 1865, 290, 72, dish)
    ell(d, 2470, 1870, 200, 45, darken(dish, 0.06))
    shaded(d, 2460, 1810, 175, 110, p["main"], 0.05, shine=0.4)
    d.polygon(oval(2440, 1800, 70, 42, 0.05), fill=mix(p["main"], "#d8502a", 0.4))


def draw_jar(sc: Scene) -> None:
    """A jar with lid and label band (syrup or paste) plus a small dish of the contents."""
    d, p = sc.d, sc.pal
    x0, y0, x1, y1 = 1230, 820, 1970, 1900
    content = rgb(p["content"])
    sc.cast(1600, y1, 420, 70, 190)
    sc.cast(2480, 1900, 280, 55, 160)
    d.rounded_rectangle((x0, y0 + 40, x1, y1), 150, fill=darken(content, 0.2))
    d.rounded_rectangle((x0 + 20, y0 + 170, x1 - 60, y1 - 30), 130, fill=content)
    with sc.glaze() as g:
        g.rectangle((x0 + 80, y0 + 45, x1 - 80, y0 + 140), fill=(255, 255, 255, 80))
        g.rounded_rectangle((x0 + 60, y0 + 230, x0 + 135, y1 - 140), 37, fill=(255, 255, 255, 95))
        g.rounded_rectangle((x0 + 170, y0 + 260, x0 + 200, y0 + 520), 15, fill=(255, 255, 255, 80))
        g.rounded_rectangle((x0, y0 + 40, x1, y1), 150, outline=(255, 255, 255, 90), width=12)
    lid = rgb(p["lid"])
    d.rounded_rectangle((x0 + 30, y0 - 110, x1 - 30, y0 + 70), 34, fill=lid)
    d.rounded_rectangle((x0 + 30, y0 - 110, x1 - 30, y0 - 60), 30, fill=lighten(lid, 0.2))
    for x in range(x0 + 70, x1 - 40, 46):
        d.line([(x, y0 - 50), (x, y0 + 55)], fill=darken(lid, 0.25), width=9)
    label, accent = rgb(p["label"]), rgb(p["accent"])
    ly0, ly1 = 1230, 1590
    d.rectangle((x0, ly0, x1, ly1), fill=label)
    d.rectangle((x0, ly0 + 22, x1, ly0 + 36), fill=accent)
    d.rectangle((x0, ly1 - 36, x1, ly1 - 22), fill=accent)
    ell(d, 1600, (ly0 + ly1) / 2, 120, 120, accent)
    ell(d, 1600, (ly0 + ly1) / 2, 96, 96, label)
    if p["side"] == "pear":
        pear_shape(sc, 1600, (ly0 + ly1) / 2 + 30, 48, p["fruit"], leaf=False)
    else:
        for dx, a in ((-35, 0.5), (35, -0.5)):
            shaded(d, 1600 + dx, (ly0 + ly1) / 2, 28, 46, p["fruit"], a, shine=0.3)
    d.rectangle((x0, ly0, x1, ly1), outline=darken(label, 0.15), width=6)
    dish = rgb("#f4f1ea")
    ell(d, 2480, 1880, 290, 78, darken(dish, 0.15))
    ell(d, 2480, 1865, 290, 72, dish)
    ell(d, 2480, 1850, 170, 52, darken(content, 0.2))
    ell(d, 2470, 1835, 140, 40, content)
    ell(d, 2420, 1822, 40, 12, lighten(content, 0.4))
    if p["side"] == "pear":
        sc.cast(760, 1900, 190, 45, 170)
        pear_shape(sc, 760, 1740, 165, p["fruit"], lean=-0.1)
    else:
        rng = sc.rng
        for _ in range(9):
            x, y = rng.uniform(500, 1000), rng.uniform(1780, 2060)
            sc.cast(x, y + 40, 70, 20, 130)
            shaded(d, x, y, 64, 44, jitter(p["fruit"], rng, 0.1), rng.uniform(-1, 1), shine=0.35)
        for x, y, a in ((2300, 2120, -0.2), (2650, 2090, 0.25)):
            d.polygon(leaf_points(x - 180, y, 360, 70, a), fill=rgb("#c0261a"))
            d.line(
                [local(x - 180, y, a, -50, 0), local(x - 180, y, a, 5, 0)],
                fill=rgb("#3f7a2a"),
                width=16,
            )


def draw_enoki(sc: Scene) -> None:
    """A bundle of enoki: thin cream stems with tiny caps and a paper wrap."""
    d, p, rng = sc.d, sc.pal, sc.rng
    cream = rgb(p["main"])
    bx, by = 1600, 1880
    sc.cast(bx, by + 10, 330, 60, 190)
    stems = []
    for i in range(70):
        u = rng.uniform(-1, 1)
        base = (bx + rng.uniform(-120, 120), by - 40)
        tip = (bx + u * 560, 720 + abs(u) ** 1.6 * 330 + rng.uniform(-60, 60))
        ctrl = (base[0] + (tip[0] - base[0]) * 0.25, (base[1] + tip[1]) / 2)
        stems.append((i % 3 == 0, base, ctrl, tip))
    stems.sort(key=lambda s: not s[0])
    for back, base, ctrl, tip in stems:
        col = darken(cream, 0.12) if back else jitter(cream, rng, 0.05)
        d.line(bezier(base, ctrl, tip, 16), fill=col, width=int(rng.uniform(13, 19)), joint="curve")
    for back, _base, ctrl, tip in stems:
        a = math.atan2(tip[1] - ctrl[1], tip[0] - ctrl[0]) + math.pi / 2
        cap = mix(cream, "#c9a877", 0.35 if back else 0.2)
        d.polygon(oval(tip[0], tip[1], 30, 20, a), fill=cap)
        d.polygon(oval(tip[0] - 5, tip[1] - 6, 15, 9, a), fill=lighten(cap, 0.35))
    wrap = rgb(p["wrap"])
    d.polygon([(bx - 200, 1500), (bx + 200, 1500), (bx + 150, by), (bx - 150, by)], fill=wrap)
    d.polygon(
        [(bx - 200, 1500), (bx - 60, 1500), (bx - 40, by), (bx - 150, by)], fill=lighten(wrap, 0.2)
    )
    d.rectangle((bx - 190, 1610, bx + 190, 1650), fill=lighten(wrap, 0.5))
    ell(d, bx, by, 150, 36, rgb("#b58d5e"))
    for x, y, a in ((2300, 1960, -0.12), (2360, 2010, -0.05), (2250, 2040, -0.18)):
        tip = local(x, y, a, 520, 0)
        sc.cast((x + tip[0]) / 2, y + 30, 280, 25, 130)
        d.line([(x, y), tip], fill=cream, width=16)
        d.polygon(oval(tip[0], tip[1], 20, 30, a), fill=mix(cream, "#c9a877", 0.2))


def walnut_shape(d, rng, cx, cy, r, colour) -> None:
    """A walnut in shell: wrinkled brown round with a seam."""
    c = jitter(colour, rng, 0.08)
    shaded(d, cx, cy, r, r * 0.9, c, 0.0, shine=0.25, rim=0.35)
    d.arc(
        (cx - r * 0.2, cy - r * 0.9, cx + r * 0.2, cy + r * 0.9),
        -80,
        80,
        fill=darken(c, 0.45),
        width=9,
    )
    for _ in range(14):
        a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.7) * r
        x, y = cx + rr * math.cos(a), cy + rr * math.sin(a) * 0.9
        pts = [(x + k * 14, y + math.sin(k * 1.7 + a) * 12) for k in range(-2, 3)]
        d.line(pts, fill=darken(c, rng.uniform(0.25, 0.4)), width=6, joint="curve")
    ell(d, cx, cy - r * 0.88, 12, 10, darken(c, 0.4))


def draw_walnuts(sc: Scene) -> None:
    """A small heap of walnuts in shell and a cracked one showing the kernel."""
    d, p, rng = sc.d, sc.pal, sc.rng
    spots = [
        (1150, 1600),
        (1450, 1580),
        (1760, 1590),
        (2060, 1610),
        (1000, 1780),
        (1300, 1770),
        (1610, 1780),
        (1920, 1780),
        (1300, 1420),
        (1620, 1420),
        (1470, 1300),
    ]
    sc.cast(1550, 1900, 820, 110, 170)
    for x, y in sorted(spots, key=lambda s: s[1]):
        if y < 1500:
            walnut_shape(d, rng, x, y + 40, 165, p["main"])
    for x, y in sorted(spots, key=lambda s: s[1]):
        if y >= 1500:
            walnut_shape(d, rng, x, y + 40, 170, p["main"])
    cx, cy = 2420, 1900
    sc.cast(cx, cy + 60, 230, 55, 180)
    shell = rgb(p["main"])
    ell(d, cx, cy + 20, 220, 120, darken(shell, 0.35))
    ell(d, cx, cy, 210, 110, shell)
    ell(d, cx, cy, 175, 86, rgb("#e6cfa6"))
    kernel = rgb(p["kernel"])
    for dx, dy, rx, ry in (
        (-80, -20, 70, 40),
        (80, -20, 70, 40),
        (-90, 30, 60, 35),
        (90, 30, 60, 35),
        (-30, 0, 45, 50),
        (30, 0, 45, 50),
    ):
        ell(d, cx + dx, cy + dy, rx, ry, darken(kernel, 0.15))
        ell(d, cx + dx - 8, cy + dy - 8, rx * 0.75, ry * 0.7, kernel)
    d.line([(cx, cy - 80), (cx, cy + 80)], fill=darken(kernel, 0.35), width=8)
    for x, y in ((2100, 2080), (2750, 2040), (800, 2070)):
        pts = [
            (x + 60 * math.cos(a) * rng.uniform(0.5, 1), y + 35 * math.sin(a) * rng.uniform(0.5, 1))
            for a in _steps(0, 2 * math.pi, 7)[:-1]
        ]
        d.polygon(pts, fill=darken(shell, 0.1))


def draw_stick(sc: Scene) -> None:
    """A carved wooden walking stick leaning diagonally, with a round knob and a tassel."""
    d, p = sc.d, sc.pal
    wood = rgb(p["wood"])
    tip, top = (980, 1990), (2260, 520)
    ang = math.atan2(top[1] - tip[1], top[0] - tip[0])
    length = math.dist(tip, top)
    sc.cast(tip[0] + 20, tip[1] + 10, 120, 30, 200)
    sc.sd.line([(tip[0] + 40, tip[1] - 10), (top[0] + 170, top[1] + 70)], fill=90, width=110)

    def shaft(width0: float, width1: float, v_off: float, colour) -> None:
        pts_a, pts_b = [], []
        for u in _steps(0, length - 60, 30):
            w = width0 + (width1 - width0) * u / length
            pts_a.append(local(tip[0], tip[1], ang, u, -w / 2 + v_off))
            pts_b.append(local(tip[0], tip[1], ang, u, w / 2 + v_off))
        d.polygon(pts_a + pts_b[::-1], fill=colour)

    shaft(70, 96, 0, darken(wood, 0.3))
    shaft(40, 56, -8, wood)
    shaft(12, 16, -18, lighten(wood, 0.3))
    for u in _steps(320, length - 260, 6):
        a = local(tip[0], tip[1], ang, u, -48)
        b = local(tip[0], tip[1], ang, u, 48)
        d.line([a, b], fill=darken(wood, 0.5), width=14)
        d.line(
            [local(tip[0], tip[1], ang, u + 18, -48), local(tip[0], tip[1], ang, u + 18, 48)],
            fill=lighten(wood, 0.2),
            width=6,
        )
    for u in _steps(360, length - 300, 24):
        a = local(tip[0], tip[1], ang, u, -36)
        b = local(tip[0], tip[1], ang, u + 40, 36)
        d.line([a, b], fill=darken(wood, 0.42), width=7)
    ferrule = [
        local(tip[0], tip[1], ang, u, v) for u, v in ((-10, -36), (90, -38), (90, 38), (-10, 36))
    ]
    d.polygon(ferrule, fill=rgb("#4a4038"))
    neck = local(tip[0], tip[1], ang, length - 90, 0)
    d.polygon(oval(neck[0], neck[1], 60, 80, ang), fill=darken(wood, 0.35))
    knob = local(tip[0], tip[1], ang, length + 40, 0)
    shaded(d, knob[0], knob[1], 135, 125, mix(wood, "#7a4a22", 0.3), ang, shine=0.35, rim=0.4)
    for k in range(3):
        d.arc(
            (
                knob[0] - 90 + k * 20,
                knob[1] - 90 + k * 20,
                knob[0] + 90 - k * 20,
                knob[1] + 90 - k * 20,
            ),
            200,
            320,
            fill=darken(wood, 0.4),
            width=6,
        )
    tassel = rgb(p["tassel"])
    hang = local(tip[0], tip[1], ang, length - 220, 40)
    end = (hang[0] + 30, hang[1] + 330)
    d.line(bezier(hang, (hang[0] + 60, hang[1] + 160), end, 12), fill=tassel, width=12)
    ell(d, end[0], end[1], 30, 30, darken(tassel, 0.2))
    for k in range(-5, 6):
        d.line([end, (end[0] + k * 11, end[1] + 210 + abs(k) * -6)], fill=tassel, width=9)
    d.rectangle((end[0] - 34, end[1] + 40, end[0] + 34, end[1] + 60), fill=rgb("#e0b23a"))


def draw_papercut(sc: Scene) -> None:
    """A framed red paper-cut with a mirrored, eight-fold symmetric pattern."""
    d, p = sc.d, sc.pal
    red, paper, frame = rgb(p["red"]), rgb(p["paper"]), rgb(p["frame"])
    fx0, fy0, fx1, fy1 = 940, 300, 2260, 1730
    sc.cast(1600, fy1 + 10, 720, 60, 200)
    sc.sd.rectangle((fx0 + 60, fy0 + 70, fx1 + 70, fy1 - 20), fill=110)
    d.rectangle((fx0, fy0, fx1, fy1), fill=frame)
    d.rectangle((fx0 + 14, fy0 + 14, fx1 - 14, fy1 - 14), fill=lighten(frame, 0.15))
    d.rectangle((fx0 + 60, fy0 + 60, fx1 - 60, fy1 - 60), fill=darken(frame, 0.3))
    px0, py0, px1, py1 = fx0 + 70, fy0 + 70, fx1 - 70, fy1 - 70
    d.rectangle((px0, py0, px1, py1), fill=paper)
    cx, cy = (px0 + px1) / 2, (py0 + py1) / 2
    big = 500
    for k in range(16):
        a = 2 * math.pi * k / 16
        ell(d, cx + big * math.cos(a), cy + big * math.sin(a), 62, 62, red)
    ell(d, cx, cy, big, big, red)
    for k in range(16):
        a = 2 * math.pi * k / 16
        ell(d, cx + (big + 20) * math.cos(a), cy + (big + 20) * math.sin(a), 18, 18, paper)
    for k in range(8):
        a = 2 * math.pi * k / 8 - math.pi / 2
        d.polygon(leaf_points(*local(cx, cy, a, 110, 0), 290, 150, a), fill=paper)
        d.polygon(leaf_points(*local(cx, cy, a, 170, 0), 170, 44, a), fill=red)
        b = a + math.pi / 8
        ell(d, *local(cx, cy, b, 300, 0), 34, 34, paper)
        d.polygon(leaf_points(*local(cx, cy, b, 170, 0), 90, 40, b), fill=paper)
    for k in range(24):
        a = 2 * math.pi * k / 24
        q = local(cx, cy, a, 430, 0)
        d.polygon(
            [
                local(q[0], q[1], a, -34, 0),
                local(q[0], q[1], a, 0, -18),
                local(q[0], q[1], a, 34, 0),
                local(q[0], q[1], a, 0, 18),
            ],
            fill=paper,
        )
    ell(d, cx, cy, 95, 95, paper)
    ell(d, cx, cy, 62, 62, red)
    for k in range(6):
        a = 2 * math.pi * k / 6
        ell(d, *local(cx, cy, a, 32, 0), 12, 12, paper)
    for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
        ox = px0 if sx < 0 else px1
        oy = py0 if sy < 0 else py1
        start = {(-1, -1): 0, (1, -1): 90, (1, 1): 180, (-1, 1): 270}[(sx, sy)]
        d.pieslice((ox - 200, oy - 200, ox + 200, oy + 200), start, start + 90, fill=red)
        for k in range(1, 5):
            a = math.radians(start + 18 * k)
            d.line(
                [
                    (ox + 50 * math.cos(a), oy + 50 * math.sin(a)),
                    (ox + 175 * math.cos(a), oy + 175 * math.sin(a)),
                ],
                fill=paper,
                width=14,
            )
        ell(d, ox, oy, 35, 35, paper)


def draw_sugar_blocks(sc: Scene) -> None:
    """A stack of brown sugar blocks with a few loose pieces and crumbs."""
    d, p, rng = sc.d, sc.pal, sc.rng
    c = rgb(p["main"])

    def block(x: float, y: float, s: float) -> None:
        col = jitter(c, rng, 0.06)
        faces = box(d, (x, y), s, s, s * 0.9, lighten(col, 0.2), col, darken(col, 0.28))
        for name, shade in (("top", 0.2), ("left", 0.0), ("right", -0.28)):
            base = lighten(col, shade) if shade >= 0 else darken(col, -shade)
            for _ in range(26):
                q = face_point(faces[name], rng.uniform(0.06, 0.94), rng.uniform(0.06, 0.94))
                dot = lighten(base, 0.25) if rng.random() < 0.5 else darken(base, 0.2)
                ell(d, q[0], q[1], 6, 6, dot)
        d.line(faces["top"] + [faces["top"][0]], fill=lighten(col, 0.35), width=5)

    s = 235
    sc.cast(1600, 1900, 720, 90, 190)
    for x in (1190, 1600, 2010):
        block(x, 1900, s)
    for x in (1395, 1805):
        block(x, 1900 - s * 0.9 - 0.6 * s * 0.0 - 4, s)
    block(1600, 1900 - 2 * (s * 0.9) - 8, s)
    for x, y, k in ((700, 2060, 0.7), (2520, 2090, 0.62)):
        sc.cast(x, y, 180, 40, 170)
        block(x, y, s * k)
    for _ in range(40):
        x, y = rng.uniform(850, 2400), rng.uniform(1960, 2200)
        ell(d, x, y, rng.uniform(6, 14), rng.uniform(5, 10), jitter(c, rng, 0.2))


def draw_sugar_mound(sc: Scene) -> None:
    """A mound of brown sugar powder on a dish with a wooden scoop."""
    d, p, rng = sc.d, sc.pal, sc.rng
    c = rgb(p["main"])
    dish = rgb(p["dish"])
    cx, cy = 1500, 1820
    sc.cast(cx, cy + 40, 820, 140, 190)
    ell(d, cx, cy + 30, 820, 190, darken(dish, 0.2))
    ell(d, cx, cy, 820, 185, dish)
    ell(d, cx, cy + 10, 680, 140, darken(dish, 0.07))
    rx, h, base_ry = 600, 520, 110
    prof = [(cx + rx * x, cy - h * (1 - x * x) ** 1.3) for x in _steps(-1, 1, 60)]
    low = [(cx + rx * math.cos(t), cy + base_ry * math.sin(t)) for t in _steps(0, math.pi, 40)]
    d.polygon(prof + low, fill=darken(c, 0.12))
    lit = [
        (cx - 40 + (rx - 60) * x, cy - (h - 40) * (1 - x * x) ** 1.3) for x in _steps(-1, 0.6, 40)
    ]
    d.polygon(lit + [(cx + 100, cy + 40), (cx - rx + 60, cy + 30)], fill=c)
    for _ in range(1800):
        x = rng.uniform(-1, 1)
        top = cy - h * (1 - x * x) ** 1.3
        bottom = cy + base_ry * math.sqrt(1 - x * x)
        y = rng.uniform(top + 8, bottom - 4)
        col = (
            lighten(c, rng.uniform(0.05, 0.35))
            if rng.random() < 0.5
            else darken(c, rng.uniform(0.1, 0.35))
        )
        r = rng.uniform(4, 8)
        ell(d, cx + x * (rx - 10), y, r, r, col)
    wood = rgb(p["wood"])
    sx, sy = 2330, 1960
    sc.cast(sx + 100, sy + 40, 420, 60, 170)
    d.line([(sx + 120, sy), (sx + 640, sy - 120)], fill=darken(wood, 0.2), width=60)
    d.line([(sx + 120, sy - 10), (sx + 640, sy - 130)], fill=wood, width=34)
    ell(d, sx, sy, 210, 100, darken(wood, 0.25))
    ell(d, sx, sy - 10, 185, 82, wood)
    ell(d, sx - 10, sy - 30, 150, 60, c)
    for _ in range(160):
        a, r = rng.uniform(0, 2 * math.pi), rng.random() ** 0.5
        ell(
            d,
            sx - 10 + 140 * r * math.cos(a),
            sy - 30 + 55 * r * math.sin(a),
            5,
            5,
            jitter(c, rng, 0.3),
        )
    for _ in range(120):
        x, y = rng.uniform(800, 2600), rng.uniform(2020, 2250)
        ell(d, x, y, 5, 4, jitter(c, rng, 0.25))


def millet_ear(sc: Scene, start: Point, ctrl: Point, end: Point, colour) -> None:
    """A drooping foxtail-millet panicle made of many small grains."""
    d, rng = sc.d, sc.rng
    d.line([(start[0] - 300, start[1] + 40), start], fill=rgb("#9c8a4a"), width=16)
    pts = bezier(start, ctrl, end, 60)
    for i, (x, y) in enumerate(pts):
        r = 70 * math.sin(math.pi * (0.15 + 0.85 * i / 60)) + 14
        for _ in range(14):
            a, k = rng.uniform(0, 2 * math.pi), rng.random() ** 0.6
            ell(
                d,
                x + r * k * math.cos(a),
                y + r * k * math.sin(a),
                11,
                11,
                jitter(colour, rng, 0.2),
            )


def draw_millet(sc: Scene) -> None:
    """A bowl heaped with small yellow millet grains and a foxtail ear."""
    p, rng = sc.pal, sc.rng
    grain = rgb(p["grain"])
    cx, rim, rx = 1560, 1480, 620

    def fill() -> None:
        dome(sc.d, cx, rim, rx * 0.96, 290, darken(grain, 0.15))
        for x, y in heap_points(sc, cx, rim, rx * 0.96, 290, 2600):
            r = rng.uniform(9, 12)
            col = jitter(grain, rng, 0.18)
            ell(sc.d, x, y, r, r, col)
            ell(sc.d, x - 3, y - 3, r * 0.4, r * 0.4, lighten(col, 0.35))

    bowl(sc, cx, rim, rx, 420, p["bowl"], fill, band=p["band"])
    sc.cast(2500, 2010, 420, 50, 150)
    millet_ear(sc, (2250, 1740), (2560, 1700), (2730, 2020), grain)
    for _ in range(70):
        x, y = rng.uniform(700, 2200), rng.uniform(2000, 2200)
        ell(sc.d, x, y, 10, 10, jitter(grain, rng, 0.2))


def barley_ear(sc: Scene, start: Point, angle: float, length: float, colour) -> None:
    """An ear of barley: stalk, two rows of grains and long awns."""
    d = sc.d
    c = rgb(colour)
    stalk_end = local(start[0], start[1], angle, length * 0.55, 0)
    d.line([start, stalk_end], fill=darken(c, 0.15), width=12)
    for i in range(12):
        u = length * 0.55 + i * 34
        for side in (-1, 1):
            g = local(start[0], start[1], angle, u + 12 * (side > 0), side * 22)
            a = angle - side * 0.35
            awn_end = local(g[0], g[1], a, 380, 0)
            d.line([g, awn_end], fill=lighten(c, 0.25), width=4)
            d.polygon(oval(g[0], g[1], 34, 16, a), fill=darken(c, 0.1))
            d.polygon(oval(g[0] - 3, g[1] - 3, 24, 10, a), fill=lighten(c, 0.15))


def draw_barley(sc: Scene) -> None:
    """A bowl of highland barley grains with ears of barley behind it."""
    p, rng = sc.pal, sc.rng
    grain = rgb(p["grain"])
    for start, a in (((1450, 1750), -1.95), ((1600, 1750), -1.6), ((1750, 1750), -1.25)):
        barley_ear(sc, start, a, 1250, p["ear"])
    cx, rim, rx = 1600, 1500, 640

    def fill() -> None:
        dome(sc.d, cx, rim, rx * 0.96, 260, darken(grain, 0.3))
        for x, y in heap_points(sc, cx, rim, rx * 0.96, 260, 1500):
            col = mix(jitter(grain, rng, 0.15), p["tint"], rng.random() * 0.6)
            a = rng.uniform(0, math.pi)
            sc.d.polygon(oval(x, y, 22, 12, a, 16), fill=darken(col, 0.2))
            sc.d.polygon(oval(x - 3, y - 3, 16, 8, a, 16), fill=col)

    bowl(sc, cx, rim, rx, 400, p["bowl"], fill, band=p.get("band"))
    for _ in range(40):
        x, y = rng.uniform(700, 2400), rng.uniform(2010, 2220)
        a = rng.uniform(0, math.pi)
        sc.d.polygon(oval(x, y, 22, 12, a, 16), fill=mix(grain, p["tint"], rng.random() * 0.6))


def draw_tsampa(sc: Scene) -> None:
    """A wooden bowl of pale tsampa balls, flour dusted around it."""
    p, rng = sc.pal, sc.rng
    ball = rgb(p["main"])
    cx, rim, rx = 1560, 1470, 640

    def fill() -> None:
        dome(sc.d, cx, rim, rx * 0.95, 250, darken(ball, 0.15))
        spots = heap_points(sc, cx, rim, rx * 0.86, 230, 90)
        for x, y in spots:
            r = rng.uniform(54, 70)
            shaded(
                sc.d, x, y - 20, r, r * 0.92, jitter(ball, rng, 0.05), rng.uniform(0, 3), 0.5, 0.18
            )

    bowl(sc, cx, rim, rx, 430, p["bowl"], fill)
    d = sc.d
    wood = rgb(p["bowl"])
    for k in range(3):
        y = rim + 120 + k * 80
        hw = rx * math.sqrt(max(0.0, 1 - ((y - rim) / 430) ** 2)) * 0.96
        d.arc((cx - hw, y - 100, cx + hw, y + 60), 20, 160, fill=darken(wood, 0.2), width=6)
    for x, y in ((2420, 1930), (2600, 1990), (2470, 2070)):
        sc.cast(x, y + 55, 80, 20, 160)
        shaded(d, x, y, 76, 70, ball, 0.5, 0.5, 0.18)
    for _ in range(260):
        x, y = rng.gauss(2500, 260), rng.gauss(2080, 60)
        ell(d, x, y, rng.uniform(3, 9), rng.uniform(3, 7), lighten(ball, 0.3))


def draw_jerky(sc: Scene) -> None:
    """Strips of dark yak jerky on a wooden board, with a few chili flakes."""
    d, p, rng = sc.d, sc.pal, sc.rng
    board = rgb(p["board"])
    top = [(720, 1520), (2420, 1520), (2660, 2020), (480, 2020)]
    sc.cast(1570, 2050, 1150, 90, 190)
    d.polygon([(480, 2020), (2660, 2020), (2660, 2080), (480, 2080)], fill=darken(board, 0.35))
    d.polygon([(2420, 1700), (2760, 1700), (2800, 1820), (2470, 1820)], fill=darken(board, 0.1))
    ell(d, 2700, 1760, 30, 22, darken(board, 0.5))
    d.polygon(top, fill=board)
    for k in range(9):
        y = 1560 + k * 52
        x0 = 720 - (y - 1520) * 0.48
        x1 = 2420 + (y - 1520) * 0.48
        d.line([(x0 + 40, y), (x1 - 40, y + rng.uniform(-6, 6))], fill=darken(board, 0.08), width=5)
    meat = rgb(p["main"])
    spots = [
        (1000, 1650, 0.25),
        (1450, 1640, -0.15),
        (1900, 1660, 0.2),
        (2200, 1700, -0.35),
        (900, 1860, -0.1),
        (1350, 1850, 0.15),
        (1800, 1880, -0.2),
        (2250, 1900, 0.1),
        (1620, 1760, 0.55),
    ]
    for x, y, a in spots:
        length, width = rng.uniform(520, 660), rng.uniform(90, 120)
        top_edge = [
            (u, -width / 2 + rng.uniform(-10, 10)) for u in _steps(-length / 2, length / 2, 10)
        ]
        bot_edge = [
            (u, width / 2 + rng.uniform(-10, 10)) for u in _steps(length / 2, -length / 2, 10)
        ]
        outline = [local(x, y, a, u, v) for u, v in top_edge + bot_edge]
        shadow_pts = [(px + 10, py + 16) for px, py in outline]
        d.polygon(shadow_pts, fill=darken(board, 0.3))
        col = jitter(meat, rng, 0.1)
        d.polygon(outline, fill=darken(col, 0.25))
        inner = [local(x - 4, y - 4, a, u * 0.94, v * 0.7) for u, v in top_edge + bot_edge]
        d.polygon(inner, fill=col)
        for v in (-0.2, 0.15):
            d.line(
                [
                    local(x, y, a, -length * 0.4, v * width),
                    local(x, y, a, length * 0.35, v * width + 6),
                ],
                fill=lighten(col, 0.18),
                width=5,
            )
    for _ in range(30):
        x, y = rng.uniform(800, 2400), rng.uniform(1580, 1990)
        d.polygon(oval(x, y, 11, 7, rng.uniform(0, 3), 8), fill=rgb("#c8321e"))


def draw_butter(sc: Scene) -> None:
    """A pale yellow block of yak butter wrapped in leaves and tied with twine."""
    d, p = sc.d, sc.pal
    leaf = rgb(p["leaf"])
    cx, by = 1600, 1900
    sc.cast(cx, by - 10, 760, 110, 190)
    for a, ln in ((-2.9, 700), (-0.25, 700), (-2.55, 600), (-0.6, 600), (2.75, 560), (0.35, 560)):
        d.polygon(leaf_points(cx, by - 180, ln, 300, a), fill=jitter(leaf, sc.rng, 0.1))
        d.line(
            [(cx, by - 180), local(cx, by - 180, a, ln * 0.95, 0)], fill=darken(leaf, 0.3), width=7
        )
    butter = rgb(p["main"])
    faces = box(d, (cx, by), 520, 460, 330, lighten(butter, 0.25), butter, darken(butter, 0.15))
    d.line(faces["top"] + [faces["top"][0]], fill=lighten(butter, 0.45), width=8)
    wrap = [
        face_point(faces["left"], s, t)
        for s, t in ((0.0, 0.0), (1.0, 0.0), (1.0, 0.42), (0.0, 0.3))
    ]
    d.polygon(wrap, fill=darken(leaf, 0.05))
    for s in (0.25, 0.5, 0.75):
        d.line(
            [face_point(faces["left"], s, 0.02), face_point(faces["left"], s, 0.33)],
            fill=darken(leaf, 0.3),
            width=5,
        )
    wrap_r = [
        face_point(faces["right"], s, t)
        for s, t in ((0.0, 0.0), (1.0, 0.0), (1.0, 0.22), (0.0, 0.3))
    ]
    d.polygon(wrap_r, fill=darken(leaf, 0.25))
    twine = rgb(p["twine"])
    for face, s in (("left", 0.5), ("right", 0.5)):
        d.line(
            [face_point(faces[face], s, 0.0), face_point(faces[face], s, 1.0)], fill=twine, width=12
        )
    top = faces["top"]
    d.line([face_point(top, 0.5, 0.0), face_point(top, 0.5, 1.0)], fill=twine, width=12)
    d.line([face_point(top, 0.0, 0.5), face_point(top, 1.0, 0.5)], fill=twine, width=12)
    knot = face_point(top, 0.5, 0.5)
    ell(d, knot[0], knot[1], 24, 16, darken(twine, 0.2))
    for a in (-2.4, -0.8):
        d.line([knot, local(knot[0], knot[1], a, 120, 0)], fill=twine, width=10)


def draw_incense(sc: Scene) -> None:
    """A tied bundle of incense sticks and three burning sticks with curling smoke."""
    d, p, rng = sc.d, sc.pal, sc.rng
    stick = rgb(p["main"])
    brass = rgb(p["brass"])
    hx, hy = 2150, 1700
    sc.cast(hx, hy + 90, 300, 60, 190)
    tips = []
    for k, dx in enumerate((-40, 0, 45)):
        top = (hx + dx * 2.2, 700 + k * 70 - (40 if k == 1 else 0))
        d.line([(hx + dx, hy), top], fill=darken(stick, 0.1), width=16)
        ell(d, top[0], top[1], 12, 12, rgb("#ff7a2a"))
        ell(d, top[0], top[1] - 4, 6, 6, rgb("#ffd27a"))
        tips.append(top)
    ell(d, hx, hy + 40, 260, 70, darken(brass, 0.3))
    d.rectangle((hx - 260, hy - 40, hx + 260, hy + 40), fill=brass)
    ell(d, hx, hy + 40, 260, 70, None, outline=darken(brass, 0.1), width=1)
    pts = (
        [(hx - 260, hy - 40)]
        + [(hx + 260 * math.cos(t), hy + 40 + 70 * math.sin(t)) for t in _steps(math.pi, 0, 30)][
            ::-1
        ]
        + [(hx + 260, hy - 40)]
    )
    d.polygon(pts, fill=brass)
    ell(d, hx, hy - 40, 260, 60, lighten(brass, 0.2))
    ell(d, hx, hy - 38, 225, 46, rgb("#8a7a6a"))
    d.rectangle((hx - 200, hy - 10, hx - 150, hy + 80), fill=lighten(brass, 0.35))
    with sc.glaze() as g:
        for i, (tx, ty) in enumerate(tips):
            phase = rng.uniform(0, 6)
            prev = (tx, ty - 10)
            for k in range(1, 60):
                y = ty - 10 - k * 11
                amp = 6 + k * 1.6
                x = tx + amp * math.sin(k * 0.16 + phase + i) + k * 0.8
                alpha = int(170 * (1 - k / 60))
                g.line([prev, (x, y)], fill=(255, 255, 255, alpha), width=max(4, 12 - k // 8))
                prev = (x, y)
    a = -0.22
    sx, sy = 520, 2000
    sc.cast(1150, 1940, 640, 70, 180)
    for layer in range(7):
        for k in range(-5, 6):
            v = k * 15 + rng.uniform(-3, 3)
            col = jitter(stick, rng, 0.12) if layer % 2 else darken(jitter(stick, rng, 0.1), 0.15)
            p0 = local(sx, sy - layer * 9, a, 0, v)
            p1 = local(sx, sy - layer * 9, a, 1300 + rng.uniform(-20, 20), v)
            d.line([p0, p1], fill=col, width=14)
            ell(d, p0[0], p0[1], 7, 7, lighten(col, 0.3))
    for u, col in ((520, p["band"]), (560, "#c0392b"), (600, p["band"])):
        d.polygon(
            [
                local(sx, sy - 30, a, u, -110),
                local(sx, sy - 30, a, u + 36, -110),
                local(sx, sy - 30, a, u + 36, 110),
                local(sx, sy - 30, a, u, 110),
            ],
            fill=rgb(col),
        )


def draw_woodblock(sc: Scene) -> None:
    """A carved wooden printing block with engraved lines and a printed sheet."""
    d, p, rng = sc.d, sc.pal, sc.rng
    wood = rgb(p["wood"])
    base = (1120, 1760)
    sc.cast(1400, 1660, 720, 150, 190)
    faces = box(
        d, base, 460, 1120, 170, lighten(wood, 0.05), darken(wood, 0.15), darken(wood, 0.35)
    )
    top = faces["top"]
    inset = [
        face_point(top, s, t) for s, t in ((0.08, 0.05), (0.92, 0.05), (0.92, 0.95), (0.08, 0.95))
    ]
    d.polygon(inset, fill=darken(wood, 0.3))
    ink = rgb(p["ink"])
    for row in range(6):
        s = 0.18 + row * 0.13
        t = 0.1
        while t < 0.9:
            ln = rng.uniform(0.03, 0.09)
            q0, q1 = face_point(top, s, t), face_point(top, s, min(t + ln, 0.9))
            d.line([q0, q1], fill=lighten(wood, 0.15), width=16)
            d.line([(q0[0], q0[1] + 6), (q1[0], q1[1] + 6)], fill=darken(ink, 0.2), width=5)
            t += ln + rng.uniform(0.015, 0.03)
    for s in (0.1, 0.9):
        d.line(
            [face_point(top, s, 0.07), face_point(top, s, 0.93)], fill=lighten(wood, 0.2), width=10
        )
    paper = rgb(p["paper"])
    cx, cy, a = 2060, 1990, -0.05
    sheet = [
        local(cx, cy, a, u, v) for u, v in ((-760, -190), (760, -190), (760, 190), (-760, 190))
    ]
    sc.sd.polygon([(x + 20, y + 25) for x, y in sheet], fill=160)
    d.polygon(sheet, fill=paper)
    red = rgb(p["red"])
    frame = [
        local(cx, cy, a, u, v) for u, v in ((-690, -140), (690, -140), (690, 140), (-690, 140))
    ]
    d.polygon(frame, outline=red, width=8)
    for row in range(5):
        v = -100 + row * 50
        u = -640
        while u < 640:
            ln = rng.uniform(40, 130)
            d.line(
                [local(cx, cy, a, u, v), local(cx, cy, a, min(u + ln, 640), v)], fill=ink, width=14
            )
            u += ln + rng.uniform(18, 40)
    d.polygon(oval(*local(cx, cy, a, -560, 0), 55, 80, a), outline=red, width=8)


def kiwi_half(d, cx, cy, r, skin, flesh, rng, angle=0.0) -> None:
    """A halved kiwi seen face-on: brown rim, green flesh, seed ring and pale centre."""
    ry = r * 0.86
    d.polygon(oval(cx + 8, cy + 10, r + 16, ry + 16, angle), fill=darken(skin, 0.2))
    d.polygon(oval(cx, cy, r + 14, ry + 14, angle), fill=skin)
    d.polygon(oval(cx, cy, r, ry, angle), fill=rgb(flesh))
    d.polygon(oval(cx, cy, r * 0.78, ry * 0.78, angle), fill=lighten(flesh, 0.15))
    for k in range(36):
        t = 2 * math.pi * k / 36
        p0 = local(cx, cy, angle, r * 0.25 * math.cos(t), ry * 0.25 * math.sin(t))
        p1 = local(cx, cy, angle, r * 0.85 * math.cos(t), ry * 0.85 * math.sin(t))
        d.line([p0, p1], fill=lighten(flesh, 0.35), width=4)
    for k in range(44):
        t = 2 * math.pi * k / 44 + rng.uniform(-0.05, 0.05)
        rr = rng.uniform(0.38, 0.5)
        q = local(cx, cy, angle, r * rr * math.cos(t), ry * rr * math.sin(t))
        d.polygon(oval(q[0], q[1], 12, 6, t + angle, 10), fill=rgb("#1d1a14"))
    d.polygon(oval(cx, cy, r * 0.26, ry * 0.2, angle), fill=rgb("#f3efcf"))


def draw_kiwi(sc: Scene) -> None:
    """Whole kiwis behind two halved ones."""
    d, p, rng = sc.d, sc.pal, sc.rng
    skin = rgb(p["skin"])
    for x, y in ((1300, 1560), (1900, 1530)):
        sc.cast(x + 20, y + 200, 300, 50, 170)
        shaded(d, x, y, 300, 220, skin, 0.1 if x < 1600 else -0.1, shine=0.2)
        for _ in range(160):
            a, r = rng.uniform(0, 2 * math.pi), rng.random() ** 0.5
            ell(d, x + 270 * r * math.cos(a), y + 200 * r * math.sin(a), 3, 3, darken(skin, 0.25))
        ell(d, x + 290 if x > 1600 else x - 290, y, 16, 16, darken(skin, 0.4))
    for x, y, r, a in ((1050, 1850, 250, -0.1), (2150, 1840, 260, 0.08)):
        sc.cast(x + 20, y + 200, 270, 50, 180)
        kiwi_half(d, x, y, r, skin, p["flesh"], rng, a)
    sc.cast(1600, 2060, 210, 40, 160)
    d.polygon(oval(1600, 1960, 210, 120, 0), fill=darken(skin, 0.15))
    d.polygon(oval(1600, 1945, 200, 105, 0), fill=rgb(p["flesh"]))
    d.polygon(oval(1600, 1945, 80, 40, 0), fill=rgb("#f3efcf"))
    for k in range(30):
        t = 2 * math.pi * k / 30
        ell(d, 1600 + 120 * math.cos(t), 1945 + 62 * math.sin(t), 8, 4, rgb("#1d1a14"))


def draw_embroidery(sc: Scene) -> None:
    """An embroidery hoop with a stitched hibiscus on silk, plus two thread spools."""
    d, p = sc.d, sc.pal
    wood, silk = rgb(p["wood"]), rgb(p["silk"])
    cx, cy, r = 1520, 1060, 620
    sc.cast(cx, cy + r + 25, 480, 45, 210)
    sc.sd.ellipse((cx - r + 60, cy - r + 70, cx + r + 60, cy + r + 70), fill=100)
    ell(d, cx, cy, r + 50, r + 50, darken(wood, 0.2))
    ell(d, cx, cy, r + 38, r + 38, wood)
    ell(d, cx, cy, r + 10, r + 10, darken(wood, 0.3))
    ell(d, cx, cy, r, r, silk)
    clip = Image.new("L", (W, H), 0)
    ImageDraw.Draw(clip).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    with sc.glaze(clip) as g:
        for k in range(5):
            x = cx - 700 + k * 120
            g.polygon(
                [(x, cy + 700), (x + 60, cy + 700), (x + 760, cy - 700), (x + 700, cy - 700)],
                fill=(255, 255, 255, 60),
            )
    leaf = rgb(p["leaf"])
    fx, fy = cx + 20, cy - 20
    for a, ln in ((2.4, 380), (0.75, 360), (1.6, 300)):
        base = local(fx, fy, a, 150, 0)
        d.polygon(leaf_points(base[0], base[1], ln, 170, a), fill=leaf)
        for u in _steps(40, ln - 60, 6):
            d.line(
                [local(base[0], base[1], a, u, 0), local(base[0], base[1], a, u + 50, 60)],
                fill=lighten(leaf, 0.25),
                width=5,
            )
            d.line(
                [local(base[0], base[1], a, u, 0), local(base[0], base[1], a, u + 50, -60)],
                fill=darken(leaf, 0.2),
                width=5,
            )
    petal = rgb(p["petal"])
    for k in range(5):
        a = 2 * math.pi * k / 5 - math.pi / 2 + 0.3
        pts = [(fx, fy)]
        for t in _steps(-0.62, 0.62, 24):
            rr = 330 * (1 - 0.08 * math.cos(t * 9) ** 2) * (0.9 + 0.1 * math.cos(t * 2))
            pts.append(local(fx, fy, a + t, rr, 0))
        d.polygon(pts, fill=darken(petal, 0.15))
        inner = [(fx, fy)] + [
            local(fx, fy, a + t, 300 * (1 - 0.06 * math.cos(t * 9) ** 2), 0)
            for t in _steps(-0.52, 0.52, 24)
        ]
        d.polygon(inner, fill=petal)
        for t in _steps(-0.45, 0.45, 10):
            d.line(
                [local(fx, fy, a + t, 90, 0), local(fx, fy, a + t * 1.05, 270, 0)],
                fill=lighten(petal, 0.3),
                width=6,
            )
    ell(d, fx, fy, 95, 95, darken(petal, 0.45))
    end = local(fx, fy, -1.1, 260, 0)
    d.line([(fx, fy), end], fill=lighten(petal, 0.5), width=14)
    for k in range(7):
        q = local(end[0], end[1], -1.1 + (k - 3) * 0.35, 30, 0)
        ell(d, q[0], q[1], 14, 14, rgb("#f2c230"))
    d.rectangle((cx - 60, cy - r - 110, cx + 60, cy - r - 20), fill=darken(wood, 0.15))
    d.rectangle((cx - 90, cy - r - 95, cx + 90, cy - r - 60), fill=rgb("#b8b8b0"))
    ell(d, cx + 110, cy - r - 78, 32, 32, rgb("#9a9a92"))
    for x, col in ((2420, petal), (2700, leaf)):
        sc.cast(x, 2000, 150, 35, 180)
        d.rectangle((x - 110, 1680, x + 110, 1980), fill=lighten(wood, 0.1))
        d.rectangle((x - 90, 1720, x + 90, 1940), fill=col)
        for y in range(1730, 1940, 16):
            d.line([(x - 90, y), (x + 90, y + 6)], fill=darken(col, 0.15), width=4)
        d.rectangle((x - 90, 1720, x - 50, 1940), fill=lighten(col, 0.25))
        ell(d, x, 1680, 110, 26, lighten(wood, 0.25))
        ell(d, x, 1680, 24, 8, darken(wood, 0.5))


# --------------------------------------------------------------------------- table

MOTIFS: dict[str, Callable[[Scene], None]] = {
    "pear": draw_pears,
    "apple": draw_apples,
    "jujube": draw_jujubes,
    "peach": draw_peach_jar,
    "jar": draw_jar,
    "mushroom": draw_enoki,
    "walnut": draw_walnuts,
    "stick": draw_stick,
    "papercut": draw_papercut,
    "sugar_blocks": draw_sugar_blocks,
    "sugar_mound": draw_sugar_mound,
    "millet": draw_millet,
    "barley": draw_barley,
    "tsampa": draw_tsampa,
    "jerky": draw_jerky,
    "butter": draw_butter,
    "incense": draw_incense,
    "woodblock": draw_woodblock,
    "kiwi": draw_kiwi,
    "embroidery": draw_embroidery,
}


def pal(sky: str, horizon: str, table: str, **extra) -> dict:
    """Build a palette: background gradient, table colour and motif colours."""
    return {"sky": sky, "horizon": horizon, "table": table, **extra}


PICTURES: dict[str, tuple[str, dict]] = {
    "dangshan-crisp-pears": (
        "pear",
        pal("#dfeccb", "#f7f3e2", "#c9a57a", main="#d6d866", wood="#c08b55"),
    ),
    "dangshan-pear-syrup": (
        "jar",
        pal(
            "#f6e2bd",
            "#fcf5e6",
            "#a9825c",
            content="#c47a1c",
            lid="#6d4a2c",
            label="#f6ecd4",
            accent="#7d9a3a",
            fruit="#d6d866",
            side="pear",
        ),
    ),
    "dangshan-yellow-peaches": (
        "peach",
        pal("#fddcc0", "#fff4e8", "#b98d6b", main="#f6a93a", syrup="#ffd98a", lid="#d2ad48"),
    ),
    "chengdu-pixian-bean-paste": (
        "jar",
        pal(
            "#f2d3c8",
            "#fbf0ea",
            "#84563f",
            content="#8a1c12",
            lid="#2f3a2f",
            label="#f0d27a",
            accent="#b3261e",
            fruit="#7db04a",
            side="beans",
        ),
    ),
    "chengdu-pujiang-kiwi": (
        "kiwi",
        pal("#dcecd0", "#f6f8ee", "#b59e7a", flesh="#79b52a", skin="#8a6a3d"),
    ),
    "chengdu-shu-embroidery": (
        "embroidery",
        pal(
            "#f5dde4",
            "#fcf4f1",
            "#9e7b65",
            silk="#f6f0e4",
            petal="#e5638a",
            leaf="#4f8f5a",
            wood="#caa06a",
        ),
    ),
    "dege-highland-barley": (
        "barley",
        pal(
            "#d6e4f0",
            "#f4f4ee",
            "#9a8a6e",
            grain="#c4a46a",
            tint="#6e5a8a",
            ear="#d8b45a",
            bowl="#6b4a33",
            band="#c8a24a",
        ),
    ),
    "dege-tsampa": ("tsampa", pal("#e2dcef", "#f8f5f0", "#8c6e55", main="#eadcbd", bowl="#8a5530")),
    "dege-yak-jerky": (
        "jerky",
        pal("#f1dccb", "#fbf3ea", "#6f5544", main="#6b2c1c", board="#c99866"),
    ),
    "dege-yak-butter": (
        "butter",
        pal("#d9ebf1", "#f6f8f4", "#8f7a60", main="#f1dc86", leaf="#5c8a3c", twine="#b58b55"),
    ),
    "dege-tibetan-incense": (
        "incense",
        pal("#cfc3d8", "#f3ece4", "#6e5444", main="#9b4a32", band="#e0b23a", brass="#c9a24a"),
    ),
    "dege-woodblock-print": (
        "woodblock",
        pal(
            "#ece1cf",
            "#faf5ea",
            "#5f4a3c",
            wood="#8a5a36",
            ink="#2e2420",
            red="#b2362b",
            paper="#f3e8cc",
        ),
    ),
    "lingshou-enoki": (
        "mushroom",
        pal("#dde7d8", "#f6f6ef", "#9c8b78", main="#f4ecd4", wrap="#5e93c0"),
    ),
    "lingshou-walnuts": (
        "walnut",
        pal("#ede0cb", "#fbf6ec", "#a28262", main="#a06c3f", kernel="#e8c98e"),
    ),
    "lingshou-walking-stick": (
        "stick",
        pal("#dde8d6", "#f5f3ea", "#8b7355", wood="#a5733f", tassel="#c0392b"),
    ),
    "yanan-luochuan-apples": (
        "apple",
        pal("#f6dccf", "#fdf5ee", "#a97c5a", main="#cf2f2a", cloth="#efe3c8", leaf="#4f8a34"),
    ),
    "yanan-yanchuan-jujubes": (
        "jujube",
        pal("#f6e4cc", "#fdf6ea", "#b48a5e", main="#a41c1c", tray="#d8b97e", weave=True),
    ),
    "yanan-millet": (
        "millet",
        pal("#f8e7c0", "#fff8e8", "#a3825c", grain="#efbf2c", bowl="#f1efe8", band="#3b5ea8"),
    ),
    "yanan-ansai-papercut": (
        "papercut",
        pal("#f1dfc6", "#fbf4e8", "#7e5b43", red="#c8102e", paper="#f8f0dc", frame="#5a3a26"),
    ),
    "yiwu-brown-sugar": (
        "sugar_mound",
        pal("#f4dfc6", "#fdf6ec", "#8d6a4f", main="#8e5326", dish="#ebe6dc", wood="#c59a62"),
    ),
    "yiwu-brown-sugar-blocks": (
        "sugar_blocks",
        pal("#efe1d2", "#fbf6ef", "#7b5c46", main="#9a5a2a"),
    ),
    "yiwu-nanzao": (
        "jujube",
        pal(
            "#ecdcdc",
            "#faf3f0",
            "#9a7458",
            main="#7e2618",
            tray="#34495e",
            size=(130, 72),
            wrinkled=True,
        ),
    ),
}


# --------------------------------------------------------------------------- rendering


def background(p: dict, rng: random.Random) -> Image.Image:
    """Vertical gradient backdrop with a few soft light circles and a tabletop band."""
    ramp = Image.linear_gradient("L").resize((W, TABLE_Y))
    top = Image.new("RGB", (W, TABLE_Y), rgb(p["sky"]))
    bottom = Image.new("RGB", (W, TABLE_Y), rgb(p["horizon"]))
    img = Image.new("RGB", (W, H))
    img.paste(Image.composite(bottom, top, ramp), (0, 0))
    glow = ImageDraw.Draw(img, "RGBA")
    for _ in range(6):
        x, y, r = rng.uniform(0, W), rng.uniform(100, TABLE_Y - 300), rng.uniform(120, 380)
        glow.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 28))
    table = rgb(p["table"])
    ramp = Image.linear_gradient("L").resize((W, H - TABLE_Y))
    near = Image.new("RGB", ramp.size, darken(table, 0.12))
    far = Image.new("RGB", ramp.size, lighten(table, 0.12))
    img.paste(Image.composite(near, far, ramp), (0, TABLE_Y))
    edge = ImageDraw.Draw(img)
    edge.rectangle((0, TABLE_Y, W, TABLE_Y + 14), fill=lighten(table, 0.35))
    return img


def render(key: str, motif: str, p: dict) -> Image.Image:
    """Render one product picture at output size."""
    seed = zlib.crc32(key.encode("utf-8"))
    img = background(p, random.Random(seed))
    sc = Scene(p, seed)
    MOTIFS[motif](sc)
    mask = sc.shadow.filter(ImageFilter.GaussianBlur(34))
    shade = Image.new("RGB", (W, H), darken(p["table"], 0.55))
    img = Image.composite(shade, img, mask).convert("RGBA")
    img.alpha_composite(sc.layer)
    return img.convert("RGB").resize(OUT_SIZE, Image.Resampling.LANCZOS)


def product_keys() -> list[str]:
    """Read every product key from the shop TOML files."""
    keys = []
    for path in sorted(SHOPS_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        keys.extend(prod["key"] for prod in data.get("product", []))
    return keys


def main() -> int:
    """Render a picture for every product key; fail if any key has no table entry."""
    started = time.perf_counter()
    keys = product_keys()
    missing = [k for k in keys if k not in PICTURES]
    if missing:
        print("No picture entry in PICTURES for: " + ", ".join(missing), file=sys.stderr)
        return 1
    unknown = {m for m, _ in PICTURES.values()} - MOTIFS.keys()
    if unknown:
        print("Unknown motif(s): " + ", ".join(sorted(unknown)), file=sys.stderr)
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for key in keys:
        motif, p = PICTURES[key]
        out = OUT_DIR / f"{key}.webp"
        render(key, motif, p).save(out, "WEBP", quality=80, method=6)
        print(f"{out.relative_to(ROOT)}  {out.stat().st_size // 1024} KB")
    print(f"{len(keys)} pictures in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
