"""Run CenterFace over a picture in small overlapping tiles, turned 0, 90, 180 or 270 degrees.

Why tiles. The network's cost per pixel depends on how big one run is: on this 2-core machine a
whole 1280 x 960 copy took 165-200 ns a pixel, and tiles of about 512 x 512 took 85-100
(``benchmarks/faces.py`` measures the whole path). The large activations of one big run miss
the caches and, with onnxruntime's arena off (see ``centerface._load_session``), are fresh
pages from the OS every time: a 2000 px pass spent as long in the kernel as in the network.
Tiles overlap by ``OVERLAP`` px, so every face up to that size lies whole in some tile; a face
larger than that is found in a second run on a copy at a third of the size (``COARSE``), where it
is still over 20 px wide and the whole copy (427 x 320 px) fits one tile: a ninth of the pixels.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from PIL import Image

from tripposter.pipeline import centerface as cf

TILE = 512
OVERLAP = 64
COARSE = 3
# Faces 64 px and larger (those the tiles may cut) score far above this in the coarse copy;
# its weaker peaks would only double the cut-outs to check.
COARSE_THRESHOLD = 0.1
_NMS_IOU = 0.3


def peaks(session: ort.InferenceSession, pixels: np.ndarray, turn: int, threshold: float) -> np.ndarray:
    """Return rows (x1, y1, x2, y2, score) of the faces seen in ``pixels`` turned ``turn`` degrees.

    ``pixels`` is an H x W x 3 uint8 array; the boxes are in its own (unturned) coordinates.
    """
    view = np.rot90(pixels, turn // 90)  # anticlockwise, as Pillow's ROTATE_90
    fine = _tiled(session, view, threshold)
    coarse = _tiled(session, _reduce(view, COARSE), max(threshold, COARSE_THRESHOLD))
    coarse[:, :4] *= COARSE
    boxes = np.concatenate([fine, coarse])
    boxes = boxes[cf._nms(boxes, _NMS_IOU)]
    return unturn(boxes, turn, (view.shape[1], view.shape[0]))


def _tiled(session: ort.InferenceSession, view: np.ndarray, threshold: float) -> np.ndarray:
    """Run the network on overlapping tiles of ``view``; return all peaks in ``view``'s coordinates."""
    height, width = view.shape[:2]
    found = [np.zeros((0, 5), np.float32)]
    tile_h, tile_w = _side(height), _side(width)
    for top in _starts(height, tile_h):
        for left in _starts(width, tile_w):
            tile = view[top : top + tile_h, left : left + tile_w]
            rows, cols = tile.shape[:2]
            batch = np.zeros((1, 3, -(-rows // 32) * 32, -(-cols // 32) * 32), np.float32)
            batch[0, :, :rows, :cols] = tile.transpose(2, 0, 1)
            heatmap, sizes, offsets = session.run(cf._OUTPUTS, {cf._INPUT: batch})
            boxes = cf._decode(heatmap[0, 0], sizes[0], offsets[0], threshold)
            boxes[:, [0, 2]] += left
            boxes[:, [1, 3]] += top
            found.append(boxes)
    return np.concatenate(found)


def _reduce(view: np.ndarray, factor: int) -> np.ndarray:
    """Return ``view`` ``factor`` times smaller, each pixel the mean of a block (whole blocks only)."""
    whole = np.ascontiguousarray(view[: view.shape[0] // factor * factor, : view.shape[1] // factor * factor])
    return np.asarray(Image.fromarray(whole).reduce(factor))


def _side(length: int) -> int:
    """The tile side along a side of ``length`` px: as few tiles as ``TILE`` allows, no wider than needed."""
    if length <= TILE:
        return length
    count = -(-(length - OVERLAP) // (TILE - OVERLAP))
    return min(TILE, -(-(-(-(length - OVERLAP) // count) + OVERLAP) // 32) * 32)


def _starts(length: int, side: int) -> list[int]:
    """Where tiles of ``side`` px start so that they cover ``length`` and neighbours overlap by ``OVERLAP``."""
    if length <= side:
        return [0]
    count = -(-(length - OVERLAP) // (side - OVERLAP))
    step = (length - side) / (count - 1)
    return [round(i * step) for i in range(count)]


def unturn(boxes: np.ndarray, turn: int, view: tuple[int, int]) -> np.ndarray:
    """Map boxes found in a copy turned ``turn`` degrees anticlockwise (of size ``view``) back."""
    out = boxes.copy()
    w, h = view
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    if turn == 90:  # the copy's point (x, y) was the original's (h - y, x)
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = h - y2, x1, h - y1, x2
    elif turn == 180:
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = w - x2, h - y2, w - x1, h - y1
    elif turn == 270:
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = y1, w - x2, y2, w - x1
    return out
