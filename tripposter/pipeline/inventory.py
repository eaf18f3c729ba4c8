"""Name the metadata an upload carries, so the teacher can be told what was removed.

Nothing here decides what is kept: re-encoding from pixels keeps nothing. The list is
a report, built by walking the container (JPEG segments, PNG or WebP chunks) and the
EXIF block, plus what libheif has parsed for HEIF.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Final

from PIL import ExifTags, Image

from tripposter.pipeline.verify import parse_jpeg


def metadata_kinds(data: bytes, image: Image.Image, kind: str) -> list[str]:
    """List the kinds of metadata in an opened upload (all of which re-encoding drops), sorted."""
    found: set[str] = set()
    if kind == "jpeg":
        layout = parse_jpeg(data)
        found.update(_jpeg_kind(seg.marker, seg.payload) for seg in layout.segments[1:-1])
        if layout.end < len(data):
            found.add("extra-images" if image.format == "MPO" else "trailing-data")
    elif kind in ("png", "webp"):
        found_chunks, end = walk_chunks(data, kind)
        found.update(_CHUNK_KINDS.get(name, "") for name, _ in found_chunks)
        found.update("xmp" for name, body in found_chunks if name == "iTXt" and body.startswith(b"XML:com.adobe.xmp"))
        if end < len(data):
            found.add("trailing-data")
    else:  # HEIF: libheif has already parsed the boxes
        info = image.info
        found.update(k for k, key in _HEIF_KINDS.items() if info.get(key))
        if getattr(image, "n_frames", 1) > 1:
            found.add("extra-images")
    found.update(_exif_kinds(image))
    found.discard("")
    return sorted(found)


_CHUNK_KINDS: Final = {
    "tEXt": "png-text", "zTXt": "png-text", "iTXt": "png-text", "eXIf": "exif", "iCCP": "icc",
    "tIME": "timestamp", "EXIF": "exif", "XMP ": "xmp", "ICCP": "icc",
}  # fmt: skip
_HEIF_KINDS: Final = {"exif": "exif", "xmp": "xmp", "icc": "icc_profile", "thumbnail": "thumbnails",
                      "depth-map": "depth_images", "auxiliary-images": "aux"}  # fmt: skip
_APP_IDS: Final = [(b"Exif\x00", "exif"), (b"http://ns.adobe.com/x", "xmp"), (b"ICC_PROFILE\x00", "icc"),
                   (b"MPF\x00", "mpf"), (b"Photoshop 3.0\x00", "iptc"), (b"Adobe\x00", "")]  # fmt: skip


def _jpeg_kind(marker: int, payload: bytes) -> str:
    """Name the metadata kind a JPEG segment holds, or "" for a pixel/table segment."""
    if marker == 0xFE:
        return "comment"
    if marker == 0xE0:
        return "" if payload[:5] == b"JFIF\x00" and payload[12:14] == b"\x00\x00" else "jfif-extension"
    if not 0xE1 <= marker <= 0xEF:
        return ""
    for prefix, name in _APP_IDS:
        if payload.startswith(prefix):
            return name
    return "iptc" if marker == 0xED else "other-metadata"


def walk_chunks(data: bytes, kind: str) -> tuple[list[tuple[str, bytes]], int]:
    """Walk PNG or WebP (RIFF) chunks; return ``(name, body)`` pairs and where the file really ends.

    Raises:
        ValueError: a chunk runs past the end, a PNG chunk fails its CRC, or a PNG has no IEND.
    """
    png = kind == "png"
    pos, end = (8, len(data)) if png else (12, 8 + int.from_bytes(data[4:8], "little"))
    if end > len(data):
        raise ValueError("RIFF size runs past the end")
    out: list[tuple[str, bytes]] = []
    while pos + 8 <= end:
        if png:
            size, name = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        else:
            name, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body_end = pos + 8 + size
        if body_end + (4 if png else 0) > end:
            raise ValueError("chunk runs past the end")
        # PNG chunks carry a CRC; checking it ourselves catches damage that a decoder
        # which stops reading early would miss.
        if png and zlib.crc32(data[pos + 4 : body_end]) != int.from_bytes(data[body_end : body_end + 4], "big"):
            raise ValueError("chunk CRC mismatch")
        out.append((name.decode("latin-1"), data[pos + 8 : body_end]))
        pos = body_end + (4 if png else size % 2)  # PNG: CRC; RIFF: pad to even
        if png and name == b"IEND":
            return out, pos
    if png:
        raise ValueError("no IEND chunk")
    return out, end


def _exif_kinds(image: Image.Image) -> set[str]:
    """Name the sensitive parts of the EXIF block: GPS, embedded thumbnail, maker notes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # damaged EXIF only warns
        try:
            exif = image.getexif()
            found = {"gps"} if exif.get_ifd(ExifTags.IFD.GPSInfo) else set()
            if exif.get_ifd(ExifTags.IFD.IFD1):
                found.add("thumbnail")
            if ExifTags.Base.MakerNote in exif.get_ifd(ExifTags.IFD.Exif):
                found.add("makernote")
        except Exception:  # unreadable EXIF: it is dropped all the same
            return set()
    return found
