"""Where each face's number goes on the posting page's picture: near its face, never on another label.

The phone page does the same in ``static/js/labels.js``. Plain Python, no Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Rect = tuple[float, float, float, float]  # left, top, width, height


@dataclass(frozen=True)
class Label:
    number: int
    text: str
    x: float
    y: float
    width: float
    height: float


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _candidates(box: Rect, w: float, h: float, step: float) -> list[tuple[float, float]]:
    """Spots around ``box``, nearest first: above, below, left, right, then further out in rings."""
    x, y, bw, bh = box
    cx = x + bw / 2 - w / 2
    spots = [(cx, y - h), (cx, y + bh), (x - w, y), (x + bw, y)]
    for ring in range(1, 40):
        d = ring * step
        spots += [(cx, y - h - d), (cx, y + bh + d), (x - w - d, y), (x + bw + d, y),
                  (cx - d, y - h), (cx + d, y - h), (cx - d, y + bh), (cx + d, y + bh)]
    return spots


def place_labels(boxes: Sequence[Rect], texts: Sequence[str], height: float, bounds: tuple[float, float]) -> list[Label]:
    """One label per box, in order, inside ``bounds``, none overlapping another.

    A label's width follows its text (``0.62 * height`` per character plus padding). Boxes are
    avoided where possible. When the picture has no room left for a label, every label is made
    smaller and placed again: labels never overlap each other.
    """
    while True:
        labels = _place(boxes, texts, height, bounds)
        if labels is not None or height < 4:
            return labels or []
        height *= 0.8


def _place(boxes: Sequence[Rect], texts: Sequence[str], height: float, bounds: tuple[float, float]) -> list[Label] | None:
    placed: list[Rect] = []
    labels = []
    for number, (box, text) in enumerate(zip(boxes, texts, strict=True), start=1):
        w = height * (0.62 * len(text) + 0.6)
        spot = _first_free(box, w, height, bounds, placed, boxes)
        if spot is None:
            return None
        placed.append((spot[0], spot[1], w, height))
        labels.append(Label(number, text, spot[0], spot[1], w, height))
    return labels


def _first_free(
    box: Rect, w: float, h: float, bounds: tuple[float, float], placed: list[Rect], boxes: Sequence[Rect]
) -> tuple[float, float] | None:
    """The nearest spot free of labels (and, if possible, of faces); else a free spot on a grid; else None."""
    def clamp(spot: tuple[float, float]) -> tuple[float, float]:
        return min(max(0.0, spot[0]), max(0.0, bounds[0] - w)), min(max(0.0, spot[1]), max(0.0, bounds[1] - h))

    spots = [clamp(s) for s in _candidates(box, w, h, h / 2)]
    for avoid_faces in (True, False):
        for sx, sy in spots:
            rect = (sx, sy, w, h)
            if any(_overlaps(rect, p) for p in placed):
                continue
            if avoid_faces and any(_overlaps(rect, b) for b in boxes):
                continue
            return sx, sy
    # Everything near is taken: scan the whole picture in half-label steps, nearest free spot first.
    step = h / 2
    cells = [(gx * step, gy * step) for gy in range(int((bounds[1] - h) // step) + 1)
             for gx in range(int((bounds[0] - w) // step) + 1)]
    cells.sort(key=lambda c: (c[0] - box[0]) ** 2 + (c[1] - box[1]) ** 2)
    return next((c for c in cells if not any(_overlaps((c[0], c[1], w, h), p) for p in placed)), None)
