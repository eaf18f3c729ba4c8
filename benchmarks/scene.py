"""A busy camera photo for the benchmarks, made from photographs that scikit-image ships.

Nothing is downloaded: the pictures are files inside the scikit-image package (a dev extra). A 4x3
grid of real photographs, each enlarged to fill its cell, gives real edges and colour; real textures
(grass, gravel, brick) tiled at their own scale over the whole frame give the fine detail that an
enlargement lacks; a sensor's grain finishes it. It is saved as a phone saves a photo taken upright:
landscape pixels with EXIF orientation 6, plus GPS and a serial number (tests/pipeline/corpus.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.pipeline.corpus, when run as a script

from tests.pipeline.corpus import full_exif  # noqa: E402

PHOTOS = (
    "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg",
    "motorcycle_left.png", "ihc.png", "color.png", "camera.png", "motorcycle_right.png", "coins.png",
)  # fmt: skip
TEXTURES = ("grass.png", "gravel.png", "brick.png")


def _data(name: str) -> Image.Image:
    import skimage.data

    return Image.open(Path(skimage.data.__file__).parent / name)


def busy_scene(width: int = 4000, height: int = 3000, seed: int = 1) -> Image.Image:
    """A ``width`` x ``height`` RGB picture as detailed as a crowded outdoor photo."""
    canvas = Image.new("RGB", (width, height))
    cols, rows = 4, 3
    for i, name in enumerate(PHOTOS):
        box = (i % cols * width // cols, i // cols * height // rows,
               (i % cols + 1) * width // cols, (i // cols + 1) * height // rows)  # fmt: skip
        with _data(name) as photo:
            canvas.paste(photo.convert("RGB").resize((box[2] - box[0], box[3] - box[1]), Image.BICUBIC), box[:2])
    pixels = np.asarray(canvas, dtype=np.float32)
    detail = np.zeros((height, width), dtype=np.float32)
    for name in TEXTURES:
        with _data(name) as texture:
            tile = np.asarray(texture.convert("L"), dtype=np.float32)
        tiled = np.tile(tile, (height // tile.shape[0] + 1, width // tile.shape[1] + 1))[:height, :width]
        detail += (tiled - tile.mean()) / len(TEXTURES)
    grain = np.random.default_rng(seed).normal(0, 4, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels + 0.35 * detail[..., None] + grain, 0, 255).astype(np.uint8))


def camera_photo(path: Path, width: int = 4000, height: int = 3000, quality: int = 92) -> Path:
    """Write the busy scene as a phone's JPEG: EXIF orientation 6, GPS, a serial number."""
    busy_scene(width, height).save(path, "JPEG", quality=quality, exif=full_exif(6))
    return path
