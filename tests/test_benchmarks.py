"""Smoke tests of ``benchmarks/pipeline.py`` and ``benchmarks/startup.py``: they run end to end, small, so they cannot rot.

No figure is asserted except what makes the comparison meaningful: every row ran, every output was
scored against the reference, and an output that was not turned upright would be caught by its score.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.pipeline.corpus import full_exif

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_pipeline", ROOT / "benchmarks" / "pipeline.py")
assert _spec and _spec.loader
pipeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pipeline)  # it puts benchmarks/ on sys.path, for scene.py
from scene import busy_scene  # noqa: E402

pytestmark = pytest.mark.slow


def run(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_pipeline_benchmark_runs_every_row_and_scores_each_output() -> None:
    out = run("benchmarks/pipeline.py", "--runs", "1", "--size", "480x360")
    lines = [line for line in out.splitlines() if line.startswith("480x360 ")]
    assert len(lines) == 2 * len(pipeline.ROWS)  # JPEG and HEIC; pyvips is a dev extra, so vips rows ran too
    for line in lines:
        ssim = float(line.split()[-3])
        # Every row turns the photo upright, so each matches the reference closely.
        assert 0.85 < ssim <= 1.0, line


def test_the_quality_score_would_catch_a_photo_left_on_its_side() -> None:
    out = io.BytesIO()
    busy_scene(480, 360).save(out, "JPEG", quality=92, exif=full_exif(6))
    data = out.getvalue()
    upright = pipeline.naive_pillow(data)
    with Image.open(io.BytesIO(upright)) as image:
        sideways = io.BytesIO()
        image.transpose(Image.Transpose.ROTATE_90).resize(image.size).save(sideways, "JPEG")
    assert pipeline.quality(data, upright)[0] > 0.85
    assert pipeline.quality(data, sideways.getvalue())[0] < 0.5


def test_startup_benchmark_prints_tripposter_beside_its_peers() -> None:
    out = run("benchmarks/startup.py", "--rounds", "1")
    help_row = next(line for line in out.splitlines() if line.startswith("tripposter --help"))
    assert help_row.rstrip().endswith("-")  # imported neither onnxruntime, huey nor the web app
    assert "flask --help (peer)" in out and "python -c pass (floor)" in out
