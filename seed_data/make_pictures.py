"""Draw the demo product pictures with Pillow (no downloaded photos) into seed_data/pictures/.

Each product gets a still life in its category's palette: a soft backdrop, a table edge and a
group of shapes whose kind, count and colours follow the product, so that every card looks
deliberate and different. Run: python seed_data/make_pictures.py  (output is committed as WebP).
"""

import hashlib
import random
import tomllib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1600, 1200

#: category -> (backdrop top, backdrop bottom, table, shape colours)
PALETTES = {
    "fresh-fruit": ("#f6efd9", "#e8dcb5", "#9a6b3f", ["#d9b23a", "#c8d24a", "#e06a3b", "#b9322f"]),
    "mushrooms-nuts": ("#efe9df", "#d9cdb8", "#6d4c33", ["#f3eddc", "#c9a878", "#8c6239"]),
    "grains": ("#f3ecd6", "#e3d3a6", "#7b5a36", ["#e9c46a", "#d4a373", "#f1dca7"]),
    "dried-goods": ("#f4e4dc", "#e2c2b3", "#5e3b2a", ["#8e2b23", "#a8442f", "#6f2a1e"]),
    "jerky-dairy": ("#ece4da", "#d3c2ae", "#4f3a2b", ["#7a3b26", "#f2d98d", "#a65a3a"]),
    "sweets-preserves": ("#f7e7d1", "#e9c9a4", "#6e4a2e", ["#7b3f1d", "#e7a93c", "#f2c14e"]),
    "condiments": ("#f5e2da", "#e2b9a8", "#5a3526", ["#a31f1f", "#c2412d", "#7d1e12"]),
    "crafts": ("#e9eef0", "#cfd9de", "#4a3b30", ["#b8322f", "#2f6b3a", "#d9a441", "#26466d"]),
}


def _products() -> list[tuple[str, str]]:
    """(key, category) of every product in the shop files."""
    found = []
    for path in sorted((ROOT / "shops").glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        found += [(row["key"], row["category"]) for row in data.get("product", [])]
    return found


def _backdrop(top: str, bottom: str) -> Image.Image:
    """A vertical gradient."""
    start = Image.new("RGB", (1, 2))
    start.putpixel((0, 0), Image.new("RGB", (1, 1), top).getpixel((0, 0)))
    start.putpixel((0, 1), Image.new("RGB", (1, 1), bottom).getpixel((0, 0)))
    return start.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)


def draw(key: str, category: str) -> Image.Image:
    """One product's picture, the same every run."""
    top, bottom, table, colours = PALETTES[category]
    rng = random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16))
    image = _backdrop(top, bottom)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, int(HEIGHT * 0.72), WIDTH, HEIGHT), fill=table)
    shadows = Image.new("L", (WIDTH, HEIGHT), 0)
    shade = ImageDraw.Draw(shadows)
    count = rng.randint(3, 7)
    shapes = []
    for index in range(count):
        size = rng.randint(170, 330)
        x = int(WIDTH * (0.18 + 0.64 * (index + rng.random() * 0.6) / count))
        y = int(HEIGHT * 0.72) - size // 2 + rng.randint(-40, 60)
        shapes.append((x, y, size, rng.choice(colours), rng.choice(("round", "oval", "block"))))
        shade.ellipse((x - size // 2, y + size // 3, x + size // 2, y + size // 2 + 40), fill=90)
    image.paste("#000000", mask=shadows.filter(ImageFilter.GaussianBlur(30)))
    for x, y, size, colour, kind in sorted(shapes, key=lambda shape: shape[1]):
        box = (x - size // 2, y - size // 2, x + size // 2, y + size // 2)
        if kind == "round":
            pen.ellipse(box, fill=colour, outline="#00000030", width=4)
            pen.ellipse(
                (x - size // 5, y - size // 3, x - size // 20, y - size // 6), fill="#ffffff55"
            )
            pen.line(
                (x, y - size // 2, x + size // 12, y - size // 2 - 40), fill="#4a3320", width=9
            )
        elif kind == "oval":
            pen.ellipse((box[0], box[1] + size // 6, box[2], box[3]), fill=colour)
            pen.arc(box, 200, 340, fill="#ffffff70", width=10)
        else:
            pen.rounded_rectangle(box, radius=size // 8, fill=colour)
            pen.rectangle((box[0], y - size // 10, box[2], y + size // 10), fill="#f6f1e4")
    return image.filter(ImageFilter.SMOOTH)


def main() -> None:
    """Write every product's picture as WebP."""
    folder = ROOT / "pictures"
    folder.mkdir(exist_ok=True)
    for key, category in _products():
        draw(key, category).save(folder / f"{key}.webp", "WEBP", quality=80, method=6)
        print(f"pictures/{key}.webp")


if __name__ == "__main__":
    main()
