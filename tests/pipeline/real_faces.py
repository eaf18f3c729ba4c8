"""12 MP test photos with real faces composited at known sizes and angles.

The faces are real photographs that ship inside installed packages; nothing is fetched:

- the six group photos in the ``@vladmandic/face-api`` npm package (MIT; ``demo/sample1-6.jpg``,
  22 distinct adults indoors; ``make install-dev`` installs it under ``.venv/npm``),
- ``skimage.data.astronaut()`` (Eileen Collins, a NASA photo in the public domain).

Each face is cut out with its hair, ears and the real background around it (a soft oval
mask, so no hard edge points at it), then scaled so the face is a given width in the 12 MP
photo, rotated, and given a realistic blemish (lighting, gamma, defocus). The busy
background is a collage of the face-free photos that ship with scikit-image. Face boxes
were located once in the originals (CenterFace at full resolution, checked by eye) and are
listed below; a box is the face from brow to chin, as a detector reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter
from skimage import data

from tripposter.pipeline.faces import Face

FACE_API = Path(__file__).resolve().parents[2] / ".venv/npm/node_modules/@vladmandic/face-api/demo"
# (file, [(left, top, width, height), ...]) in the original 1920 px wide photos.
_FACE_API_BOXES = {
    "sample1.jpg": [(820, 429, 220, 233), (409, 357, 187, 242), (1462, 220, 224, 204)],
    "sample2.jpg": [(1434, 157, 216, 233), (356, 119, 172, 310), (905, 246, 162, 208)],
    "sample3.jpg": [(1491, 282, 205, 304), (586, 335, 208, 262), (1068, 209, 236, 306)],
    "sample4.jpg": [(988, 178, 180, 241), (652, 63, 204, 246), (258, 201, 168, 234), (1253, 139, 193, 254)],
    "sample5.jpg": [
        (1399, 392, 206, 283), (1114, 202, 176, 232), (777, 107, 170, 230), (368, 883, 204, 277), (584, 405, 188, 274),
    ],
    "sample6.jpg": [(1168, 311, 212, 270), (1480, 266, 220, 296), (250, 481, 224, 290), (664, 328, 196, 308)],
}
_ASTRONAUT_BOX = (178, 62, 98, 120)
_CONTEXT = 1.9  # the cut-out is this many face widths across: head, hair and a little background
_BACKGROUNDS = ("coffee", "chelsea", "rocket", "brick", "grass", "gravel", "horse", "coins", "retina", "hubble_deep_field")
SIZE = (4000, 3000)


@dataclass(frozen=True)
class Head:
    """A real face cut out with its surroundings; ``face`` is the face box inside ``tile``."""

    tile: Image.Image
    face: tuple[float, float, float, float]  # left, top, width, height
    name: str


@dataclass(frozen=True)
class Photo:
    """A composited 12 MP photo, its true faces, and the size and angle of each."""

    image: Image.Image
    faces: list[Face]
    widths: list[int]
    angles: list[int]


def missing_message() -> str:
    """Explain how to install the real-face photos."""
    return f"the real-face test photos are not installed at {FACE_API}: run `make install-dev` (needs npm)"


@cache
def heads() -> tuple[Head, ...]:
    """Return the 23 real faces, each cut out with context."""
    found = []
    for name, boxes in _FACE_API_BOXES.items():
        photo = Image.open(FACE_API / name).convert("RGB")
        found += [_cut(photo, box, f"{name}#{i}") for i, box in enumerate(boxes)]
    found.append(_cut(Image.fromarray(data.astronaut()), _ASTRONAUT_BOX, "astronaut"))
    return tuple(found)


def _cut(photo: Image.Image, box: tuple[int, int, int, int], name: str) -> Head:
    x, y, w, h = box
    side = _CONTEXT * max(w, h)
    cx, cy = x + w / 2, y + h / 2 + 0.1 * h  # a little more below: neck and shoulders
    left, top = round(cx - side / 2), round(cy - side / 2)
    tile = photo.crop((left, top, left + round(side), top + round(side)))
    return Head(tile, (x - left, y - top, w, h), name)


@cache
def _background_tiles() -> tuple[Image.Image, ...]:
    return tuple(Image.fromarray(np.asarray(getattr(data, n)())).convert("RGB") for n in _BACKGROUNDS)


def background(rng: np.random.Generator, size: tuple[int, int] = SIZE) -> Image.Image:
    """Return a busy collage of real face-free photos, with sensor noise."""
    w, h = size
    image = Image.new("RGB", size)
    tiles = _background_tiles()
    cell = w // 8
    for top in range(0, h, cell):
        for left in range(0, w, cell):
            tile = tiles[int(rng.integers(len(tiles)))]
            if rng.random() < 0.5:
                tile = tile.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            image.paste(tile.resize((cell, cell), Image.Resampling.BILINEAR), (left, top))
    noise = rng.normal(0, 6, (h // 4, w // 4, 1)).astype(np.float32)
    pixels = np.asarray(image, dtype=np.float32) + np.tile(noise, (4, 4, 3))[:h, :w]
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def blemish(tile: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Vary lighting, contrast and focus the way phone photos do."""
    tile = ImageEnhance.Brightness(tile).enhance(rng.uniform(0.6, 1.3))
    tile = ImageEnhance.Contrast(tile).enhance(rng.uniform(0.7, 1.2))
    if rng.random() < 0.4:
        tile = tile.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    return tile


def paste(image: Image.Image, head: Head, centre: tuple[float, float], width: int, angle: float,
          rng: np.random.Generator | None = None) -> Face:
    """Paste ``head`` so its face is ``width`` px wide at ``centre``, turned ``angle`` degrees anticlockwise."""
    fx, fy, fw, fh = head.face
    scale = width / fw
    tile = head.tile.resize((max(1, round(head.tile.width * scale)),) * 2, Image.Resampling.LANCZOS)
    if rng is not None:
        tile = blemish(tile, rng)
    mask = Image.new("L", tile.size, 0)
    inset = tile.width * 0.06
    ImageDraw.Draw(mask).ellipse((inset, inset, tile.width - inset, tile.height - inset), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(tile.width * 0.04))
    tile.putalpha(mask)
    rotated = tile.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    # Where the face centre went: rotate its offset from the tile centre by ``angle``.
    offset = np.array([(fx + fw / 2) * scale, (fy + fh / 2) * scale]) - np.array(tile.size) / 2
    theta = np.deg2rad(angle)
    turned = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]]) @ offset
    at = (round(centre[0] - rotated.width / 2 - turned[0]), round(centre[1] - rotated.height / 2 - turned[1]))
    image.paste(rotated, at, rotated)
    box_w, box_h = (fh * scale, fw * scale) if angle % 180 == 90 else (fw * scale, fh * scale)
    return Face(round(centre[0] - box_w / 2), round(centre[1] - box_h / 2), round(box_w), round(box_h), 1.0)


def photo(rng: np.random.Generator, widths: list[int], angles: list[int], size: tuple[int, int] = SIZE) -> Photo:
    """Return a 12 MP photo with one real face per (width, angle) pair, spread over a grid."""
    image = background(rng, size)
    count = len(widths)
    if not count:
        return Photo(image, [], [], [])
    cols = int(np.ceil(np.sqrt(count * size[0] / size[1])))
    rows = int(np.ceil(count / cols))
    cell_w, cell_h = size[0] / cols, size[1] / rows
    all_heads = heads()
    faces = []
    for index, (width, angle) in enumerate(zip(widths, angles, strict=True)):
        row, col = divmod(index, cols)
        room = max(0.0, min(cell_w, cell_h) / 2 - width * 1.4)
        centre = (
            (col + 0.5) * cell_w + rng.uniform(-room, room) * 0.5,
            (row + 0.5) * cell_h + rng.uniform(-room, room) * 0.5,
        )
        head = all_heads[int(rng.integers(len(all_heads)))]
        faces.append(paste(image, head, centre, width, angle, rng))
    return Photo(image, faces, list(widths), list(angles))
