"""Load: 20 concurrent 12 MP uploads (JPEG and HEIC) against gunicorn on loopback.

Run as ``.venv/bin/python benchmarks/load.py`` (or ``make bench-load``). For each gunicorn
configuration it makes a throw-away instance folder (``tripposter db upgrade`` and ``seed-demo``
through the real CLI), starts ``gunicorn ... wsgi:app`` on 127.0.0.1, signs in as the demo trip lead,
and fires all uploads at once at ``POST /api/trips/<id>/photos``, each with its own Idempotency-Key,
while it polls the summed RSS of the master and its workers. Then it fetches every stored output
through the preview the API exposes (at most 5 MB, and no GPS marker left), cancels every photo, and
checks the spool is empty. Each configuration starts cold: a worker loads the face model on its first
photo unless its config warms it.

The photos are generated here, never downloaded: 4000x3000 scenes with sensor noise and EXIF with
GPS; a quarter are "high ISO" (heavy grain, ~8 MB files) and half are HEIC.

``--slow N`` makes N of the uploads dribble their body at ``--rate`` bytes/s, like phones on a poor
signal. Exit status 1 if any upload failed, any output is over 5 MB or still carries the GPS
marker, or a spool is not empty, so the script can gate a release by hand.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so the test corpus generator is importable when run as a script

import numpy as np  # noqa: E402
import pillow_heif  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks.load_server import Gunicorn, MemoryWatch, Result, Teacher, prepare_instance, upload  # noqa: E402
from tests.pipeline.corpus import MARKERS, full_exif, photo_like  # noqa: E402

X_LIMIT = 5 * 1024 * 1024  # X's image limit, as the pipeline's Limits.max_output_bytes
CONFIGS = {
    "sync -w 2": ["-w", "2"],
    "sync -w 1 (peer)": ["-w", "1"],
    "deploy/gunicorn.conf.py": ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
}


@dataclass
class Row:
    config: str
    results: list[Result]
    wall: float
    peak_mb: float
    worker_mb: float
    outputs: list[int]
    gps_left: int
    spool_left: int
    timeouts: int

    @property
    def errors(self) -> int:
        return sum(r.status != 201 for r in self.results)

    @property
    def failed(self) -> bool:
        too_big = any(size > X_LIMIT for size in self.outputs)
        return bool(self.errors or too_big or self.gps_left or self.spool_left)


def make_photos(folder: Path, size: tuple[int, int]) -> list[tuple[str, bytes]]:
    """Four distinct phone photos: JPEG, high-ISO JPEG, HEIC, portrait HEIC; all with GPS EXIF."""
    pillow_heif.register_heif_opener()
    photos = []
    for i, (kind, orientation, grain) in enumerate([("jpg", 1, 0), ("jpg", 6, 28), ("heic", 1, 0), ("heic", 6, 0)]):
        image = photo_like(*size, seed=10 + i)
        if grain:  # grain in 2x2 clumps survives the halving to posting size, the worst case for output bytes
            rng = np.random.default_rng(i)
            noise = rng.normal(0, grain, (size[1] // 2, size[0] // 2, 3)).repeat(2, 0).repeat(2, 1)
            pixels = np.asarray(image, dtype=np.float32)
            pixels[: noise.shape[0], : noise.shape[1]] += noise
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        out = io.BytesIO()
        if kind == "jpg":
            image.save(out, "JPEG", quality=95, exif=full_exif(orientation))
        else:
            # Quality 60 is about what an iPhone writes; "ultrafast" only spares this script's time.
            image.save(out, "HEIF", quality=60, exif=full_exif(orientation).tobytes(), enc_params={"preset": "ultrafast"})
        photos.append((f"IMG_{i:04d}.{kind}", out.getvalue()))
    return photos


def burst(teacher: Teacher, photos: list[tuple[str, bytes]], count: int, slow: int, rate: float) -> tuple[list[Result], float]:
    """Send ``count`` uploads at once, cycling through ``photos``; the first ``slow`` are dribbled."""
    start = threading.Barrier(count + 1)
    with ThreadPoolExecutor(count) as pool:
        futures = [
            pool.submit(upload, teacher, *photos[i % len(photos)], start, rate if i < slow else 0.0) for i in range(count)
        ]
        start.wait()
        began = time.perf_counter()
        results = [f.result() for f in futures]
    return results, time.perf_counter() - began


def run_config(name: str, args: list[str], folder: Path, photos: list[tuple[str, bytes]], opts: argparse.Namespace) -> Row:
    """One configuration from a fresh instance: burst, check every output, cancel every photo, check the spool."""
    folder.mkdir()
    env = prepare_instance(folder / "instance")
    with Gunicorn(args, env, folder / "gunicorn.log") as server:
        assert server.proc is not None
        teacher = Teacher(server.base)
        watch = MemoryWatch(server.proc.pid)
        watch.start()
        results, wall = burst(teacher, photos, opts.photos, opts.slow, opts.rate)
        watch.stop()
        outputs, gps_left = [], 0
        for result in results:
            if result.photo_id is None:
                continue
            preview = teacher.http.get(f"{server.base}/api/photos/{result.photo_id}/preview.jpg", timeout=60)
            preview.raise_for_status()
            outputs.append(len(preview.content))
            gps_left += MARKERS["gps"].encode() in preview.content
            cancelled = teacher.http.delete(f"{server.base}/api/photos/{result.photo_id}", timeout=60,
                                            headers={"X-CSRFToken": teacher.csrf})
            cancelled.raise_for_status()
        timeouts = server.worker_timeouts()
        if any(r.status >= 500 for r in results):
            print(server.errors(), file=sys.stderr)
    spool = folder / "instance" / "spool"
    spool_left = len(list(spool.iterdir())) if spool.exists() else 0
    for result in results:
        if result.error:
            print(f"  {name}: {result.status} after {result.seconds:.1f} s: {result.error}", file=sys.stderr)
    return Row(name, results, wall, watch.peak_kb / 1024, max(watch.worker_hwm_kb.values(), default=0) / 1024,
               outputs, gps_left, spool_left, timeouts)


def print_table(rows: list[Row], photos: list[tuple[str, bytes]], opts: argparse.Namespace) -> None:
    sizes = ", ".join(f"{name} {len(data) / 1e6:.1f} MB" for name, data in photos)
    slow = f"; {opts.slow} dribbled at {opts.rate / 1000:.0f} kB/s" if opts.slow else ""
    print(f"\n{opts.photos} concurrent uploads of {opts.size} photos ({sizes}){slow}; {os.cpu_count()} cores\n")
    print(f"{'config':<24} {'ok':>3} {'err':>3} {'p50 s':>6} {'p95 s':>6} {'max s':>6} {'photos/s':>8} "
          f"{'peak RSS MB':>11} {'worker MB':>9} {'max out MB':>10} {'spool':>5} {'killed':>6}")
    for row in rows:
        times = sorted(r.seconds for r in row.results)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
        ok = len(row.results) - row.errors
        print(f"{row.config:<24} {ok:>3} {row.errors:>3} {statistics.median(times):>6.1f} {p95:>6.1f} {times[-1]:>6.1f} "
              f"{ok / row.wall:>8.2f} {row.peak_mb:>11.0f} {row.worker_mb:>9.0f} "
              f"{max(row.outputs, default=0) / 1e6:>10.2f} {row.spool_left:>5} {row.timeouts:>6}")
    print("\npeak RSS: summed RSS of master + workers, polled every 50 ms; worker MB: largest worker VmHWM."
          "\nmax out: largest stored output (fetched through the preview); X's limit is 5.24 MB."
          "\nspool: files left after every photo was cancelled; killed: workers killed for WORKER TIMEOUT.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=20, help="concurrent uploads per configuration")
    parser.add_argument("--size", default="4000x3000", help="photo size WIDTHxHEIGHT")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--slow", type=int, default=0, help="how many uploads dribble like a slow phone")
    parser.add_argument("--rate", type=float, default=100_000, help="bytes/s of a slow upload")
    opts = parser.parse_args()
    size = tuple(int(n) for n in opts.size.lower().split("x"))
    folder = Path(tempfile.mkdtemp(prefix="tripposter-load-"))
    try:
        began = time.perf_counter()
        photos = make_photos(folder, (size[0], size[1]))
        print(f"generated {len(photos)} photos in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        rows = []
        for i, name in enumerate(opts.configs):
            rows.append(run_config(name, CONFIGS[name], folder / f"run{i}", photos, opts))
        print_table(rows, photos, opts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failed = [row.config for row in rows if row.failed]
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
