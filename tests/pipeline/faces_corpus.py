"""Generated group shots with known face positions, built from real faces that ship in scikit-image.

Faces come from ``skimage.data.astronaut()`` (Eileen Collins, colour) and the 100 face crops
of ``skimage.data.lfw_subset()`` (Labeled Faces in the Wild, greyscale, tinted here to skin
tones). Both are bundled with scikit-image, so nothing is fetched. Each face is scaled,
rotated a little and pasted, with a torso under it, onto an outdoor-ish background.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage import data

from tripposter.pipeline.faces import Face

# Where the astronaut's face is in the 512 x 512 photo, and how much of her head to paste.
_ASTRONAUT_FACE = (176, 62, 276, 182)  # left, top, right, bottom
_HEAD_MARGIN = 0.35
_SKIN_TONES = [(255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36)]


@dataclass(frozen=True)
class Source:
    """A face photo to paste, and where the face is inside it."""

    tile: Image.Image
    face: tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Scene:
    """A generated photo and the true face boxes in it."""

    image: Image.Image
    faces: list[Face]


@cache
def sources() -> tuple[Source, ...]:
    """Return the astronaut's head and the 100 LFW faces, tinted to a range of skin tones."""
    astronaut = Image.fromarray(data.astronaut())
    left, top, right, bottom = _ASTRONAUT_FACE
    mx, my = int((right - left) * _HEAD_MARGIN), int((bottom - top) * _HEAD_MARGIN)
    head = astronaut.crop((left - mx, top - my, right + mx, bottom + my // 2))
    found = [Source(head, (mx, my, mx + right - left, my + bottom - top))]
    lfw = data.lfw_subset()[:100]  # the first 100 are faces, the rest are not
    for index, grey in enumerate(lfw):
        tint = np.array(_SKIN_TONES[index % len(_SKIN_TONES)], dtype=np.float64) / 255
        rgb = (grey[..., None] * tint * 255 * 1.1).clip(0, 255).astype(np.uint8)
        found.append(Source(Image.fromarray(rgb), (0, 0, grey.shape[1], grey.shape[0])))
    return tuple(found)


def background(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """Return a sky-to-grass gradient with noise and a few soft blobs (trees, buildings)."""
    w, h = size
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky, grass = np.array([150, 190, 235], np.float32), np.array([70, 120, 50], np.float32)
    horizon = rng.uniform(0.3, 0.5)
    colours = np.where(t < horizon, sky * (1 - t) + 200 * t, grass * (0.8 + 0.4 * t))
    # Sensor-like noise, drawn at a quarter of the size and tiled: cheap, and just as busy.
    noise = rng.normal(0, 12, (-(-h // 2), -(-w // 2), 3)).astype(np.float32)
    pixels = colours + np.tile(noise, (2, 2, 1))[:h, :w]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.uniform(0, w), rng.uniform(0, h * 0.6)
        r = rng.uniform(0.03, 0.12) * w
        colour = tuple(int(c) for c in rng.integers(30, 140, 3))
        draw.ellipse((x - r, y - r, x + r, y + r * 1.5), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(2))


def group_shot(
    rng: np.random.Generator,
    size: tuple[int, int] = (2000, 1500),
    count: int = 20,
    face_px: tuple[int, int] = (40, 200),
    max_angle: float = 15.0,
) -> Scene:
    """Return a group shot of ``count`` non-overlapping faces, widths drawn from ``face_px``."""
    image = background(rng, size)
    cols = int(np.ceil(np.sqrt(count * size[0] / size[1])))
    rows = int(np.ceil(count / cols))
    cell_w, cell_h = size[0] // cols, size[1] // rows
    cells = rng.permutation(rows * cols)[:count]
    faces = []
    for cell in cells:
        row, col = divmod(int(cell), cols)
        source = sources()[int(rng.integers(len(sources())))]
        # A face must fit in its cell with room for the head around it.
        width = int(min(rng.uniform(*face_px), cell_w / 1.8, cell_h / 2.2))
        x0 = col * cell_w + int(rng.uniform(0.25, 0.75) * (cell_w - width * 1.5))
        y0 = row * cell_h + int(rng.uniform(0.1, 0.4) * (cell_h - width * 2))
        faces.append(paste_face(image, source, (x0, y0), width, rng.uniform(-max_angle, max_angle)))
    return Scene(image, faces)


def paste_face(image: Image.Image, source: Source, at: tuple[int, int], width: int, angle: float) -> Face:
    """Paste ``source`` so its face is ``width`` px wide, rotated ``angle`` degrees; return the true box."""
    left, top, right, bottom = source.face
    scale = width / (right - left)
    tile = source.tile.resize(
        (max(1, round(source.tile.width * scale)), max(1, round(source.tile.height * scale))),
        Image.Resampling.LANCZOS,
    )
    face_w, face_h = round((right - left) * scale), round((bottom - top) * scale)
    centre = np.array([(left + right) / 2 * scale, (top + bottom) / 2 * scale])
    _draw_torso(image, at, tile.size, centre)
    rotated = tile.convert("RGBA").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    # Where the face centre went: rotate about the tile centre, then shift by the expansion.
    half = np.array(tile.size) / 2
    theta = np.deg2rad(angle)
    rot = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    moved = rot @ (centre - half) + np.array(rotated.size) / 2
    image.paste(rotated, at, rotated)
    cx, cy = at[0] + moved[0], at[1] + moved[1]
    return Face(round(cx - face_w / 2), round(cy - face_h / 2), face_w, face_h, 1.0)


def _draw_torso(image: Image.Image, at: tuple[int, int], tile: tuple[int, int], centre: np.ndarray) -> None:
    """Draw shoulders under the head so the face sits on a body, as in a real group shot."""
    draw = ImageDraw.Draw(image)
    cx, bottom = at[0] + centre[0], at[1] + tile[1]
    half = tile[0] * 0.9
    shade = int(60 + (cx * 7919) % 150)
    draw.rounded_rectangle(
        (cx - half, bottom - tile[1] * 0.1, cx + half, bottom + tile[1] * 1.2),
        radius=int(half / 2),
        fill=(shade, 40, 255 - shade),
    )


def face_free_scene(rng: np.random.Generator, size: tuple[int, int] = (2000, 1500)) -> Scene:
    """Return a scene with no faces: textures, a cat, objects and skin-coloured hands."""
    image = background(rng, size)
    w, h = size
    patches = [data.grass, data.gravel, data.brick, data.coffee, data.chelsea, data.rocket, data.horse]
    for load in patches:
        patch = load()
        tile = Image.fromarray(np.asarray(patch)).convert("RGB")
        tile = tile.resize((int(tile.width * w / 2000), int(tile.height * w / 2000)))
        image.paste(tile, (int(rng.uniform(0, w - tile.width)), int(rng.uniform(0, h - tile.height))))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        _draw_hand(draw, rng, size)
    return Scene(image, [])


def _draw_hand(draw: ImageDraw.ImageDraw, rng: np.random.Generator, size: tuple[int, int]) -> None:
    """Draw a skin-coloured palm with five fingers."""
    skin = _SKIN_TONES[int(rng.integers(len(_SKIN_TONES)))]
    palm = rng.uniform(0.03, 0.08) * size[0]
    x, y = rng.uniform(palm, size[0] - 2 * palm), rng.uniform(2 * palm, size[1] - palm)
    draw.ellipse((x - palm / 2, y - palm / 2, x + palm / 2, y + palm / 2), fill=skin)
    for finger in range(5):
        fx = x - palm / 2 + finger * palm / 4
        length = palm * (0.5 if finger == 0 else 0.9)
        finger_box = (fx - palm / 12, y - length, fx + palm / 12, y)
        draw.rounded_rectangle(finger_box, radius=int(palm / 12), fill=skin)


def matches(truth: list[Face], found: list[Face], min_iou: float = 0.3) -> int:
    """Count true faces matched one-to-one by a found box (IoU >= ``min_iou`` or centre inside)."""
    unused = list(found)
    matched = 0
    for face in truth:
        best = next((f for f in unused if iou(face, f) >= min_iou or _centre_inside(f, face)), None)
        if best is not None:
            unused.remove(best)
            matched += 1
    return matched


def iou(a: Face, b: Face) -> float:
    """Intersection over union of two boxes."""
    w = max(0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
    h = max(0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
    inter = w * h
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union else 0.0


def _centre_inside(found: Face, truth: Face) -> bool:
    cx, cy = found.x + found.width / 2, found.y + found.height / 2
    return truth.x <= cx <= truth.x + truth.width and truth.y <= cy <= truth.y + truth.height
