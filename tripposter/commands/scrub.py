"""``tripposter scrub``: make clean, posting-size JPEGs from photos on disk.

Plain click, no Flask: the lead registers it with ``cli.add_command(scrub_command, "scrub")``.
Each output is written to a temporary file beside it and renamed into place, so a
refused or failed photo never leaves a file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tripposter.pipeline.errors import PipelineError

if TYPE_CHECKING:
    from tripposter.pipeline.faces import FaceDetector
    from tripposter.pipeline.photo import ScrubResult


@click.command("scrub")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<name>.jpg for each INPUT (then every PATH is an input).",
)
@click.option("--no-faces", is_flag=True, help="Skip face detection.")
@click.option("--blur-faces", is_flag=True, help="Blur every face found.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def scrub_command(
    paths: tuple[Path, ...], out_dir: Path | None, no_faces: bool, blur_faces: bool, as_json: bool
) -> None:
    """Scrub INPUT to OUTPUT, or each INPUT into --out-dir: upright, sRGB, resized, no metadata."""
    if no_faces and blur_faces:
        raise click.UsageError("--blur-faces needs face detection; drop --no-faces.")
    jobs = _plan(paths, out_dir)
    detector = None if no_faces else _detector()
    reports = [_scrub_one(src, dst, detector, blur_faces) for src, dst in jobs]
    if as_json:
        click.echo(json.dumps({"files": reports}, indent=2))
    else:
        for report in reports:
            if report["ok"]:
                click.echo(_summary(report))
    if not all(report["ok"] for report in reports):
        click.get_current_context().exit(1)


def _plan(paths: tuple[Path, ...], out_dir: Path | None) -> list[tuple[Path, Path]]:
    """Pair each input with its output path, refusing ambiguous or self-overwriting plans."""
    if out_dir is None:
        if len(paths) != 2:
            raise click.UsageError("Give INPUT OUTPUT, or --out-dir DIR INPUT...")
        jobs = [(paths[0], paths[1])]
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        jobs = [(src, out_dir / f"{src.stem}.jpg") for src in paths]
    outputs = [dst.resolve() for _, dst in jobs]
    if len(set(outputs)) != len(outputs):
        raise click.UsageError("Two inputs would be written to the same output file.")
    if set(outputs) & {src.resolve() for src, _ in jobs}:
        raise click.UsageError("An output would overwrite an input; choose another name or folder.")
    return jobs


def _detector() -> FaceDetector:
    """Load the face model once for the whole run."""
    from tripposter.pipeline.faces import default_detector  # imported on use: `tripposter --help` stays fast

    try:
        return default_detector()
    except PipelineError as exc:
        raise click.ClickException(exc.user_message) from exc


def _scrub_one(src: Path, dst: Path, detector: FaceDetector | None, blur: bool) -> dict[str, Any]:
    """Scrub one file and write it atomically; on refusal print one line to stderr and write nothing."""
    from tripposter.pipeline.photo import Limits, scrub_photo

    limits = Limits()
    try:
        result = scrub_photo(_read(src, limits.max_bytes), limits=limits, detector=detector,
                             blur="all" if blur else "none")  # fmt: skip
        _write_atomically(dst, result.jpeg)
    except PipelineError as exc:
        click.echo(f"{src}: refused ({exc.code}): {exc.user_message}", err=True)
        return {"input": str(src), "ok": False, "code": exc.code, "message": exc.user_message}
    except OSError as exc:
        click.echo(f"{src}: failed: {exc.strerror or exc}", err=True)
        return {"input": str(src), "ok": False, "code": "io_error", "message": str(exc.strerror or exc)}
    return _report(src, dst, result)


def _read(src: Path, max_bytes: int) -> bytes:
    """Read at most one byte more than the limit, so a huge file is refused without loading it."""
    with src.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _write_atomically(dst: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``dst`` and rename it over ``dst``."""
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _report(src: Path, dst: Path, result: ScrubResult) -> dict[str, Any]:
    """The per-file JSON report."""
    return {
        "input": str(src),
        "output": str(dst),
        "ok": True,
        "source_format": result.source_format,
        "width": result.width,
        "height": result.height,
        "bytes": len(result.jpeg),
        "quality": result.quality,
        "removed": result.removed,
        "faces": [dict(face.as_dict(), blurred=i in result.blurred) for i, face in enumerate(result.faces)],
    }


def _summary(report: dict[str, Any]) -> str:
    """One human line per scrubbed file."""
    removed = ", ".join(report["removed"]) or "nothing"
    faces = len(report["faces"])
    blurred = sum(1 for face in report["faces"] if face["blurred"])
    face_note = f"{faces} face(s)" + (f", {blurred} blurred" if blurred else "")
    return (
        f"{report['input']} -> {report['output']}: {report['width']}x{report['height']}, "
        f"{report['bytes'] // 1024} KB, removed {removed}; {face_note}"
    )
