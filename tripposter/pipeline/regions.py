"""Parts of a photo the teacher blurs by hand, the posting image with them, and faces in reading order.

A region is a rectangle in the clean JPEG's own pixels (the 2000 px posting image). It is blurred
exactly as a detected face is (``faces.blur_faces``), but over the rectangle the teacher drew, not
an enlarged one: the teacher chose its edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tripposter.pipeline.decode import load_pixels, open_image
from tripposter.pipeline.errors import PipelineError
from tripposter.pipeline.faces import Face, blur_faces
from tripposter.pipeline.photo import Limits
from tripposter.pipeline.scrub import encode_jpeg
from tripposter.pipeline.verify import verify_clean_jpeg

MAX_REGIONS = 20  # far more than any photo needs; bounds the work of building a preview
MIN_REGION_PX = 8  # smaller than this hides nothing at 2000 px; a tap makes a much larger one
FIELDS = ("x", "y", "width", "height")


class RegionError(PipelineError):
    """A blur region is malformed, outside the photo, too small, or one too many."""

    code = "bad_region"


@dataclass(frozen=True)
class Region:
    """A rectangle to blur, in the posting image's pixels."""

    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def as_face(self) -> Face:
        return Face(self.x, self.y, self.width, self.height, score=1.0)


def check_regions(raw: Sequence[Mapping[str, Any]], width: int, height: int) -> list[Region]:
    """Validate the teacher's regions against a ``width`` x ``height`` photo.

    Raises:
        RegionError: too many, a field missing or not a whole number, outside the photo, or too small.
    """
    if len(raw) > MAX_REGIONS:
        raise RegionError(f"A photo can have at most {MAX_REGIONS} blurred areas. Remove some, or retake the photo.")
    regions = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or set(item) != set(FIELDS):
            raise RegionError(f"Blurred area {number} is not a rectangle (x, y, width, height). Draw it again.")
        values = [item[name] for name in FIELDS]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise RegionError(f"Blurred area {number} needs whole-number x, y, width and height. Draw it again.")
        region = Region(*values)
        if region.x < 0 or region.y < 0 or region.x + region.width > width or region.y + region.height > height:
            raise RegionError(f"Blurred area {number} goes outside the photo ({width}\u00d7{height}). Draw it again.")
        if region.width < MIN_REGION_PX or region.height < MIN_REGION_PX:
            raise RegionError(f"Blurred area {number} is too small to hide anything. Draw a larger one.")
        regions.append(region)
    return regions


def stored_regions(raw: Sequence[Mapping[str, Any]]) -> list[Region]:
    """Regions as stored with a photo (already checked when they were saved)."""
    return [Region(*(int(item[name]) for name in FIELDS)) for item in raw]


def posting_jpeg(clean_jpeg: bytes, faces: Sequence[Face], regions: Sequence[Region], limits: Limits = Limits()) -> bytes:
    """The image exactly as it is posted: ``faces`` blurred (enlarged), ``regions`` blurred as drawn.

    Raises:
        UnsafeOutputError: ``clean_jpeg`` or the result is not a bare baseline JPEG.
        PipelineError: ``clean_jpeg`` fails the decode checks.
        OutputTooLargeError: the result cannot fit ``limits.max_output_bytes``.
    """
    if not faces and not regions:
        return clean_jpeg
    verify_clean_jpeg(clean_jpeg)  # only our own output may come back in here
    image, _ = open_image(clean_jpeg, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    pixels = blur_faces(load_pixels(image), faces)
    pixels = blur_faces(pixels, [r.as_face() for r in regions], enlarge=1.0)
    jpeg, _ = encode_jpeg(pixels, quality=limits.quality, max_bytes=limits.max_output_bytes)
    verify_clean_jpeg(jpeg)
    return jpeg


def reading_order(faces: Sequence[Face]) -> list[Face]:
    """Faces left to right within rows, rows top to bottom, so box numbers read like a page.

    A face joins the current row when its centre is level with the row's first face (within
    half that face's height); otherwise it starts the next row.
    """
    rows: list[list[Face]] = []
    for face in sorted(faces, key=lambda f: f.y + f.height / 2):
        centre = face.y + face.height / 2
        first = rows[-1][0] if rows else None
        if first is not None and abs(centre - (first.y + first.height / 2)) <= first.height / 2:
            rows[-1].append(face)
        else:
            rows.append([face])
    return [face for row in rows for face in sorted(row, key=lambda f: f.x)]
