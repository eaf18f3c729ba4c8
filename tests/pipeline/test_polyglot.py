"""A photo with another file glued on after the picture is refused; a camera's own trailer is not."""

from __future__ import annotations

import pytest

from tests.pipeline.corpus import encoded, jpeg_bytes, photo_like, zip_bytes
from tripposter.pipeline.photo import scrub_photo
from tripposter.pipeline.polyglot import ARCHIVE, DOCUMENT, PROGRAM, WEB_PAGE, HiddenFileError, hidden_kind

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>\n"
# What a Samsung or Google motion photo puts after the JPEG: an MP4 ('ftyp' box first).
MOTION = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42" + bytes(range(256)) * 64


@pytest.mark.parametrize(
    ("trailer", "kind"),
    [
        (zip_bytes(), ARCHIVE),
        (b"\x00" * 16 + zip_bytes(), ARCHIVE),  # zero padding first
        (b"some junk first " + zip_bytes(), ARCHIVE),  # a ZIP is found by its end record
        (PDF, DOCUMENT),
        (b"junk " + PDF, DOCUMENT),
        (HTML, WEB_PAGE),
        (b"\n  <?php system($_GET['c']); ?>", WEB_PAGE),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", WEB_PAGE),
        (b"\x7fELF\x02\x01\x01" + bytes(64), PROGRAM),
        (b"MZ\x90\x00" + bytes(64), PROGRAM),
        (b"#!/bin/sh\nrm -rf /\n", PROGRAM),
        (b"\x1f\x8b\x08\x00" + bytes(32), ARCHIVE),
    ],
    ids=["zip", "padded-zip", "junk-then-zip", "pdf", "junk-then-pdf", "html", "php", "svg", "elf", "exe", "script", "gzip"],
)
def test_a_hidden_file_is_named(trailer: bytes, kind: str) -> None:
    assert hidden_kind(trailer) == kind


@pytest.mark.parametrize("trailer", [b"", bytes(4096), MOTION, jpeg_bytes(photo_like(64, 48))],
                         ids=["nothing", "zero-padding", "motion-photo-video", "mpo-second-frame"])
def test_a_cameras_own_trailer_is_not_a_hidden_file(trailer: bytes) -> None:
    assert hidden_kind(trailer) is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("trailer", [zip_bytes(), PDF, HTML], ids=["zip", "pdf", "html"])
def test_a_polyglot_photo_is_refused_with_a_sentence(fmt: str, trailer: bytes) -> None:
    with pytest.raises(HiddenFileError) as refused:
        scrub_photo(encoded(photo_like(320, 240), fmt) + trailer)
    assert refused.value.code == "hidden_file"
    assert "attached after the picture" in refused.value.user_message


def test_a_motion_photo_is_accepted_and_its_video_dropped() -> None:
    result = scrub_photo(jpeg_bytes(photo_like(320, 240)) + MOTION)
    assert "trailing-data" in result.removed and b"ftypmp42" not in result.jpeg
