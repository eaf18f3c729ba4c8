"""verify_clean_jpeg accepts our bare output and catches every kind of leftover injected into it."""

from __future__ import annotations

import struct

import pytest

from tests.pipeline.corpus import (
    app_segment,
    icc_profile,
    iptc_segment,
    jpeg_bytes,
    marked_picture,
    photo_like,
    splice_after_soi,
    xmp_packet,
)
from tripposter.pipeline.scrub import encode_jpeg
from tripposter.pipeline.verify import UnsafeOutputError, parse_jpeg, verify_clean_jpeg


@pytest.fixture(scope="module")
def clean() -> bytes:
    jpeg, _ = encode_jpeg(photo_like(320, 240), quality=85, max_bytes=10**7)
    return jpeg


def test_our_encoder_output_passes(clean: bytes) -> None:
    verify_clean_jpeg(clean)
    markers = [seg.marker for seg in parse_jpeg(clean).segments]
    assert markers[:2] == [0xD8, 0xE0] and markers[-1] == 0xD9


EXIF_PAYLOAD = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00"
INJECTED = {
    "app1-exif": app_segment(0xE1, EXIF_PAYLOAD),
    "app1-xmp": app_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet()),
    "app13-iptc": iptc_segment(),
    "app2-icc": app_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc_profile()),
    "app2-mpf": app_segment(0xE2, b"MPF\x00MM\x00*\x00\x00\x00\x08"),
    "app0-jfxx": app_segment(0xE0, b"JFXX\x00\x13" + bytes(8)),
    "app14-adobe": app_segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01"),
    "com": app_segment(0xFE, b"a comment"),
}


@pytest.mark.parametrize("name", sorted(INJECTED))
def test_injected_segment_is_caught(clean: bytes, name: str) -> None:
    with pytest.raises(UnsafeOutputError) as caught:
        verify_clean_jpeg(splice_after_soi(clean, INJECTED[name]))
    assert caught.value.user_message and caught.value.detail


def test_segment_hidden_before_eoi_is_caught(clean: bytes) -> None:
    dirty = clean[:-2] + app_segment(0xFE, b"late comment") + clean[-2:]
    with pytest.raises(UnsafeOutputError):
        verify_clean_jpeg(dirty)


@pytest.mark.parametrize("trailer", [b"\x00", b"PK\x03\x04zip", b"\xff\xd8\xff\xe0 second image"])
def test_trailing_bytes_are_caught(clean: bytes, trailer: bytes) -> None:
    with pytest.raises(UnsafeOutputError) as caught:
        verify_clean_jpeg(clean + trailer)
    assert "after EOI" in caught.value.detail


def test_progressive_frame_is_caught() -> None:
    progressive = jpeg_bytes(marked_picture(), progressive=True)
    stripped = _drop_app_segments(progressive)
    with pytest.raises(UnsafeOutputError) as caught:
        verify_clean_jpeg(stripped)
    assert "SOF2" in caught.value.detail


def test_jfif_with_thumbnail_is_caught(clean: bytes) -> None:
    length = struct.unpack(">H", clean[4:6])[0]
    thumb = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"\x80\x80\x80"
    with pytest.raises(UnsafeOutputError):
        verify_clean_jpeg(clean[:2] + app_segment(0xE0, thumb) + clean[4 + length :])


@pytest.mark.parametrize("cut", [1, 3, 10, 200])
def test_truncated_or_garbage_is_caught(clean: bytes, cut: int) -> None:
    with pytest.raises(UnsafeOutputError):
        verify_clean_jpeg(clean[:cut])
    with pytest.raises(UnsafeOutputError):
        verify_clean_jpeg(clean[: len(clean) - cut])


def test_not_a_jpeg_is_caught() -> None:
    with pytest.raises(UnsafeOutputError):
        verify_clean_jpeg(b"<html>hello</html>")


def _drop_app_segments(jpeg: bytes) -> bytes:
    """Remove APPn segments so only the frame type can fail verification."""
    layout = parse_jpeg(jpeg)
    out = bytearray(jpeg)
    for seg in reversed(layout.segments):
        if 0xE0 <= seg.marker <= 0xEF:
            del out[seg.offset : seg.offset + 4 + len(seg.payload)]
    return bytes(out)
