"""Benchmark face detection: time, memory and recall at several detection scales, and a peer.

Run from the repository root:  .venv/bin/python benchmarks/faces.py [--runs 7] [--scenes 4]

Each configuration runs in its own process. "RSS loaded" is the process with the model and
the test pictures in memory; "peak RSS" is the high-water mark while detecting (reset after
loading); "RSS after" is what the process keeps once detection is done. "CPU ms" is the
process CPU time per detection (all threads), which a busy machine inflates less than the
wall-clock columns: on an idle 2-core box, wall time is a little over half of it. The peer is the classic
LBP frontal-face cascade bundled with scikit-image, on the same 1280 px copy the default
detector uses. (OpenCV 5 in this venv no longer ships Haar cascades: ``cv2.data`` is empty
and ``cv2.CascadeClassifier`` is gone.)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pipeline import faces_corpus as corpus  # noqa: E402
from tripposter.pipeline.faces import Face, FaceDetector  # noqa: E402

SIZES = {"2000x1500": ((2000, 1500), (40, 200)), "4000x3000 (12 MP)": ((4000, 3000), (80, 400))}
CONFIGS = [
    "centerface@1280 (chosen)",
    "centerface@640",
    "centerface@1024",
    "centerface@full",
    "lbp-cascade@1280 (peer)",
]


class LbpCascadeDetector:
    """scikit-image's LBP frontal-face cascade (trained by OpenCV) behind the FaceDetector protocol."""

    def __init__(self, long_edge: int = 1280) -> None:
        from skimage import data
        from skimage.feature import Cascade

        self.long_edge = long_edge
        self.cascade = Cascade(data.lbp_frontal_face_cascade_filename())

    def detect(self, image: Image.Image) -> list[Face]:
        """Return faces in ``image``'s coordinates (overlapping hits are not merged)."""
        scale = min(1.0, self.long_edge / max(image.size))
        size = (round(image.width * scale), round(image.height * scale))
        grey = np.asarray(image.convert("L").resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
        found = self.cascade.detect_multi_scale(
            img=grey / 255.0, scale_factor=1.2, step_ratio=1, min_size=(20, 20), max_size=(300, 300)
        )
        boxes = [(f["c"], f["r"], f["width"], f["height"]) for f in found]
        return [Face(*(int(v / scale) for v in box), score=1.0) for box in boxes]


def make_detector(config: str) -> FaceDetector:
    """Build the detector named by ``config``."""
    if config.startswith("lbp"):
        return LbpCascadeDetector()
    from tripposter.pipeline.centerface import CenterFaceDetector

    edge = config.split("@")[1].split()[0]
    return CenterFaceDetector(long_edge=100_000 if edge == "full" else int(edge))


class Scene(NamedTuple):
    """A generated picture saved to disk, and its true faces."""

    path: Path
    faces: list[Face]


def make_scenes(size_name: str, count: int, folder: Path) -> tuple[list[Scene], Scene]:
    """Generate group shots and a face-free scene (fixed seed), saved as PNGs in ``folder``.

    The child processes read the PNGs, so neither generating nor pickling the pictures
    inflates the peak RSS being measured.
    """
    size, face_px = SIZES[size_name]
    rng = np.random.default_rng(12)
    scenes = [
        corpus.group_shot(rng, size, count=int(rng.integers(6, 31)), face_px=face_px) for _ in range(count)
    ]
    scenes.append(corpus.face_free_scene(rng, size))
    saved = []
    for index, scene in enumerate(scenes):
        path = folder / f"{size[0]}-{index}.png"
        scene.image.save(path, compress_level=1)
        saved.append(Scene(path, scene.faces))
    return saved[:-1], saved[-1]


def rss_mb(field: str) -> float:
    """Return VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB (Linux)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def reset_peak_rss() -> None:
    """Restart the VmHWM high-water mark, so loading the pictures does not count as detection."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def measure(config: str, scenes: list[Scene], empty_scene: Scene, runs: int) -> dict[str, float]:
    """Run one configuration; meant to run in a fresh process so its memory is its own."""
    shots = [corpus.Scene(Image.open(s.path).convert("RGB"), s.faces) for s in scenes]
    empty = Image.open(empty_scene.path).convert("RGB")
    detector = make_detector(config)
    rss_loaded = rss_mb("VmRSS")
    reset_peak_rss()
    detector.detect(shots[0].image)  # warm-up: the first run sizes onnxruntime's arena
    times, cpu_times = [], []
    # The cascade takes seconds per photo, so it gets two timed runs.
    for _ in range(runs if config.startswith("centerface") else min(runs, 2)):
        start, cpu_start = time.perf_counter(), time.process_time()
        detector.detect(shots[0].image)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    found = sum(corpus.matches(s.faces, detector.detect(s.image)) for s in shots)
    return {
        "ms": statistics.median(times) * 1000,
        "best": min(times) * 1000,
        "cpu": statistics.median(cpu_times) * 1000,
        "recall": found / sum(len(s.faces) for s in shots),
        "faces": sum(len(s.faces) for s in shots),
        "false": len(detector.detect(empty)),
        "rss_loaded": rss_loaded,
        "rss_peak": rss_mb("VmHWM"),
        "rss_after": rss_mb("VmRSS"),
    }


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scenes", type=int, default=4)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}, cpus: {os.cpu_count()}")
    print(f"{'input':<18} {'detector':<26} {'median ms':>9} {'best ms':>7} {'CPU ms':>6} {'recall':>6} {'faces':>5} "
          f"{'false+':>6} {'RSS loaded MB':>13} {'peak RSS MB':>11} {'RSS after MB':>12}")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as temp:
        run_all(context, Path(temp), args.runs, args.scenes)


def run_all(context: multiprocessing.context.SpawnContext, folder: Path, runs: int, scenes: int) -> None:
    """Measure every configuration on every input size and print one row each."""
    for size_name in SIZES:
        shots, empty = make_scenes(size_name, scenes, folder)
        for config in CONFIGS:
            with context.Pool(1) as pool:
                r = pool.apply(measure, (config, shots, empty, runs))
            print(f"{size_name:<18} {config:<26} {r['ms']:>9.1f} {r['best']:>7.1f} {r['cpu']:>6.0f} {r['recall']:>6.3f} "
                  f"{r['faces']:>5} {r['false']:>6} {r['rss_loaded']:>13.0f} {r['rss_peak']:>11.0f} {r['rss_after']:>12.0f}")


if __name__ == "__main__":
    main()
