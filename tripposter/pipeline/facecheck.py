"""The close look of ``FaceSearch``: cut out each proposal, run the network on it, merge the finds.

A close look's cut-out is ``CONTEXT`` face sizes across, so the face is about 49 px in 128,
the size the network scores best, whatever its size in the photo. A glance is cut tighter
(``GLANCE_CONTEXT``): the face is still about 37 px, in 64 px rather than 96, for 44 % of
the pixels; on both benchmark photo sets, at a threshold of 0.25, it passed the same faces
on to a close look as the 96 px glance did at 0.3 (``FaceSearch`` now uses 0.2: one more face
on each set). Cut-outs are run ``CHUNK`` at a time because
larger batches cost more per pixel on this machine; a run of one costs 1.5 times as much.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from PIL import Image

from tripposter.pipeline import centerface as cf
from tripposter.pipeline.facetiles import unturn

GLANCE_PX = 64
GLANCE_CONTEXT = 1.75  # the face about 37 px in a glance, as in a 96 px glance at CONTEXT, for 44 % of the pixels
CLOSE_PX = 128
CONTEXT = 2.6
CHUNK = 8
_MERGE_IOU = 0.3

Frame = tuple[int, int, int]  # left, top and side of a cut-out in the full image


def frame(row: np.ndarray) -> Frame:
    """Return the square cut-out around a proposal (x1, y1, x2, y2, ...)."""
    side = CONTEXT * max(float(row[2] - row[0]), float(row[3] - row[1]), 4.0)
    cx, cy = (row[0] + row[2]) / 2, (row[1] + row[3]) / 2
    return round(cx - side / 2), round(cy - side / 2), max(1, round(side))


def narrow(where: Frame, context: float) -> Frame:
    """Return the cut-out about the same centre, ``context`` face sizes across instead of ``CONTEXT``."""
    left, top, side = where
    new = max(1, round(side * context / CONTEXT))
    return left + (side - new) // 2, top + (side - new) // 2, new


def cut(rgb: Image.Image, where: Frame, px: int) -> np.ndarray:
    """Return the cut-out at ``where`` scaled to ``px`` x ``px``, as H x W x 3 uint8."""
    left, top, side = where
    # reducing_gap box-averages a large cut-out first: a false proposal the size of the photo
    # would otherwise cost as much to scale down as the network costs to look at it.
    if left >= 0 and top >= 0 and left + side <= rgb.width and top + side <= rgb.height:
        scaled = rgb.resize((px, px), Image.Resampling.BILINEAR, box=(left, top, left + side, top + side),
                            reducing_gap=2.0)
    else:  # cut beyond the edge: crop pads with black
        scaled = rgb.crop((left, top, left + side, top + side)).resize((px, px), Image.Resampling.BILINEAR,
                                                                         reducing_gap=2.0)
    return np.asarray(scaled)


def look(session: ort.InferenceSession, crops: list[np.ndarray], turns: list[int],
         threshold: float, context: float = CONTEXT) -> list[np.ndarray | None]:
    """Run the network on each cut-out turned ``turns[i]``; return its central face (unturned, in
    the cut-out's pixels, x1 y1 x2 y2 score) if one scores ``threshold`` or more."""
    found: list[np.ndarray | None] = []
    for start in range(0, len(crops), CHUNK):
        chunk, chunk_turns = crops[start : start + CHUNK], turns[start : start + CHUNK]
        px = chunk[0].shape[0]
        batch = np.empty((len(chunk), 3, px, px), np.float32)
        for i, (crop, turn) in enumerate(zip(chunk, chunk_turns, strict=True)):
            batch[i] = np.rot90(crop, turn // 90).transpose(2, 0, 1)
        heatmap, sizes, offsets = session.run(cf._OUTPUTS, {cf._INPUT: batch})
        for i, turn in enumerate(chunk_turns):
            best = central_face(_decode_centre(heatmap[i, 0], sizes[i], offsets[i], threshold, px, context), px,
                                context)
            found.append(None if best is None else unturn(best[None, :], turn, (px, px))[0])
    return found


def _decode_centre(heatmap: np.ndarray, sizes: np.ndarray, offsets: np.ndarray, threshold: float,
                   px: int, context: float) -> np.ndarray:
    """Decode only the middle of a cut-out's heatmap, where ``central_face`` looks (a third of the cost)."""
    cells = heatmap.shape[0]
    reach = int(np.ceil(px / context * 0.6 / cf._STRIDE)) + 2  # central_face's reach, in cells, and a margin
    low, high = max(0, cells // 2 - reach), min(cells, cells // 2 + reach)
    window = np.s_[low:high, low:high]
    boxes = cf._decode(heatmap[window], sizes[:, low:high, low:high], offsets[:, low:high, low:high], threshold)
    boxes[:, :4] += low * cf._STRIDE
    return boxes


def central_face(boxes: np.ndarray, px: int, context: float = CONTEXT) -> np.ndarray | None:
    """Return the best box near the cut-out's centre and of about the expected size, if any."""
    expected = px / context
    centre = px / 2
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    near = (np.abs(cx - centre) < expected * 0.6) & (np.abs(cy - centre) < expected * 0.6)
    fits = (size > expected * 0.5) & (size < expected * 2.0)
    good = boxes[near & fits]
    return good[np.argmax(good[:, 4])] if len(good) else None


def place(best: np.ndarray, where: Frame, px: int) -> list[float]:
    """Map a box found in a ``px`` cut-out back to the full image."""
    left, top, side = where
    factor = side / px
    return [left + best[0] * factor, top + best[1] * factor, left + best[2] * factor, top + best[3] * factor,
            float(best[4])]


def merge(rows: np.ndarray) -> np.ndarray:
    """Keep the best of overlapping boxes: drop one that overlaps a better one, or either's centre is in the other.

    Two looks at one face from different turns can give boxes offset by half a face.
    """
    kept: list[np.ndarray] = []
    for row in rows[np.argsort(-rows[:, 4], kind="stable")]:
        if not any(_iou(row, other) >= _MERGE_IOU or _centred_in(row, other) or _centred_in(other, row)
                   for other in kept):
            kept.append(row)
    return np.asarray(kept, dtype=np.float32).reshape(-1, 5)


def _centred_in(inner: np.ndarray, outer: np.ndarray) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return bool(outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def look_tilted(session: ort.InferenceSession, crop: np.ndarray, degrees: list[float],
                threshold: float) -> list[np.ndarray | None]:
    """Like ``look``, with the cut-out turned by any angle (anticlockwise) about its centre."""
    image = Image.fromarray(crop)
    views = [np.asarray(image.rotate(angle, Image.Resampling.BILINEAR)) for angle in degrees]
    found = look(session, views, [0] * len(views), threshold)
    return [None if box is None else _unrotate(box, angle, crop.shape[0]) for box, angle in zip(found, degrees)]


def _unrotate(box: np.ndarray, degrees: float, px: int) -> np.ndarray:
    """Map a box found in a cut-out turned ``degrees`` anticlockwise back to the cut-out."""
    theta = np.deg2rad(degrees)
    x, y = (box[0] + box[2]) / 2 - px / 2, (box[1] + box[3]) / 2 - px / 2
    cx = px / 2 + x * np.cos(theta) - y * np.sin(theta)
    cy = px / 2 + x * np.sin(theta) + y * np.cos(theta)
    w, h = box[2] - box[0], box[3] - box[1]
    if round(degrees / 90) % 2:
        w, h = h, w
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, box[4]], dtype=np.float32)
