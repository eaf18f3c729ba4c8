"""After any confirmed import, no pupil has a consent that a column of the file did not clearly give.

Random files mix understood consent headers, consent-like headers tripposter does not know,
ordinary columns and random ones, with clear, ambiguous, empty and random answers, over a
roster that already holds pupils with every kind of consent. The oracle below is the test's
own: it does not ask the parser which columns are consent.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tripposter.models import Pupil, Role, User
from tripposter.services.school import roster
from tripposter.services.school.roster import RosterImportError
from tripposter.services.school.roster_headers import HEADERS

PHOTO = ["Photo Consent", "Media Consent", "Photographs", "Photograph consent", "Image consent", "Photos"]
NAME = ["First Name Consent", "Name consent", "Use first name"]
OTHER_CONSENT = [
    "Social Media Consent", "Website consent", "Video consent", "Internet permission", "Media release",
    "Photo opt-out", "Consent", "Permission", "Publicity", "Press photos", "Agreed", "Images",
]  # fmt: skip
ORDINARY = ["Date of Birth", "Gender", "Medical notes", "Known as", "House", "Notes"]
# What the test itself counts as a clear yes: the documented answers, in any case and spacing.
CLEAR_YES = {"yes", "y", "true", "1", "given", "granted", "consented", "consent given"}
VALID = ["Yes", "yes", " Y ", "TRUE", "1", "given", "Granted", "Consent given", "No", "n", "false", "0",
         "refused", "withdrawn", "Not given", ""]  # fmt: skip
AMBIGUOUS = ["X", "x", "✓", "ok", "agreed", "maybe", "tbc", "n/a", "Yes?", "yes - website only", "consent"]
IDS = [f"P{i}" for i in range(8)]
DETAILS = {"external_id", "first_name", "last_name"}


@dataclass
class Column:
    header: str
    kind: str  # photo, name, other (consent we do not know), ordinary


def _clear_yes(value: str) -> bool:
    return " ".join(value.split()).casefold() in CLEAR_YES


def _spelling(header: str) -> st.SearchStrategy[str]:
    return st.sampled_from([header, header.upper(), header.lower(), header.replace(" ", "_"), f" {header} "])


@st.composite
def columns(draw: st.DrawFn) -> list[Column]:
    chosen = [Column(draw(_spelling(draw(st.sampled_from(PHOTO)))), "photo")]
    pools = {"photo": PHOTO, "name": NAME, "other": OTHER_CONSENT, "ordinary": ORDINARY}
    for kind in draw(st.lists(st.sampled_from([*pools, "random"]), max_size=3)):
        if kind == "random":
            header = draw(st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12))
            # Not a second pupil-id or name column: the oracle matches pupils by the UPN column.
            if HEADERS.get(re.sub(r"[^a-z0-9]", "", header.strip().lower())) in DETAILS:
                header = "Notes"
            # Random text that happens to spell a consent word is an unknown consent to the oracle.
            spelled = re.sub(r"[^a-z]", "", header.lower())
            kind = "other" if re.search(r"consent|photo|media|permi|opt|agree|publi|image|video", spelled) else "ordinary"
        else:
            header = draw(_spelling(draw(st.sampled_from(pools[kind]))))
        chosen.append(Column(header, kind))
    return draw(st.permutations(chosen))


@st.composite
def roster_files(draw: st.DrawFn) -> tuple[list[Column], list[list[str]]]:
    cols = draw(columns())
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True))
    # Mostly files whose answers all read, so that most files import and the oracle has work to do.
    answer = st.sampled_from(VALID)
    if draw(st.sampled_from([False, False, True])):
        answer |= st.sampled_from(AMBIGUOUS) | st.text(max_size=6)
    rows = []
    for pupil_id in ids:
        answers = [draw(answer) for _ in cols]
        rows.append([pupil_id, f"First{pupil_id}", f"Last{pupil_id}", *answers])
    return cols, rows


def _csv(cols: list[Column], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["UPN", "Forename", "Surname", *(c.header for c in cols)])
    writer.writerows(rows)
    return out.getvalue().encode()


def _allowed(cols: list[Column], row: list[str], kinds: set[str]) -> bool:
    """The oracle: every column of these kinds, and every unknown consent column, clearly said yes."""
    answers = [v for c, v in zip(cols, row[3:], strict=True) if c.kind in kinds | {"other"}]
    return any(c.kind in kinds for c in cols) and all(_clear_yes(v) for v in answers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    file=roster_files(),
    before=st.dictionaries(st.sampled_from(IDS), st.tuples(*[st.sampled_from([True, False, None])] * 2)),
)
def test_no_consent_that_the_file_did_not_clearly_give(
    db: Session, office: User, file: tuple[list[Column], list[list[str]]], before: dict[str, tuple]
) -> None:
    cols, rows = file
    try:
        for pupil_id, (photo, name) in before.items():
            db.add(Pupil(external_id=pupil_id, first_name="Old", last_name=pupil_id, class_name="",
                         photo_consent=photo, first_name_consent=name))  # fmt: skip
        db.flush()
        try:
            roster.apply_import(db, office, _csv(cols, rows))
            imported = True
        except RosterImportError:
            imported = False
        db.flush()
        pupils = {p.external_id: p for p in db.scalars(select(Pupil))}
        in_file = {row[0]: row for row in rows}
        for pupil_id, pupil in pupils.items():
            if not imported or pupil_id not in in_file:
                # A refused file, or a pupil it does not mention: nothing changed.
                assert (pupil.photo_consent, pupil.first_name_consent) == before[pupil_id]
                continue
            row = in_file[pupil_id]
            if pupil.photo_consent is True:
                assert _allowed(cols, row, {"photo"}), (cols, row)
            if pupil.first_name_consent is True:
                assert _allowed(cols, row, {"name"}), (cols, row)
    finally:
        db.rollback()


def test_the_oracle_is_not_vacuous(db: Session, office: User) -> None:
    """A clean file does import and grant consent, so the property above is not passing by refusing all."""
    cols = [Column("Media Consent", "photo"), Column("Gender", "ordinary")]
    roster.apply_import(db, office, _csv(cols, [["P1", "Sam", "Lee", " YES ", "F"], ["P2", "Ava", "Khan", "", ""]]))
    pupils = {p.external_id: p.photo_consent for p in db.scalars(select(Pupil))}
    assert pupils == {"P1": True, "P2": None}


@pytest.fixture
def office(make: Factory) -> User:
    return make.user(Role.OFFICE)
