"""Benchmark the photo pipeline against libvips and a naive Pillow pipeline, like with like.

Run as ``.venv/bin/python benchmarks/pipeline.py [--runs N] [--size WxH]``. Inputs: a busy 12 MP
JPEG as a phone writes it (EXIF orientation 6, GPS; ``scene.py``) and the same scene as a HEIC.

Every row is the same kind of measurement: one call in this process, bytes in and a posting-size
JPEG out (long edge 2000, quality 85, 4:2:0, optimised Huffman tables, no metadata, upright),
after one warm-up call, with no process start-up in it. The rounds are interleaved (round 1 runs
each row once, then round 2...), so a busy moment on the machine falls on all rows alike. Beside
each time: the output's bytes, and its quality against a reference (the full decode, turned upright
and resized with Lanczos in one pass): SSIM (1 = identical) and PSNR. ``cpu`` counts every thread,
so libvips' thread pool is not mistaken for speed. ``peak +MB`` is measured apart, one row per fresh
process, as the growth of the high-water mark during one call after a warm-up.

Rows: ``scrub`` (tripposter; a JPEG is decoded at 1/2 scale by libjpeg), ``scrub + faces`` (the
production path: also finds and blurs faces), ``vips thumbnail`` (the fair peer: libvips with
shrink-on-load and autorotate, via pyvips, what ``vipsthumbnail -s 2000x2000`` does), ``vips
full decode`` (libvips without shrink-on-load) and ``naive Pillow`` (full decode, then resize).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the package and the test corpus, when run as a script
sys.path.insert(0, str(ROOT / "benchmarks"))

from scene import busy_scene  # noqa: E402
from tests.pipeline.corpus import full_exif  # noqa: E402

LONG_EDGE, QUALITY = 2000, 85
ROWS = ("scrub", "scrub + faces", "vips thumbnail", "vips full decode", "naive Pillow")
# How much of a JPEG each row decodes (HEIC has no reduced decode: every row decodes it in full).
JPEG_DECODE = {"scrub": "1/2 (draft)", "scrub + faces": "1/2 (draft)", "vips thumbnail": "shrink-on-load"}
Job = Callable[[bytes], bytes]


def _vips_jobs() -> dict[str, Job]:
    """The two libvips rows, or none when pyvips or libvips is missing."""
    try:
        import pyvips
    except (ImportError, OSError):
        return {}
    pyvips.cache_set_max(0)  # no result may be served from libvips' operation cache
    options = {"Q": QUALITY, "strip": True, "optimize_coding": True, "subsample_mode": "on"}

    def thumbnail(data: bytes) -> bytes:
        # thumbnail_buffer shrinks on load (JPEG: libjpeg DCT scaling) and autorotates by default.
        image = pyvips.Image.thumbnail_buffer(data, LONG_EDGE, height=LONG_EDGE, size="down")
        return image.write_to_buffer(".jpg", **options)

    def full_decode(data: bytes) -> bytes:
        image = pyvips.Image.new_from_buffer(data, "").autorot()
        return image.thumbnail_image(LONG_EDGE, height=LONG_EDGE, size="down").write_to_buffer(".jpg", **options)

    return {"vips thumbnail": thumbnail, "vips full decode": full_decode}


def naive_pillow(data: bytes) -> bytes:
    """Decode at full size, turn upright, shrink, encode: what a first attempt would do."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image.thumbnail((LONG_EDGE, LONG_EDGE), Image.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=QUALITY, optimize=True, subsampling="4:2:0")
    return out.getvalue()


def jobs(rows: tuple[str, ...] = ROWS) -> dict[str, Job]:
    """Every row that can run on this machine, keyed by name (model loading happens here)."""
    from tripposter.pipeline.faces import default_detector
    from tripposter.pipeline.photo import scrub_photo

    made: dict[str, Job] = {"scrub": lambda data: scrub_photo(data).jpeg, "naive Pillow": naive_pillow}
    if "scrub + faces" in rows:
        detector = default_detector()
        made["scrub + faces"] = lambda data: scrub_photo(data, detector=detector, blur="all").jpeg
    made.update(_vips_jobs())
    return {row: made[row] for row in rows if row in made}


def reference(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """The full decode, upright, resized to ``size`` by one Lanczos pass: what every output is scored against."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    return np.asarray(image.resize(size, Image.LANCZOS, reducing_gap=None))


def quality(data: bytes, output: bytes) -> tuple[float, float]:
    """SSIM and PSNR (dB) of ``output`` against the reference resize of ``data``."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    with Image.open(io.BytesIO(output)) as opened:
        got = np.asarray(opened.convert("RGB"))
    want = reference(data, (got.shape[1], got.shape[0]))
    ssim = structural_similarity(want, got, channel_axis=2, data_range=255)
    return float(ssim), float(peak_signal_noise_ratio(want, got, data_range=255))


def time_rows(data: bytes, made: dict[str, Job], runs: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds of each row, ``runs`` interleaved rounds after one warm-up call each."""
    figures: dict[str, dict[str, list[float]]] = {row: {"wall": [], "cpu": []} for row in made}
    for job in made.values():
        job(data)
    order = list(made)
    for round_ in range(runs):
        for row in order[round_ % len(order):] + order[: round_ % len(order)]:  # rotate who goes first
            wall, cpu = time.perf_counter(), time.process_time()
            made[row](data)
            figures[row]["wall"].append(time.perf_counter() - wall)
            figures[row]["cpu"].append(time.process_time() - cpu)
    return figures


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_growth(row: str, path: Path) -> float:
    """In this (fresh) process: MB the high-water mark grows during one call after a warm-up."""
    job, data = jobs((row,))[row], path.read_bytes()
    job(data)
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
    baseline = _status_kb("VmRSS")
    job(data)
    return (_status_kb("VmHWM") - baseline) / 1024


def measure_memory(row: str, path: Path) -> str:
    """Run ``peak_growth`` in a fresh interpreter, so no other row's allocations blur it."""
    proc = subprocess.run([sys.executable, __file__, "--memory", row, str(path)], capture_output=True, text=True)
    return f"{json.loads(proc.stdout):.0f}" if proc.returncode == 0 else "?"


def make_inputs(folder: Path, size: tuple[int, int]) -> dict[str, Path]:
    """The busy scene as a phone's JPEG (orientation 6, GPS) and as a HEIC of a phone's weight."""
    image = busy_scene(*size)
    mp = f"{size[0] * size[1] / 1e6:.0f}MP" if size[0] * size[1] >= 1e6 else f"{size[0]}x{size[1]}"
    paths = {f"{mp} JPEG": folder / "photo.jpg", f"{mp} HEIC": folder / "photo.heic"}
    image.save(paths[f"{mp} JPEG"], "JPEG", quality=92, exif=full_exif(6))
    image.save(paths[f"{mp} HEIC"], "HEIF", quality=60, exif=full_exif(6).tobytes())
    return paths


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="4000x3000", help="WxH of the generated photos")
    parser.add_argument("--memory", nargs=2, metavar=("ROW", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    import pillow_heif

    pillow_heif.register_heif_opener()  # for the naive Pillow row and the reference decode
    if args.memory:
        print(json.dumps(peak_growth(args.memory[0], Path(args.memory[1]))))
        return
    made = jobs()
    missing = [row for row in ROWS if row not in made]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp), tuple(int(n) for n in args.size.split("x")))  # type: ignore[arg-type]
        print(f"{args.runs} interleaved rounds after one warm-up, in-process; long edge {LONG_EDGE}, Q{QUALITY}")
        print(f"{'input':<12} {'row':<17} {'decode':<15} {'wall min':>8} {'wall med':>8} {'cpu med':>8} "
              f"{'out KB':>7} {'SSIM':>6} {'PSNR':>5} {'peak +MB':>8}")  # fmt: skip
        for label, path in inputs.items():
            data = path.read_bytes()
            figures = time_rows(data, made, args.runs)
            for row, times in figures.items():
                output = made[row](data)
                ssim, psnr = quality(data, output)
                decode = JPEG_DECODE.get(row, "full") if label.endswith("JPEG") else "full"
                print(
                    f"{label:<12} {row:<17} {decode:<15} {min(times['wall']) * 1000:>8.0f} "
                    f"{statistics.median(times['wall']) * 1000:>8.0f} {statistics.median(times['cpu']) * 1000:>8.0f} "
                    f"{len(output) / 1024:>7.0f} {ssim:>6.3f} {psnr:>5.1f} {measure_memory(row, path):>8}"
                )
    print("\nms; SSIM and PSNR (dB) against a Lanczos resize of the full decode; one input's rows share each round.")
    if missing:
        print(f"not run here: {', '.join(missing)} (pyvips needs libvips: apt-get install libvips42)")


if __name__ == "__main__":
    main()
