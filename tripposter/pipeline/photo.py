"""One call from received bytes to a verified clean JPEG: decode, scrub, find faces, encode, verify.

Every path out of here either returns bytes that ``verify_clean_jpeg`` accepted or
raises a ``PipelineError``; nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tripposter.pipeline.decode import load_pixels, open_image
from tripposter.pipeline.faces import Face, FaceDetector, blur_faces
from tripposter.pipeline.inventory import metadata_kinds
from tripposter.pipeline.scrub import (
    encode_jpeg,
    orientation,
    target_size,
    to_posting_pixels,
)
from tripposter.pipeline.verify import verify_clean_jpeg

BlurChoice = Literal["none", "all"] | Sequence[int]


@dataclass(frozen=True)
class Limits:
    """How big an upload may be, and what the posted JPEG must fit."""

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    long_edge: int = 2000
    max_output_bytes: int = 5 * 1024 * 1024
    quality: int = 85


@dataclass(frozen=True)
class ScrubResult:
    """A clean JPEG and the report on it; ``faces`` are in the JPEG's own pixel coordinates."""

    jpeg: bytes
    width: int
    height: int
    source_format: str
    quality: int
    removed: list[str] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    blurred: list[int] = field(default_factory=list)


def scrub_photo(
    data: bytes,
    *,
    limits: Limits = Limits(),
    detector: FaceDetector | None = None,
    blur: BlurChoice = "none",
) -> ScrubResult:
    """Check, decode, scrub, optionally find and blur faces, encode and verify one upload.

    ``blur`` is "none", "all", or the indices (into the detected faces) to blur.

    Raises:
        PipelineError: a subclass naming why the upload was refused (see ``decode``,
            ``scrub.OutputTooLargeError``, ``verify.UnsafeOutputError``).
        ValueError: ``blur`` asks for faces without a detector, or names a missing face.
    """
    if blur != "none" and detector is None:
        raise ValueError("blurring faces needs a detector")
    image, kind = open_image(data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    removed = metadata_kinds(data, image, kind)
    turn = orientation(image)
    draft = target_size(image.size, limits.long_edge)
    pixels = to_posting_pixels(load_pixels(image, draft), turn, limits.long_edge)
    faces = detector.detect(pixels) if detector is not None else []
    chosen = _chosen(blur, len(faces))
    if chosen:
        pixels = blur_faces(pixels, [faces[i] for i in chosen])
    jpeg, quality = encode_jpeg(pixels, quality=limits.quality, max_bytes=limits.max_output_bytes)
    verify_clean_jpeg(jpeg)
    return ScrubResult(
        jpeg=jpeg,
        width=pixels.width,
        height=pixels.height,
        source_format=image.format or kind.upper(),
        quality=quality,
        removed=removed,
        faces=faces,
        blurred=chosen,
    )


def _chosen(blur: BlurChoice, count: int) -> list[int]:
    """Turn a blur choice into sorted face indices."""
    if blur == "none":
        return []
    if blur == "all":
        return list(range(count))
    if isinstance(blur, str):
        raise ValueError(f"unknown blur choice {blur!r}")
    wanted = sorted(set(blur))
    if any(not 0 <= i < count for i in wanted):
        raise ValueError(f"face indices {wanted} out of range for {count} faces")
    return wanted


def apply_blur(clean_jpeg: bytes, faces: Sequence[Face], limits: Limits = Limits()) -> bytes:
    """Blur ``faces`` in an already-clean JPEG from ``scrub_photo`` and return a verified clean JPEG.

    Raises:
        UnsafeOutputError: ``clean_jpeg`` or the result is not a bare baseline JPEG.
        PipelineError: ``clean_jpeg`` fails the decode checks (see ``decode.open_image``).
        OutputTooLargeError: the result cannot fit ``limits.max_output_bytes``.
    """
    verify_clean_jpeg(clean_jpeg)  # only our own output may come back in here
    image, _ = open_image(clean_jpeg, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    pixels = load_pixels(image)
    blurred = blur_faces(pixels, faces)
    jpeg, _ = encode_jpeg(blurred, quality=limits.quality, max_bytes=limits.max_output_bytes)
    verify_clean_jpeg(jpeg)
    return jpeg
