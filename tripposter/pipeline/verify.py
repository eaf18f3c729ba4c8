"""Re-parse a JPEG we produced and refuse it unless it holds nothing but pixels.

We walk the marker segments ourselves rather than asking Pillow, because Pillow
skips what it does not understand; this walker sees every byte. A clean file is:
SOI, at most one bare APP0 JFIF header, then only DQT, DHT, DRI, one baseline SOF0,
SOS with its entropy-coded data, and EOI, with nothing after EOI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tripposter.pipeline.errors import PipelineError

SOI, EOI, SOS, SOF0, DHT, DQT, DRI, APP0, COM = 0xD8, 0xD9, 0xDA, 0xC0, 0xC4, 0xDB, 0xDD, 0xE0, 0xFE
_RST = range(0xD0, 0xD8)
# In entropy-coded data 0xFF is followed by a stuffed 0x00 or a restart marker; any
# other byte after 0xFF starts the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# Bare JFIF APP0: identifier, version (2), units (1), densities (2 + 2), and a
# zero-by-zero thumbnail, so exactly 14 payload bytes.
_BARE_JFIF_LEN = 14
_TABLES = frozenset({DQT, DHT, DRI})


class UnsafeOutputError(PipelineError):
    """Our own output still held something other than pixels, so it must not be posted."""

    code = "unsafe_output"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "We could not make a clean copy of this photo, so it has not been posted. "
            "Please try again, or choose a different photo."
        )
        self.detail = detail  # for logs and tests; never shown to the teacher


class JpegStructureError(ValueError):
    """The bytes are not a well-formed sequence of JPEG marker segments."""


@dataclass(frozen=True)
class Segment:
    """One marker segment: ``marker`` is the byte after 0xFF; ``payload`` excludes the length field."""

    marker: int
    offset: int
    payload: bytes


@dataclass(frozen=True)
class JpegLayout:
    """The segments up to and including the first EOI, and where that EOI ends."""

    segments: list[Segment]
    end: int


def parse_jpeg(data: bytes) -> JpegLayout:
    """Walk ``data`` from SOI to the first EOI.

    Raises:
        JpegStructureError: no SOI, a segment runs past the end, or there is no EOI.
    """
    if data[:2] != b"\xff\xd8":
        raise JpegStructureError("no SOI marker")
    segments = [Segment(SOI, 0, b"")]
    pos = 2
    for marker, offset, payload, pos in _walk(data, pos):
        segments.append(Segment(marker, offset, payload))
        if marker == EOI:
            return JpegLayout(segments, pos)
    raise JpegStructureError("no EOI marker")  # pragma: no cover - _walk raises first


def _walk(data: bytes, pos: int) -> Iterator[tuple[int, int, bytes, int]]:
    """Yield ``(marker, offset, payload, next_pos)`` for each segment after SOI."""
    size = len(data)
    while True:
        if pos >= size or data[pos] != 0xFF:
            raise JpegStructureError(f"expected a marker at byte {pos}")
        offset = pos
        while pos < size and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= size:
            raise JpegStructureError("file ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker == EOI or marker in _RST or marker == 0x01:
            yield marker, offset, b"", pos
            continue
        if pos + 2 > size:
            raise JpegStructureError("file ends inside a segment length")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            raise JpegStructureError(f"segment 0xFF{marker:02X} runs past the end")
        payload = data[pos + 2 : pos + length]
        pos += length
        if marker == SOS:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                raise JpegStructureError("scan data is not followed by a marker")
            pos = found.start()
        yield marker, offset, payload, pos


def verify_clean_jpeg(data: bytes) -> None:
    """Check that ``data`` is a baseline JPEG holding pixels and nothing else.

    Raises:
        UnsafeOutputError: any metadata segment, comment, non-baseline frame, malformed
            structure or byte after EOI was found.
    """
    try:
        layout = parse_jpeg(data)
    except JpegStructureError as exc:
        raise UnsafeOutputError(f"malformed JPEG: {exc}") from exc
    if layout.end != len(data):
        raise UnsafeOutputError(f"{len(data) - layout.end} bytes after EOI")
    frames = scans = 0
    for index, seg in enumerate(layout.segments[1:-1], start=1):
        if seg.marker == APP0:
            if index != 1 or not _is_bare_jfif(seg.payload):
                raise UnsafeOutputError("APP0 segment other than a bare JFIF header")
        elif seg.marker == SOF0:
            frames += 1
        elif seg.marker == SOS:
            if frames != 1:
                raise UnsafeOutputError("scan before the frame header")
            scans += 1
        elif seg.marker not in _TABLES and seg.marker not in _RST:
            raise UnsafeOutputError(f"forbidden segment {describe_marker(seg)}")
    if frames != 1 or scans < 1:
        raise UnsafeOutputError("not exactly one baseline frame with a scan")


def _is_bare_jfif(payload: bytes) -> bool:
    """True for a JFIF APP0 with no thumbnail and nothing extra."""
    return len(payload) == _BARE_JFIF_LEN and payload[:5] == b"JFIF\x00" and payload[12:14] == b"\x00\x00"


def describe_marker(seg: Segment) -> str:
    """Name a segment for messages, e.g. ``APP1 (Exif)`` or ``SOF2``."""
    if 0xE0 <= seg.marker <= 0xEF:
        ident = seg.payload[:30].split(b"\x00", 1)[0].decode("latin-1")
        return f"APP{seg.marker - 0xE0} ({ident[:30]})"
    if seg.marker == COM:
        return "COM"
    if 0xC0 <= seg.marker <= 0xCF and seg.marker not in (DHT, 0xC8, 0xCC):
        return f"SOF{seg.marker - 0xC0}"
    return f"0xFF{seg.marker:02X}"
