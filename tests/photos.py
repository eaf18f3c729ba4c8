"""Photos as a phone would send them, made in the test: faces, EXIF with GPS, a camera serial."""

from __future__ import annotations

import io

import numpy as np

from tests.pipeline.corpus import MARKERS, full_exif, photo_like
from tests.pipeline.faces_corpus import group_shot


def phone_jpeg(faces: int = 2, size: tuple[int, int] = (1600, 1200), seed: int = 7) -> bytes:
    """A JPEG carrying GPS and camera EXIF; with ``faces`` large, well-separated faces in it."""
    if faces:
        image = group_shot(np.random.default_rng(seed), size=size, count=faces, face_px=(180, 260)).image
    else:
        image = photo_like(*size, seed=seed)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=full_exif(1))
    data = buffer.getvalue()
    assert MARKERS["gps"].encode() in data
    return data
