"""Find faces at any angle: CenterFace proposes on four turned copies, then checks each up close.

Why two stages. On real faces composited into 12 MP photos (``benchmarks/faces.py``),
CenterFace at its usual threshold on the 2000 px posting image finds only about half of the
faces 20-32 px wide there (40-64 px in the original), and upside-down or sideways faces
hardly at all, because it was trained on upright faces. At a very low threshold, though,
nearly every face, at every size, leaves a peak in its heatmap, among a score of false
peaks per photo. So:

1. **Propose.** Run the network on the photo as it is, at ``upright_edge`` px, and on copies
   turned 90, 180 and 270 degrees, at ``turned_edge`` px (a face that is sideways in one copy
   is upright in another; ±45 degrees of tilt is covered by one copy or the next). Keep every
   peak above ``propose``.
2. **Check.** Cut a square around each proposal from the full image, turn it so the face
   is upright, scale it so the face is about 48 px wide (the size the network likes best),
   and run the network again on all the cut-outs in one batch. Keep a proposal if the
   network, seeing it up close, scores a face of about the right size at its centre at
   ``accept`` or more, or if it scored ``trust`` at first sight (a face tilted about 45°
   can score lower up close). A false peak on a brick wall rarely survives being looked at
   again at twice the size; a real 20 px face scores far higher than it did.

Cost: the four proposal passes read about 6.7 megapixels (3 upright, 1.2 per turned copy),
and the checks 16 thousand per cut-out, some 0.5-1.5 megapixels in all: about 6 times the
network work of the previous single 1280 px pass. The model session is the one shared with
``CenterFaceDetector``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from tripposter.pipeline import centerface as cf
from tripposter.pipeline.faces import Face

DEFAULT_UPRIGHT_EDGE = 2000
DEFAULT_TURNED_EDGE = 1280
DEFAULT_PROPOSE = 0.05
DEFAULT_ACCEPT = 0.5
DEFAULT_TRUST = 0.4  # CenterFace's own threshold before this module: kept without a second look
_CROP_PX = 128  # the side of each cut-out the network checks
_CONTEXT = 2.6  # a cut-out is this many face sizes across
_MERGE_IOU = 0.3
_WORKERS = 2
_TURNS = {
    0: None,
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


class FaceSearch:
    """A ``FaceDetector`` that finds faces at any angle and down to ~20 px wide."""

    def __init__(
        self,
        upright_edge: int = DEFAULT_UPRIGHT_EDGE,
        turned_edge: int = DEFAULT_TURNED_EDGE,
        propose: float = DEFAULT_PROPOSE,
        accept: float = DEFAULT_ACCEPT,
        trust: float = DEFAULT_TRUST,
        turns: tuple[int, ...] = (0, 90, 180, 270),
    ) -> None:
        """Set the proposal scales and thresholds; the model is loaded on first use.

        Raises:
            ValueError: a threshold is not in (0, 1), an edge is under 32 px, or a turn is
                not a multiple of 90 degrees.
            FaceModelError: the packaged model is missing or unreadable.
        """
        if not all(0 < t < 1 for t in (propose, accept, trust)) or min(upright_edge, turned_edge) < 32:
            raise ValueError("thresholds must be in (0, 1) and edges at least 32 px")
        if any(turn not in _TURNS for turn in turns):
            raise ValueError("turns must be 0, 90, 180 or 270")
        self.upright_edge, self.turned_edge = upright_edge, turned_edge
        self.propose, self.accept, self.trust, self.turns = propose, accept, trust, turns
        self.session = cf._load_session()

    def detect(self, image: Image.Image) -> list[Face]:
        """Return faces in ``image``'s own pixel coordinates, best score first."""
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        # The session runs on one thread each (see centerface._load_session), so two passes
        # at a time keep both cores busy without oversubscribing them.
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            proposals = np.concatenate(list(pool.map(lambda turn: self._propose(rgb, turn), self.turns)))
        checked = _merge(self._check(rgb, proposals)) if len(proposals) else proposals[:, :5]
        _give_back_memory()
        found = (cf._to_face(row, 1.0, rgb.size) for row in checked)
        return [face for face in found if face.width > 0 and face.height > 0]

    def _propose(self, rgb: Image.Image, turn: int) -> np.ndarray:
        """Return rows (x1, y1, x2, y2, score, turn) of low-threshold peaks, in ``rgb``'s coordinates."""
        edge = self.upright_edge if turn == 0 else self.turned_edge
        scale = min(1.0, edge / max(rgb.size))
        small = rgb.resize(
            (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
            Image.Resampling.BILINEAR,
            reducing_gap=2.0,
        )
        view = small if _TURNS[turn] is None else small.transpose(_TURNS[turn])
        batch = cf._to_batch(view, 1.0)
        heatmap, sizes, offsets = self.session.run(cf._OUTPUTS, {cf._INPUT: batch})
        boxes = cf._decode(heatmap[0, 0], sizes[0], offsets[0], self.propose)
        boxes = boxes[cf._nms(boxes, _MERGE_IOU)]
        unturned = _unturn(boxes, turn, view.size) / scale
        unturned[:, 4] = boxes[:, 4]
        return np.concatenate([unturned, np.full((len(boxes), 1), turn, np.float32)], axis=1)

    def _check(self, rgb: Image.Image, proposals: np.ndarray) -> np.ndarray:
        """Look again at each proposal up close; return rows (x1, y1, x2, y2, score) of the faces."""
        crops, frames = [], []
        for x1, y1, x2, y2, _, turn in proposals:
            side = _CONTEXT * max(x2 - x1, y2 - y1, 4.0)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            box = (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
            crop = rgb.crop(box).resize((_CROP_PX, _CROP_PX), Image.Resampling.BILINEAR)
            if _TURNS[int(turn)] is not None:
                crop = crop.transpose(_TURNS[int(turn)])
            crops.append(np.asarray(crop, dtype=np.float32).transpose(2, 0, 1))
            frames.append((box[0], box[1], (box[2] - box[0]) / _CROP_PX, int(turn)))
        heatmap, sizes, offsets = self.session.run(cf._OUTPUTS, {cf._INPUT: np.stack(crops)})
        rows = []
        for i, (left, top, factor, turn) in enumerate(frames):
            best = _central_face(cf._decode(heatmap[i, 0], sizes[i], offsets[i], self.accept))
            if best is None and proposals[i, 4] >= self.trust:
                # Confident at first sight (a face tilted ~45° can score lower up close).
                rows.append(list(proposals[i, :5]))
            elif best is not None:
                back = _unturn(best[None, :], turn, (_CROP_PX, _CROP_PX))[0]
                rows.append([left + back[0] * factor, top + back[1] * factor,
                             left + back[2] * factor, top + back[3] * factor, best[4]])
        return np.asarray(rows, dtype=np.float32).reshape(-1, 5)


def _load_libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def _give_back_memory() -> None:
    """Return the freed activations of the passes to the OS (glibc keeps them otherwise).

    With the arena off, onnxruntime frees each pass's activations, but glibc keeps the freed
    pages in its per-thread heaps: a worker then held over 1 GB after one photo.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _merge(rows: np.ndarray) -> np.ndarray:
    """Keep the best of overlapping boxes: drop one that overlaps a better one or is centred in it."""
    kept: list[np.ndarray] = []
    for row in rows[np.argsort(-rows[:, 4], kind="stable")]:
        cx, cy = (row[0] + row[2]) / 2, (row[1] + row[3]) / 2
        if not any(_iou(row, other) >= _MERGE_IOU or (other[0] <= cx <= other[2] and other[1] <= cy <= other[3])
                   for other in kept):
            kept.append(row)
    return np.asarray(kept, dtype=np.float32).reshape(-1, 5)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def _central_face(boxes: np.ndarray) -> np.ndarray | None:
    """Return the best box near the cut-out's centre and of about the expected size, if any."""
    expected = _CROP_PX / _CONTEXT
    centre = _CROP_PX / 2
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    near = (np.abs(cx - centre) < expected * 0.6) & (np.abs(cy - centre) < expected * 0.6)
    fits = (size > expected * 0.5) & (size < expected * 2.0)
    good = boxes[near & fits]
    return good[np.argmax(good[:, 4])] if len(good) else None


def _unturn(boxes: np.ndarray, turn: int, view: tuple[int, int]) -> np.ndarray:
    """Map boxes found in a copy turned ``turn`` degrees anticlockwise (of size ``view``) back."""
    out = boxes.copy()
    w, h = view
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    if turn == 90:  # the copy's (x, y) was the original's (h' - y... ): original width is h
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = h - y2, x1, h - y1, x2
    elif turn == 180:
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = w - x2, h - y2, w - x1, h - y1
    elif turn == 270:
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = y1, w - x2, y2, w - x1
    return out
