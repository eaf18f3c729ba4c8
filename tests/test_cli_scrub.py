"""``tripposter scrub`` through click's CliRunner: clean files out, refusals leave nothing behind."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from tests.pipeline.corpus import (
    bad_inputs,
    full_exif,
    jpeg_bytes,
    photo_like,
    stored_for,
)
from tripposter.commands.scrub import scrub_command
from tripposter.pipeline.verify import verify_clean_jpeg

BAD = bad_inputs()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(scrub_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def leftovers(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_scrub_one_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "IMG_0001.HEIC", tmp_path / "out.jpg"  # the name is a lie; content decides
    src.write_bytes(jpeg_bytes(stored_for(photo_like(300, 200), 6), exif=full_exif(6)))
    code, out, err = run("--no-faces", str(src), str(dst))
    assert code == 0, err
    verify_clean_jpeg(dst.read_bytes())
    assert Image.open(io.BytesIO(dst.read_bytes())).size == (300, 200)
    assert "removed exif, gps" in out and "0 face(s)" in out
    assert leftovers(tmp_path) == {"IMG_0001.HEIC", "out.jpg"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_refused_input_exits_non_zero_and_writes_nothing(tmp_path: Path, name: str) -> None:
    data, expected = BAD[name]
    src, dst = tmp_path / "photo.jpg", tmp_path / "out" / "clean.jpg"
    dst.parent.mkdir()
    src.write_bytes(data)
    code, out, err = run("--no-faces", str(src), str(dst))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0]
    assert list(dst.parent.iterdir()) == []


def test_out_dir_with_json_report(tmp_path: Path) -> None:
    good, bad, out_dir = tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "clean"
    good.write_bytes(jpeg_bytes(photo_like(400, 300), exif=full_exif(1)))  # JPEG bytes named .png
    bad.write_bytes(BAD["html"][0])
    code, out, err = run("--no-faces", "--json", "--out-dir", str(out_dir), str(good), str(bad))
    assert code == 1
    files = json.loads(out)["files"]
    assert files[0]["ok"] and files[0]["removed"] == ["exif", "gps"]
    assert (files[0]["width"], files[0]["height"], files[0]["faces"]) == (400, 300, [])
    assert files[0]["bytes"] == (out_dir / "a.jpg").stat().st_size
    assert files[1] == {"input": str(bad), "ok": False, "code": "not_an_image", "message": files[1]["message"]}
    assert leftovers(out_dir) == {"a.jpg"}
    assert "b.jpg: refused (not_an_image)" in err


def test_blur_faces_reports_and_blurs(tmp_path: Path) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    src, dst = tmp_path / "astronaut.jpg", tmp_path / "out.jpg"
    src.write_bytes(jpeg_bytes(Image.fromarray(skimage_data.astronaut())))
    code, out, err = run("--json", "--blur-faces", str(src), str(dst))
    assert code == 0, err
    faces = json.loads(out)["files"][0]["faces"]
    assert faces and all(face["blurred"] for face in faces)
    assert set(faces[0]) == {"x", "y", "width", "height", "score", "blurred"}
    verify_clean_jpeg(dst.read_bytes())


def test_usage_errors(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    src.write_bytes(jpeg_bytes(photo_like(64, 48)))
    assert run("--no-faces", "--blur-faces", str(src), str(tmp_path / "b.jpg"))[0] == 2
    assert run(str(src))[0] == 2
    assert run("--no-faces", "--out-dir", str(tmp_path), str(src))[0] == 2  # would overwrite a.jpg
    assert src.read_bytes()[:2] == b"\xff\xd8"


def test_missing_input_is_reported(tmp_path: Path) -> None:
    code, _, err = run("--no-faces", str(tmp_path / "nope.jpg"), str(tmp_path / "out.jpg"))
    assert code == 1 and "nope.jpg: failed" in err
    assert not (tmp_path / "out.jpg").exists()


def test_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out_dir = tmp_path / "a.jpg", tmp_path / "out"
    src.write_bytes(jpeg_bytes(photo_like(64, 48)))

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tripposter.commands.scrub.os.replace", disk_full)  # fails after the temp file exists
    code, _, err = run("--no-faces", "--out-dir", str(out_dir), str(src))
    assert code == 1 and "No space left" in err
    assert leftovers(out_dir) == set()
