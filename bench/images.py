"""Photo pipeline benchmark: a 4000x3000 photo-like JPEG processed into every stored size.

    .venv/bin/python bench/images.py [--runs 5]

Each run happens in a fresh child process pinned to one CPU core. Peak memory is the child's
high-water mark of resident memory (VmHWM in /proc/self/status, the whole process: interpreter,
Pillow and the images), reset just before processing; tracemalloc cannot see Pillow's pixel
buffers, and ru_maxrss carries the parent's peak across exec().
Target: under 0.6 s on one core and under 200 MB peak memory.
"""

import argparse
import contextlib
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import PIL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 4000, 3000


def photo_like_jpeg(width: int = WIDTH, height: int = HEIGHT, seed: int = 5) -> bytes:
    """A JPEG with what makes real photos expensive: gradients, shapes, soft edges and grain.

    A flat colour compresses to almost nothing and would flatter the encoder; this does not.
    """
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (width // 4, height // 4)
    # Sky to field: two gradients mixed per channel.
    vertical = Image.linear_gradient("L").resize(small)
    radial = Image.radial_gradient("L").resize(small)
    base = Image.merge(
        "RGB",
        (
            vertical.point(lambda v: 90 + v // 3),
            ImageChops.blend(vertical, radial, 0.5).point(lambda v: 120 + v // 4),
            radial.point(lambda v: 200 - v // 2),
        ),
    )
    # Fruit, leaves and crates: many soft-edged shapes of varied colour.
    draw = ImageDraw.Draw(base)
    for _ in range(900):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        radius = rng.randrange(4, 60)
        colour = (rng.randrange(40, 255), rng.randrange(40, 230), rng.randrange(0, 160))
        if rng.random() < 0.7:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
        else:
            draw.rectangle((x, y, x + radius * 2, y + radius), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(1.5)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    # Texture at two scales (foliage, skin of fruit) and sensor grain.
    texture = Image.effect_noise((width // 8, height // 8), 60).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise((width, height), 18)
    detail = ImageChops.blend(texture, grain, 0.5)
    photo = ImageChops.overlay(base, Image.merge("RGB", (detail, detail, detail)))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def memory_kib(field: str) -> int:
    """A memory figure of this process in KiB from /proc (Linux); ru_maxrss elsewhere."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_memory() -> None:
    """Reset VmHWM to the current resident size (Linux 4.0+), so the peak is this photo's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def timed(function) -> tuple[float, float, object]:
    """Wall and CPU seconds of one call, and its result."""
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall_start, time.process_time() - cpu_start, result


def straightforward_pipeline(data: bytes) -> int:
    """The obvious pipeline, for comparison: full decode, every size from the original, WebP
    at Pillow's default method. Returns the bytes written."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    written = 0
    for width in (1600, 800, 320):
        resized = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "WEBP", quality=80)
        written += buffer.tell()
    buffer = io.BytesIO()
    ImageOps.fit(image, (240, 240), Image.LANCZOS).save(buffer, "WEBP", quality=80)
    return written + buffer.tell()


def run_child(path: str, warm_runs: int) -> dict:
    """In this fresh process, pinned to one core: the first (cold) photo, then warm repeats."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from products.images import process_image

    data = Path(path).read_bytes()
    reset_peak_memory()
    before_kib = memory_kib("VmRSS")
    cold_wall, cold_cpu, processed = timed(lambda: process_image(data, max_bytes=15 << 20))
    peak_kib = memory_kib("VmHWM")
    warm = [timed(lambda: process_image(data, max_bytes=15 << 20))[:2] for _ in range(warm_runs)]
    straightforward = timed(lambda: straightforward_pipeline(data))[:2]
    return {
        "straightforward_wall_s": straightforward[0],
        "straightforward_cpu_s": straightforward[1],
        "cold_wall_s": cold_wall,
        "cold_cpu_s": cold_cpu,
        "warm_wall_s": [wall for wall, _cpu in warm],
        "warm_cpu_s": [cpu for _wall, cpu in warm],
        "peak_rss_mb": peak_kib / 1024,
        "before_rss_mb": before_kib / 1024,
        "files": {name.split("-", 1)[1]: len(body) for name, body in processed.files.items()},
        "size": [processed.width, processed.height],
    }


def summary(label: str, values: list[float]) -> str:
    """'label: median x, min y, max z' in seconds."""
    return (
        f"{label}: median {statistics.median(values):.3f} s, "
        f"min {min(values):.3f}, max {max(values):.3f} (n={len(values)})"
    )


def main() -> None:
    """Generate the photo once, then process it in several fresh child processes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes")
    parser.add_argument("--warm", type=int, default=3, help="repeats per process after the first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.warm)))
        return
    folder = tempfile.mkdtemp(prefix="village-market-bench-")
    photo = Path(folder) / "photo-4000x3000.jpg"
    photo.write_bytes(photo_like_jpeg())
    print(f"Pillow {PIL.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"input: {WIDTH}x{HEIGHT} photo-like JPEG, {photo.stat().st_size / 1e6:.2f} MB")
    results = []
    for _ in range(args.runs):
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(photo), "--warm", str(args.warm)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output))
    shutil.rmtree(folder)
    first = results[0]
    print(
        f"outputs ({first['size'][0]}x{first['size'][1]} largest):",
        ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in first["files"].items()),
    )
    print(summary("first photo in a fresh process, wall", [r["cold_wall_s"] for r in results]))
    print(summary("first photo in a fresh process, cpu ", [r["cold_cpu_s"] for r in results]))
    print(
        summary("later photos (warm process), wall  ", sum((r["warm_wall_s"] for r in results), []))
    )
    print(
        summary("later photos (warm process), cpu   ", sum((r["warm_cpu_s"] for r in results), []))
    )
    print(
        summary(
            "straightforward pipeline (comparison), cpu",
            [r["straightforward_cpu_s"] for r in results],
        )
    )
    peaks = [r["peak_rss_mb"] for r in results]
    print(
        f"peak resident memory, whole process: median {statistics.median(peaks):.0f} MB, "
        f"max {max(peaks):.0f} MB (before processing: {first['before_rss_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
