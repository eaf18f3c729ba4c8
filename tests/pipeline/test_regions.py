"""Hand-drawn blur regions, the posting image built from them, and faces numbered in reading order."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.pipeline.corpus import photo_like
from tripposter.pipeline.faces import Face
from tripposter.pipeline.photo import scrub_photo
from tripposter.pipeline.regions import (
    MAX_REGIONS,
    Region,
    RegionError,
    check_regions,
    posting_jpeg,
    reading_order,
)
from tripposter.pipeline.verify import verify_clean_jpeg
from tripposter.web.phone.face_labels import place_labels


def clean_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    photo_like(*size, seed=5).save(buffer, "JPEG", quality=92)
    return scrub_photo(buffer.getvalue(), detector=None).jpeg


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), dtype=np.float64)


def test_a_region_is_blurred_irreversibly_and_nothing_else_changes() -> None:
    clean = clean_jpeg()
    out = posting_jpeg(clean, [], [Region(100, 100, 200, 160)])
    verify_clean_jpeg(out)
    before, after = pixels(clean), pixels(out)
    inside = (slice(110, 250), slice(110, 290))
    # The detail inside is gone: the blurred area is far smoother than the original was.
    assert np.abs(np.diff(after[inside], axis=1)).mean() < 0.3 * np.abs(np.diff(before[inside], axis=1)).mean()
    assert np.abs(after[inside] - before[inside]).mean() > 3
    outside = (slice(350, 600), slice(400, 800))
    assert np.abs(after[outside] - before[outside]).mean() < 3  # only JPEG re-encoding noise


def test_nothing_to_blur_returns_the_clean_copy_itself() -> None:
    clean = clean_jpeg()
    assert posting_jpeg(clean, [], []) is clean


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ([{"x": -1, "y": 0, "width": 50, "height": 50}], "outside the photo"),
        ([{"x": 780, "y": 0, "width": 50, "height": 50}], "outside the photo"),
        ([{"x": 0, "y": 580, "width": 50, "height": 50}], "outside the photo"),
        ([{"x": 0, "y": 0, "width": 4, "height": 50}], "too small"),
        ([{"x": 0, "y": 0, "width": 50, "height": 0}], "too small"),
        ([{"x": 0, "y": 0, "width": 50}], "not a rectangle"),
        ([{"x": 0, "y": 0, "width": 50, "height": 50, "colour": 1}], "not a rectangle"),
        ([{"x": 1.5, "y": 0, "width": 50, "height": 50}], "whole-number"),
        ([{"x": True, "y": 0, "width": 50, "height": 50}], "whole-number"),
        ([{"x": "1", "y": 0, "width": 50, "height": 50}], "whole-number"),
        ([[0, 0, 50, 50]], "not a rectangle"),
        ([{"x": 0, "y": 0, "width": 10, "height": 10}] * (MAX_REGIONS + 1), f"at most {MAX_REGIONS}"),
    ],
)
def test_bad_regions_are_refused_with_a_sentence(raw: list[object], words: str) -> None:
    with pytest.raises(RegionError) as err:
        check_regions(raw, 800, 600)  # type: ignore[arg-type]
    assert words in err.value.user_message and err.value.code == "bad_region"


def test_good_regions_pass_including_the_whole_photo() -> None:
    raw = [{"x": 0, "y": 0, "width": 800, "height": 600}, {"x": 10, "y": 20, "width": 8, "height": 8}]
    assert check_regions(raw, 800, 600) == [Region(0, 0, 800, 600), Region(10, 20, 8, 8)]
    assert len(check_regions([{"x": 0, "y": 0, "width": 10, "height": 10}] * MAX_REGIONS, 800, 600)) == MAX_REGIONS


def test_faces_are_numbered_left_to_right_then_top_to_bottom() -> None:
    # A back row slightly uneven, a front row below it; the detector gives them by score.
    back = [Face(500, 105, 60, 70, 0.9), Face(100, 100, 60, 70, 0.5), Face(300, 90, 60, 70, 0.7)]
    front = [Face(420, 300, 80, 90, 0.99), Face(150, 310, 80, 90, 0.6)]
    ordered = reading_order([*front, *back])
    assert [(f.x, f.y) for f in ordered] == [(100, 100), (300, 90), (500, 105), (150, 310), (420, 300)]
    assert reading_order([]) == []


def test_labels_never_overlap_even_on_a_crowded_photo() -> None:
    rng = np.random.default_rng(1)
    boxes = [(float(x), float(y), 20.0, 24.0) for x, y in zip(rng.integers(0, 1980, 40), rng.integers(0, 1476, 40), strict=True)]
    texts = [f"{n} Sam" if n % 3 == 0 else str(n) for n in range(1, 41)]
    labels = place_labels(boxes, texts, 125, (2000, 1500))
    for i, a in enumerate(labels):
        assert 0 <= a.x and a.x + a.width <= 2000 and 0 <= a.y and a.y + a.height <= 1500
        for b in labels[i + 1:]:
            apart = a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y
            assert apart, (a, b)
