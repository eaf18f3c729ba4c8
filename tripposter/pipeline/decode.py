"""Recognise an upload by its content, check its header, and decode it safely.

The file name, extension and Content-Type are never consulted: the first bytes pick
one of four accepted kinds (JPEG/MPO, PNG, WebP, HEIC/HEIF), and Pillow is then only
allowed to parse the file as that kind. Sizes are checked from the header, before any
pixel is decoded, so a decompression bomb never reaches memory.

A JPEG or PNG with a camera's data after its end (an MPO's extra pictures, a motion
photo's video) is accepted: only the first picture's pixels are kept, so the trailer is
dropped by re-encoding and reported as ``trailing-data``. One with an archive, document,
page or program after its end (a polyglot) is refused (``polyglot.py``), as is a file that
merely *contains* a picture after something else (HTML, ZIP, PDF), by its first bytes.

Pillow's globals are not trusted: truncation is detected by walking the container
ourselves (whatever ``ImageFile.LOAD_TRUNCATED_IMAGES`` says), and our pixel limit is
applied whatever ``Image.MAX_IMAGE_PIXELS`` says; Pillow's own bomb error, if it fires
first, becomes ``TooManyPixelsError``. Damage inside a JPEG's compressed data cannot be
told from noise and decodes as garbled pixels, which is safe. (``warnings.catch_warnings``
is process-wide; it only silences warnings about metadata we discard anyway.)
"""

from __future__ import annotations

import io
import warnings
from typing import Final

import pillow_heif
from PIL import Image

from tripposter.pipeline.errors import PipelineError
from tripposter.pipeline.inventory import walk_chunks
from tripposter.pipeline.polyglot import check_trailer
from tripposter.pipeline.verify import JpegStructureError, parse_jpeg

pillow_heif.register_heif_opener()

# Our kind -> the Pillow formats it may be parsed as. A JPEG with an MPF segment is
# opened by Pillow as "MPO"; its first picture is the main one.
ACCEPTED: Final = {"jpeg": ["JPEG", "MPO"], "png": ["PNG"], "webp": ["WEBP"], "heif": ["HEIF"]}
_HEIF_STILL = {b"heic", b"heix", b"heim", b"heis", b"mif1"}
_HEIF_SEQUENCE = {b"hevc", b"hevx", b"msf1"}
_MIN_IMAGE_BYTES = 24  # smaller than any real JPEG/PNG/WebP/HEIF header
# Recognised but refused: (prefix, offset, what to call it).
_KNOWN_OTHERS: Final = [
    (b"GIF8", 0, "a GIF"),
    (b"II*\x00", 0, "a TIFF"),
    (b"MM\x00*", 0, "a TIFF"),
    (b"BM", 0, "a BMP"),
    (b"ftypavif", 4, "an AVIF"),
    (b"ftypavis", 4, "an AVIF"),
]
_UNSUPPORTED_HINT = "Please send a photo saved as JPEG, PNG, WebP or HEIC."


class EmptyFileError(PipelineError):
    """The upload had no bytes at all."""

    code = "empty_file"


class NotAnImageError(PipelineError):
    """The upload is not a photo at all (web page, document, archive, text...)."""

    code = "not_an_image"


class UnsupportedFormatError(NotAnImageError):
    """The upload is a picture, but of a kind we do not accept (GIF, TIFF, AVIF...)."""

    code = "unsupported_format"


class CorruptImageError(PipelineError):
    """The upload looks like a photo but is cut short or damaged."""

    code = "corrupt_image"


class AnimatedImageError(PipelineError):
    """The upload is an animation or a picture sequence, not a still photo."""

    code = "animated_image"


class FileTooLargeError(PipelineError):
    """The upload has more bytes than the limit."""

    code = "file_too_large"


class TooManyPixelsError(PipelineError):
    """The header claims more pixels than the limit allows us to decode."""

    code = "too_many_pixels"


def sniff(data: bytes) -> str:
    """Return the accepted kind of ``data`` ("jpeg", "png", "webp" or "heif") from its first bytes.

    Raises:
        CorruptImageError: too short to be any photo.
        AnimatedImageError: an HEIF picture sequence.
        UnsupportedFormatError: a picture type we do not accept.
        NotAnImageError: anything else.
    """
    if len(data) < _MIN_IMAGE_BYTES:
        raise CorruptImageError(
            "This file is too small to be a photo; it may have been cut off while sending. "
            "Please send it again."
        )
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_STILL:
            return "heif"
        if brand in _HEIF_SEQUENCE:
            raise AnimatedImageError(
                "This file is a moving picture, not a still photo. Please send a single photo."
            )
    for prefix, offset, name in _KNOWN_OTHERS:
        if data[offset : offset + len(prefix)] == prefix:
            raise UnsupportedFormatError(f"This file is {name} picture, which we cannot post. {_UNSUPPORTED_HINT}")
    raise NotAnImageError(f"This file is not a photo. {_UNSUPPORTED_HINT}")


def open_image(data: bytes, *, max_bytes: int, max_pixels: int) -> tuple[Image.Image, str]:
    """Check ``data`` and open it lazily (header only); return the image and its kind.

    Raises:
        EmptyFileError, FileTooLargeError, NotAnImageError, UnsupportedFormatError,
        CorruptImageError, AnimatedImageError, TooManyPixelsError, HiddenFileError: see each class.
    """
    if not data:
        raise EmptyFileError("This file is empty. Please send the photo again.")
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"This file is bigger than {max_bytes // (1024 * 1024)} MB. "
            "Please send a smaller photo or take it at a lower size."
        )
    kind = sniff(data)
    _check_container(data, kind)
    image = _pillow_open(data, kind)
    width, height = image.size
    if width < 1 or height < 1:
        raise CorruptImageError("This photo has no picture in it. Please send it again.")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    # An MPO's extra frames are further pictures of the same shot; HEIF files may hold
    # several stills. Only PNG and WebP frames mean animation.
    if kind in ("png", "webp") and getattr(image, "n_frames", 1) > 1:
        raise AnimatedImageError(
            "This file is an animation, not a still photo. Please send a single photo."
        )
    return image, kind


def _check_container(data: bytes, kind: str) -> None:
    """Refuse files cut short, without relying on Pillow's global truncation setting, and polyglots."""
    if kind == "jpeg":
        try:
            end = parse_jpeg(data).end
        except JpegStructureError as exc:
            raise _corrupt() from exc
    elif kind in ("png", "webp"):
        try:
            end = walk_chunks(data, kind)[1]
        except ValueError as exc:
            raise _corrupt() from exc
    else:
        return
    check_trailer(data[end:])


def _pillow_open(data: bytes, kind: str) -> Image.Image:
    """Open lazily as one of ``kind``'s Pillow formats, turning every parse failure into our errors."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning depends on a global others may change; we apply
            # our own pixel limit straight after opening instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Malformed MPF or EXIF only warns, and that metadata is discarded anyway.
            warnings.simplefilter("ignore", UserWarning)
            return Image.open(io.BytesIO(data), formats=ACCEPTED[kind])
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(None) from exc
    except PipelineError:
        raise
    except Exception as exc:  # hostile input can trip any parser error; all mean "damaged"
        raise _corrupt() from exc


def load_pixels(image: Image.Image, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Decode the pixels, letting a JPEG decode at reduced scale (still at least ``draft_size``).

    Raises:
        CorruptImageError: the pixel data is damaged or cut short.
    """
    try:
        with warnings.catch_warnings():
            # Damaged EXIF etc. only warns; the metadata is discarded anyway.
            warnings.simplefilter("ignore", UserWarning)
            if draft_size is not None and image.format in ("JPEG", "MPO"):
                image.draft(image.mode, draft_size)
            image.load()
    except Exception as exc:  # a decoder can fail in many ways on hostile data
        raise _corrupt() from exc
    return image


def _corrupt() -> CorruptImageError:
    return CorruptImageError(
        "This photo is damaged or was cut off while sending. Please send it again."
    )


def _too_many_pixels(max_pixels: int | None) -> TooManyPixelsError:
    limit = f" (the limit is {max_pixels / 1_000_000:g} megapixels)" if max_pixels else ""
    return TooManyPixelsError(
        f"This picture is far too large to process{limit}. "
        "Please send a normal camera photo or a screenshot of it."
    )
