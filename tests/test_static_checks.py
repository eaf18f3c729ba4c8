"""Static checks that belong to the suite: bandit finds nothing of high severity, Pillow is new enough."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from packaging.version import Version
from PIL import __version__ as pillow_version

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_finds_nothing_of_medium_or_high_severity() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(ROOT / "tripposter"), "-f", "json", "-q", "-ll"],
        capture_output=True, text=True, check=False,
    )
    report = json.loads(result.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 3000  # it really read the package


def test_pillow_has_the_2026_decompression_bomb_fixes() -> None:
    assert Version(pillow_version) >= Version("12.3")
