"""Refuse a photo that carries another file after the picture's end (a polyglot).

Phones do append data after a picture: an MPO's second frame, a motion photo's video. The scrub
drops it, so that is accepted. An archive, a document, a web page or a program glued on after the
picture is never a camera's doing, though: it is a file dressed up as a photo, and the school
should hear about it rather than have it quietly cleaned away.

Only the start of the trailer and a ZIP's or PDF's own end record are examined, never the
middle, so a few bytes of video that happen to look like a signature cannot refuse a real photo.
"""

from __future__ import annotations

from tripposter.pipeline.errors import PipelineError

ARCHIVE, DOCUMENT, WEB_PAGE, PROGRAM = "a ZIP or other archive", "a PDF document", "a web page or script", "a program"

# Signatures a trailer may start with (after any zero padding).
_HEADS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", ARCHIVE),
    (b"PK\x05\x06", ARCHIVE),
    (b"Rar!\x1a\x07", ARCHIVE),
    (b"7z\xbc\xaf\x27\x1c", ARCHIVE),
    (b"\x1f\x8b\x08", ARCHIVE),
    (b"%PDF", DOCUMENT),
    (b"\x7fELF", PROGRAM),
    (b"MZ", PROGRAM),
    (b"#!", PROGRAM),
)
_TEXT_HEADS = (b"<html", b"<!doctype", b"<script", b"<?php", b"<svg", b"<?xml", b"<iframe", b"<body")
_ZIP_END, _ZIP_END_REACH = b"PK\x05\x06", 65_535 + 22  # a ZIP is read from its end record
_PDF_END, _PDF_END_REACH = b"%%EOF", 1024


class HiddenFileError(PipelineError):
    """Another file (archive, document, page, program) is attached after the picture."""

    code = "hidden_file"


def check_trailer(trailer: bytes) -> None:
    """Refuse ``trailer`` (the bytes after the picture's end) if it holds another file.

    Raises:
        HiddenFileError: it starts like, or ends like, an archive, a document, a page or a program.
    """
    if found := hidden_kind(trailer):
        raise HiddenFileError(
            f"This photo has {found} attached after the picture, so it cannot be used. "
            "Please send the photo straight from the phone's camera or gallery."
        )


def hidden_kind(trailer: bytes) -> str | None:
    """What kind of file ``trailer`` carries, or None for nothing, padding or a camera's own data."""
    head = trailer.lstrip(b"\x00")[:64]
    for signature, kind in _HEADS:
        if head.startswith(signature):
            return kind
    if head.lstrip().lower().startswith(_TEXT_HEADS):
        return WEB_PAGE
    if _ZIP_END in trailer[-_ZIP_END_REACH:]:
        return ARCHIVE
    if _PDF_END in trailer[-_PDF_END_REACH:]:
        return DOCUMENT
    return None
