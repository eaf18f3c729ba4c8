"""Fixtures for the photo pipeline tests: an exiftool-backed check that a JPEG holds no metadata."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.pipeline.corpus import MARKERS

# Tags a clean file may show: file-system facts, the container type and geometry, and a
# bare JFIF header. Everything else (EXIF, GPS, XMP, IPTC, ICC, comments, MPF, maker
# notes, and ExifTool warnings about trailers) means something survived.
ALLOWED_TAGS = {
    "ExifTool:ExifToolVersion",
    "File:FileType", "File:FileTypeExtension", "File:MIMEType", "File:ImageWidth",
    "File:ImageHeight", "File:EncodingProcess", "File:BitsPerSample", "File:ColorComponents",
    "File:YCbCrSubSampling",
    "JFIF:JFIFVersion", "JFIF:ResolutionUnit", "JFIF:XResolution", "JFIF:YResolution",
    "Composite:ImageSize", "Composite:Megapixels",
}  # fmt: skip
EXIFTOOL = shutil.which("exiftool")


def exiftool_tags(path: Path) -> dict[str, object]:
    """Every tag exiftool finds in ``path``, keyed ``Group1:Tag`` (unknown tags included)."""
    out = subprocess.run(
        [EXIFTOOL or "exiftool", "-j", "-G1", "-a", "-u", "-U", "-ee", str(path)],
        capture_output=True,
        check=True,
    )
    tags: dict[str, object] = json.loads(out.stdout)[0]
    tags.pop("SourceFile")
    return tags


def leftover_tags(tags: dict[str, object]) -> dict[str, object]:
    """The tags that are neither file-system facts nor on the allow-list."""
    return {k: v for k, v in tags.items() if not k.startswith("System:") and k not in ALLOWED_TAGS}


@pytest.fixture
def assert_bare(tmp_path: Path) -> Callable[[bytes], None]:
    """Return a checker: exiftool sees no metadata in the JPEG, and no marker string is in its bytes."""
    if EXIFTOOL is None:
        pytest.skip("EXIFTOOL IS MISSING: install libimage-exiftool-perl to run metadata checks")

    def check(jpeg: bytes, markers: Iterable[str] = MARKERS.values()) -> None:
        path = tmp_path / "scrubbed.jpg"
        path.write_bytes(jpeg)
        assert leftover_tags(exiftool_tags(path)) == {}
        for marker in markers:
            assert marker.encode() not in jpeg

    return check


@pytest.fixture
def dirty_tags(tmp_path: Path) -> Callable[[bytes], dict[str, object]]:
    """Return a function listing the non-allowed tags of input bytes (proves the corpus is dirty)."""
    if EXIFTOOL is None:
        pytest.skip("EXIFTOOL IS MISSING: install libimage-exiftool-perl to run metadata checks")

    def tags(data: bytes) -> dict[str, object]:
        path = tmp_path / "input.bin"
        path.write_bytes(data)
        return leftover_tags(exiftool_tags(path))

    return tags
