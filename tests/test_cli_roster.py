"""`tripposter import-roster`: the same refusals as the web page, and the same list of changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripposter.models import Pupil

HEADER = "UPN,Forename,Surname,Reg Group"


def _run(app: Flask, tmp_path: Path, text: str, *flags: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import-roster", *flags, str(path)])


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Pupil)) or 0


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"{HEADER},Photo Consent,Social Media Consent\n1,Sam,Lee,6A,Yes,No\n",
         'Column F "Social Media Consent" looks like a consent'),
        (f"{HEADER},Media Consent,Photographs\n1,Sam,Lee,6A,No,Yes\n",
         'column E "Media Consent" and column F "Photographs"'),
        (f"{HEADER},Photo Consent,Photograph Consent\n1,Sam,Lee,6A,No,Yes\n",
         'column E "Photo Consent" and column F "Photograph Consent"'),
        (f"{HEADER},Photo Consent\n1,Sam,Lee,6A,X\n", 'line 2: photo consent "X" is not a yes or a no (cell E2'),
        (f"{HEADER},Photo Consent\n1,Sam,Lee,6A,ok\n", 'line 2: photo consent "ok" is not a yes or a no'),
        (f"{HEADER},Photo Consent\n1,Sam,Lee,6A,agreed\n", 'photo consent "agreed" is not a yes or a no'),
        (f"{HEADER},Photo Consent,Website consent\n1,Sam,Lee,6A,Yes,Yes\n", 'Column F "Website consent"'),
    ],
)
@pytest.mark.parametrize("flags", [("--dry-run",), ()])
def test_ambiguous_files_are_refused(
    app: Flask, db: Session, tmp_path: Path, text: str, expected: str, flags: tuple[str, ...]
) -> None:
    result = _run(app, tmp_path, text, *flags)
    assert result.exit_code != 0
    assert expected in result.output and "Nothing was imported" in result.output
    assert _count(db) == 0


def test_dry_run_lists_consent_changes_refusals_first_and_new_pupils(app: Flask, db: Session, tmp_path: Path) -> None:
    first = f"{HEADER},Photo Consent,First name consent\n1,Sam,Lee,6A,yes,yes\n2,Ava,Khan,6A,no,\n"
    assert _run(app, tmp_path, first).exit_code == 0
    second = f"{HEADER},Photo Consent,First name consent\n1,Sam,Lee,6A,,yes\n2,Ava,Khan,6A,yes,\n3,Zoe,Ray,5B,no,\n"
    result = _run(app, tmp_path, second, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Consent that would change (1 refusals, shown first and marked REFUSAL):")
    assert lines[start + 1] == "  REFUSAL Sam Lee (1): photo consent yes -> no record"
    assert lines[start + 2] == "          Ava Khan (2): photo consent no -> yes"
    assert lines[start + 3] == "New pupils:"
    assert lines[start + 4] == "  Zoe Ray (3): photo consent no, first-name consent no record"
    db.expire_all()
    assert db.scalars(select(Pupil).where(Pupil.external_id == "1")).one().photo_consent is True
    assert _count(db) == 2
