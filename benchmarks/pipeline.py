"""Benchmark the photo pipeline on a generated 12 MP JPEG (with EXIF+GPS) and a 12 MP HEIC.

Run as ``.venv/bin/python benchmarks/pipeline.py [--runs N]``. Each variant runs in a
fresh subprocess, so its peak memory (VmHWM, which sees C allocations that tracemalloc
cannot) is its own. Two figures: growth over the first run (one-off set-up included), and
growth per photo once warm (the high-water mark is reset through /proc/self/clear_refs).
``vipsthumbnail`` is a separate program, so its figure is the whole process's peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so the test corpus generator is importable when run as a script

VARIANTS = ["scrub", "faces", "full", "vipsthumbnail", "naive-pillow"]
LONG_EDGE = 2000


def _status_kb(field: str) -> int:
    """Read one field (VmRSS, VmHWM) of /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _faces_available() -> bool:
    try:
        import tripposter.pipeline.faces  # noqa: F401
    except ImportError:
        return False
    return True


def _python_job(variant: str, path: Path) -> Callable[[], object]:
    """Build the callable one timed run performs (setup such as model loading happens here)."""
    data = path.read_bytes()
    if variant == "naive-pillow":
        import io

        import pillow_heif
        from PIL import Image, ImageOps

        pillow_heif.register_heif_opener()

        def naive() -> bytes:
            image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))  # decodes at full size
            image.thumbnail((LONG_EDGE, LONG_EDGE))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85)
            return out.getvalue()

        return naive
    from tripposter.pipeline.photo import scrub_photo

    if variant == "scrub":
        return lambda: scrub_photo(data)
    from tripposter.pipeline.faces import default_detector

    detector = default_detector()
    if variant == "full":
        return lambda: scrub_photo(data, detector=detector, blur="all")
    import io

    from PIL import Image

    with Image.open(io.BytesIO(scrub_photo(data).jpeg)) as opened:
        posting = opened.convert("RGB")  # faces run on the upright posting-size image
    return lambda: detector.detect(posting)


def worker(variant: str, path: Path, runs: int) -> dict[str, float]:
    """Time ``runs`` runs of one variant in this (fresh) process and measure its memory."""
    if variant == "vipsthumbnail":
        out = Path(tempfile.mkdtemp()) / "out.jpg"
        cmd = ["vipsthumbnail", str(path), "-s", f"{LONG_EDGE}x{LONG_EDGE}", "-o", f"{out}[Q=85,strip]"]
        job: Callable[[], object] = lambda: subprocess.run(cmd, check=True, capture_output=True)  # noqa: E731
    else:
        job = _python_job(variant, path)
    cold_baseline = _status_kb("VmRSS")
    job()  # warm-up: lazy initialisation (e.g. onnxruntime's arena) happens once per process
    cold_peak = _status_kb("VmHWM")
    _reset_peak()
    baseline = _status_kb("VmRSS")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    if variant == "vipsthumbnail":
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"ms": ms, "first_mb": peak_mb, "delta_mb": peak_mb, "peak_mb": peak_mb}
    peak = _status_kb("VmHWM")
    return {
        "ms": ms,
        "first_mb": (cold_peak - cold_baseline) / 1024,
        "delta_mb": (peak - baseline) / 1024,
        "peak_mb": max(peak, cold_peak) / 1024,
    }


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so later peaks are per photo, not per process."""
    Path("/proc/self/clear_refs").write_text("5")


def make_inputs(folder: Path) -> dict[str, Path]:
    """Write the 12 MP test photos: a JPEG with EXIF+GPS (orientation 6) and a HEIC."""
    import pillow_heif

    from tests.pipeline.corpus import full_exif, photo_like

    pillow_heif.register_heif_opener()
    image = photo_like(4000, 3000, seed=7)
    paths = {"12MP JPEG": folder / "photo.jpg", "12MP HEIC": folder / "photo.heic"}
    image.save(paths["12MP JPEG"], "JPEG", quality=92, exif=full_exif(6))
    # Quality 60 gives a file the size an iPhone writes for 12 MP (about 2-3 MB).
    image.save(paths["12MP HEIC"], "HEIF", quality=60, exif=full_exif(6).tobytes())
    return paths


def measure(variant: str, path: Path, runs: int) -> dict[str, float] | str:
    """Run one variant in a fresh interpreter; return its figures or why it could not run."""
    if variant in ("faces", "full") and not _faces_available():
        return "n/a (faces.py missing)"
    if variant == "vipsthumbnail" and shutil.which("vipsthumbnail") is None:
        return "n/a (vipsthumbnail missing)"
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", variant, str(path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        return "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:60]
    figures: dict[str, float] = json.loads(proc.stdout)
    return figures


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--worker", nargs=2, metavar=("VARIANT", "PATH"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]), args.runs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp))
        print(f"median of {args.runs} runs after one warm-up; long edge {LONG_EDGE}; one fresh process per row\n")
        print(
            f"{'input':<10} {'variant':<14} {'size':>8} {'median ms':>10} "
            f"{'1st-run +MB':>12} {'per-photo +MB':>14} {'peak RSS MB':>12}"
        )
        for label, path in inputs.items():
            size = f"{path.stat().st_size / 1e6:.1f} MB"
            for variant in VARIANTS:
                result = measure(variant, path, args.runs)
                if isinstance(result, str):
                    print(f"{label:<10} {variant:<14} {size:>8} {result}")
                    continue
                print(
                    f"{label:<10} {variant:<14} {size:>8} {result['ms']:>10.1f} "
                    f"{result['first_mb']:>12.1f} {result['delta_mb']:>14.1f} {result['peak_mb']:>12.1f}"
                )
        print(
            "\n1st-run +MB: peak RSS growth over the first (warm-up) run, including one-off set-up."
            "\nper-photo +MB: peak RSS growth during the timed runs (peak reset after warm-up)."
            "\nvipsthumbnail: wall time includes process start; memory is that process's whole peak RSS."
        )


if __name__ == "__main__":
    main()
