"""Smoke test of ``benchmarks/load.py``: it runs end to end on small photos, so it cannot rot.

Not a timing test: the figures live in the benchmark's table. This only checks that the script
starts gunicorn, uploads, checks the outputs and the spool, and reports success in its exit status.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_load_benchmark_runs_on_small_photos() -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--photos", "4", "--size", "800x600", "--configs", "sync -w 2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("sync -w 2"))
    ok, errors = row.split()[3:5]
    assert (ok, errors) == ("4", "0")
    assert "4 concurrent uploads of 800x600 photos" in proc.stdout
