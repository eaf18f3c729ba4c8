"""scrub_photo end to end: every metadata kind in, nothing out (checked by exiftool), faces found and blurred."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.pipeline.corpus import (
    MARKERS,
    app_segment,
    encoded,
    full_exif,
    icc_profile,
    iptc_segment,
    jpeg_bytes,
    marked_picture,
    photo_like,
    png_with_text,
    splice_after_soi,
    xmp_packet,
    zip_bytes,
)
from tripposter.pipeline.faces import Face, default_detector
from tripposter.pipeline.photo import ScrubResult, apply_blur, scrub_photo
from tripposter.pipeline.verify import UnsafeOutputError, verify_clean_jpeg

Dirty = Callable[[bytes], dict[str, object]]
Bare = Callable[[bytes], None]


def dirty_jpeg() -> bytes:
    """A JPEG carrying EXIF+GPS+serial, XMP, IPTC, a comment, an ICC profile and a trailer."""
    jpeg = jpeg_bytes(
        photo_like(320, 240),
        exif=full_exif(1),
        xmp=xmp_packet(),
        comment=MARKERS["comment"].encode(),
        icc_profile=icc_profile(swap_red_blue=False),
    )
    return splice_after_soi(jpeg, iptc_segment()) + MARKERS["trail"].encode()


def check(data: bytes, removed: set[str], dirty_tags: Dirty, assert_bare: Bare) -> ScrubResult:
    """Scrub ``data``; the input must really hold the metadata, the output none of it."""
    before = dirty_tags(data)
    assert before, "the corpus file should carry metadata"
    result = scrub_photo(data)
    verify_clean_jpeg(result.jpeg)
    assert_bare(result.jpeg)
    assert removed <= set(result.removed)
    return result


def test_jpeg_with_every_kind_of_metadata(dirty_tags: Dirty, assert_bare: Bare) -> None:
    data = dirty_jpeg()
    groups = {key.split(":")[0] for key in dirty_tags(data)}
    assert {"IFD0", "ExifIFD", "GPS", "XMP-dc", "IPTC", "ICC_Profile"} <= groups
    result = check(data, set(), dirty_tags, assert_bare)
    assert result.removed == ["comment", "exif", "gps", "icc", "iptc", "trailing-data", "xmp"]
    assert (result.source_format, result.width, result.height, result.quality) == ("JPEG", 320, 240, 85)


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="EXIFTOOL IS MISSING: cannot write a thumbnail")
def test_exif_thumbnail_written_by_exiftool(tmp_path: Path, dirty_tags: Dirty, assert_bare: Bare) -> None:
    photo, thumb = tmp_path / "photo.jpg", tmp_path / "thumb.jpg"
    photo.write_bytes(jpeg_bytes(photo_like(320, 240), exif=full_exif(1)))
    thumb.write_bytes(jpeg_bytes(marked_picture(), comment=b"MARKER-THUMB-0e1f"))
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-ThumbnailImage<={thumb}", str(photo)], check=True)
    result = check(photo.read_bytes(), {"exif", "thumbnail", "gps"}, dirty_tags, assert_bare)
    assert b"MARKER-THUMB-0e1f" in photo.read_bytes() and b"MARKER-THUMB-0e1f" not in result.jpeg


def test_mpo_from_a_phone_keeps_only_the_first_picture(dirty_tags: Dirty, assert_bare: Bare) -> None:
    data = encoded(marked_picture(), "MPO", save_all=True, append_images=[photo_like(240, 160)], exif=full_exif(1))
    result = check(data, {"mpf", "extra-images", "gps"}, dirty_tags, assert_bare)
    assert result.source_format == "MPO"
    assert Image.open(io.BytesIO(result.jpeg)).format == "JPEG"


def test_png_text_chunks_and_exif(dirty_tags: Dirty, assert_bare: Bare) -> None:
    check(png_with_text(marked_picture()), {"png-text", "xmp", "exif", "gps", "timestamp"}, dirty_tags, assert_bare)


def test_webp_with_exif_xmp_and_icc(dirty_tags: Dirty, assert_bare: Bare) -> None:
    data = encoded(marked_picture(), "WEBP", exif=full_exif(1).tobytes(), xmp=xmp_packet(), icc_profile=icc_profile(False))
    result = check(data, {"exif", "gps", "xmp", "icc"}, dirty_tags, assert_bare)
    assert result.source_format == "WEBP"


def test_heic_with_exif_and_xmp(dirty_tags: Dirty, assert_bare: Bare) -> None:
    data = encoded(marked_picture(), "HEIF", exif=full_exif(1).tobytes(), xmp=xmp_packet())
    result = check(data, {"exif", "gps", "xmp"}, dirty_tags, assert_bare)
    assert result.source_format == "HEIF"


def test_no_detector_means_no_faces() -> None:
    result = scrub_photo(jpeg_bytes(photo_like(320, 240)))
    assert result.faces == [] and result.blurred == []
    with pytest.raises(ValueError, match="detector"):
        scrub_photo(jpeg_bytes(photo_like(320, 240)), blur="all")


@pytest.fixture(scope="module")
def astronaut() -> bytes:
    skimage_data = pytest.importorskip("skimage.data")
    return jpeg_bytes(Image.fromarray(skimage_data.astronaut()), exif=full_exif(1))


def face_detail(jpeg: bytes, face: Face) -> float:
    """How much fine detail the face box holds: mean absolute difference between neighbours."""
    with Image.open(io.BytesIO(jpeg)) as image:
        box = np.asarray(image.convert("L").crop((face.x, face.y, face.x + face.width, face.y + face.height)), float)
    return float(np.abs(np.diff(box, axis=1)).mean())


def test_faces_are_found_and_blurred_on_request(astronaut: bytes) -> None:
    detector = default_detector()
    plain = scrub_photo(astronaut, detector=detector)
    assert len(plain.faces) >= 1 and plain.blurred == []
    face = plain.faces[0]
    assert 150 < face.x + face.width / 2 < 300 and 60 < face.y + face.height / 2 < 200  # her face
    blurred = scrub_photo(astronaut, detector=detector, blur="all")
    assert blurred.blurred == list(range(len(blurred.faces)))
    assert face_detail(blurred.jpeg, face) < face_detail(plain.jpeg, face) / 3
    chosen = scrub_photo(astronaut, detector=detector, blur=[0])
    assert chosen.blurred == [0]
    with pytest.raises(ValueError, match="out of range"):
        scrub_photo(astronaut, detector=detector, blur=[len(plain.faces)])


def test_apply_blur_on_a_clean_jpeg(astronaut: bytes) -> None:
    plain = scrub_photo(astronaut, detector=default_detector())
    blurred = apply_blur(plain.jpeg, plain.faces)
    verify_clean_jpeg(blurred)
    assert face_detail(blurred, plain.faces[0]) < face_detail(plain.jpeg, plain.faces[0]) / 3
    with pytest.raises(UnsafeOutputError):
        apply_blur(astronaut, plain.faces)  # only our own clean output may come back in


def test_malformed_mpf_and_exif_segments_do_not_block_the_photo(assert_bare: Bare) -> None:
    bogus_mpf = app_segment(0xE2, b"MPF\x00MM\x00*\x00\x00\x00\x08\x00\x01\xb0\x00\x00\x07")
    bogus_exif = app_segment(0xE1, b"Exif\x00\x00MM\x00*\x00\x00\xff\xff" + MARKERS["serial"].encode())
    result = scrub_photo(splice_after_soi(jpeg_bytes(photo_like(320, 240)), bogus_exif, bogus_mpf))
    assert {"exif", "mpf"} <= set(result.removed)
    assert_bare(result.jpeg)
