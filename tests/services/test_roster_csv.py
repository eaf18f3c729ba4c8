"""Reading a roster file: only documented consent answers, and no consent column misread or dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tripposter.services.school.roster_csv import NO, YES, parse_consent, parse_roster
from tripposter.services.school.roster_headers import (
    DETAIL_HEADERS,
    FIRST_NAME_HEADERS,
    PHOTO_HEADERS,
    column_letter,
    looks_like_consent,
    read_header,
)

BASE = "UPN,Forename,Surname,Reg Group"

# Marks and words that people do write in a consent column, and that could mean either answer.
AMBIGUOUS = [
    "X", "x", "✓", "✔", "✗", "✘", "ok", "OK", "Okay", "agreed", "Agreed", "maybe", "tbc", "TBC", "n/a", "N/A",
    "?", "-", "yes?", "no?", "Yes - website only", "Yes (not social media)", "yes/no", "Y/N", "consent",
    "not consented", "none", "unknown", "see notes", "2", "yess", "ja", "1.0", "true.", "'yes", "yes!", "y e s",
    "positive", "allowed", "approved", "accepted", "permitted", "signed", "returned", "on file", "\u200byes",
    "уes",  # a Cyrillic у
]  # fmt: skip

# Headers a school might use for a consent tripposter has no column for (or cannot tell which it is).
CONSENT_LIKE = [
    "Social Media Consent", "Website consent", "Video consent", "Internet permission", "Media release",
    "Consent", "Permission", "Permissions", "Photo permission", "Photos allowed", "Photo opt-out",
    "Opt out of photos", "OptOut", "Opt-in", "Opted in", "Image use", "Images", "Image", "Video", "Filming",
    "Film", "Publish name", "Publicity", "Publication of name", "Newspaper", "Press", "Press photos",
    "Agreed to photos", "Parental agreement", "Web photos", "Online images", "Facebook", "Twitter/X",
    "Instagram", "YouTube", "TikTok", "Photo consent (website)", "Photo consent 2025", "Photo consent date",
    "No photos", "Photos refused", "SocialMediaConsent", "socialmedia", "Use of name", "Name usage",
    "Trip consent", "Medical consent", "Camera", "Pictures", "Pics", "Authorised for photos",
    "Authorized", "Approved for media", "Allowed on website", "Permitted", "Release form", "Consents",
    "Photo_Opt_Out", "PHOTOGRAPHY PERMISSION", "Webpage", "Photograph consent - social media",
]  # fmt: skip

# Columns a school information system exports that are not about consent: never refused.
ORDINARY = [
    "Date of Birth", "DOB", "Gender", "Address", "Postcode", "Parent email", "Contact 1 phone", "SEN", "FSM",
    "EAL", "Medical", "Medical notes", "Allergies", "Dietary needs", "Immediate contact", "Optional notes",
    "Options", "Pupil premium", "Ethnicity", "Religion", "House", "Notes", "Social worker", "Known as",
    "Middle name", "Attendance", "Email", "Primary contact", "User name", "Approx age", "Adopted",
]  # fmt: skip


@pytest.mark.parametrize("value", [*YES, *(v.upper() for v in YES), " Yes ", "Consent  Given", "\tY\xa0"])
def test_documented_yes_answers(value: str) -> None:
    assert parse_consent(value) is True


@pytest.mark.parametrize("value", [*NO, *(v.title() for v in NO), " No ", "NOT  GIVEN"])
def test_documented_no_answers(value: str) -> None:
    assert parse_consent(value) is False


@pytest.mark.parametrize("value", ["", "   ", "\xa0"])
def test_an_empty_cell_is_no_record(value: str) -> None:
    assert parse_consent(value) is None


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_consent(value)


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_an_ambiguous_answer_is_an_error_naming_the_cell(value: str) -> None:
    parsed = parse_roster(f"{BASE},Photo Consent\nA1,Sam,Lee,6A,yes\nA2,Ava,Khan,6A,\"{value}\"\n")
    assert [r.external_id for r in parsed.rows] == ["A1"]
    ((line, problem),) = parsed.errors
    assert line == 3
    assert f'photo consent "{value}" is not a yes or a no' in problem
    assert 'cell E3, column "Photo Consent"' in problem
    assert "Write yes or no" in problem


def test_each_bad_consent_cell_in_a_row_is_named() -> None:
    parsed = parse_roster(f"{BASE},First name consent,Photo Consent\nA1,Sam,Lee,6A,ok,X\n")
    problems = [p for _, p in parsed.errors]
    assert any('photo consent "X"' in p and "cell F2" in p for p in problems)
    assert any('first-name consent "ok"' in p and "cell E2" in p for p in problems)
    assert not parsed.rows


@pytest.mark.parametrize("header", CONSENT_LIKE)
def test_a_consent_like_header_is_recognised_as_such(header: str) -> None:
    assert looks_like_consent(header)


@pytest.mark.parametrize("header", ORDINARY)
def test_ordinary_headers_do_not_look_like_consent(header: str) -> None:
    assert not looks_like_consent(header)


@pytest.mark.parametrize("header", CONSENT_LIKE)
def test_an_unknown_consent_column_is_refused_never_dropped(header: str) -> None:
    parsed = parse_roster(f'{BASE},Photo Consent,"{header}"\nA1,Sam,Lee,6A,yes,No\n')
    (problem,) = parsed.column_errors
    assert f'Column F "{header}" looks like a consent' in problem
    assert 'rename it "Photo consent"' in problem and "delete the column" in problem


@pytest.mark.parametrize("header", ORDINARY)
def test_ordinary_columns_are_ignored(header: str) -> None:
    parsed = parse_roster(f'{BASE},Photo Consent,"{header}"\nA1,Sam,Lee,6A,yes,anything\n')
    assert not parsed.column_errors and not parsed.errors and len(parsed.rows) == 1


@pytest.mark.parametrize("header", [*PHOTO_HEADERS, *FIRST_NAME_HEADERS])
def test_documented_consent_headers_are_understood_in_any_case_and_spacing(header: str) -> None:
    for spelling in (header, header.upper(), header.replace(" ", "_"), header.replace(" ", "")):
        columns = read_header(["UPN", spelling])
        assert not columns.errors
        assert columns.fields[1] == ("photo_consent" if header in PHOTO_HEADERS else "first_name_consent")


@pytest.mark.parametrize(
    "first, second",
    [
        ("Media Consent", "Photographs"),
        ("Photo Consent", "Photograph Consent"),
        ("Photo", "Photos"),
        ("Photo consent", "PHOTO CONSENT"),
        ("Image consent", "Photography consent"),
    ],
)
def test_two_photo_consent_columns_are_refused_naming_both(first: str, second: str) -> None:
    parsed = parse_roster(f"{BASE},{first},Class,{second}\nA1,Sam,Lee,6A,No,6A,Yes\n")
    (problem,) = parsed.column_errors
    assert f'2 photo consent columns: column E "{first}" and column G "{second}"' in problem
    assert "delete the other" in problem


def test_two_first_name_consent_columns_are_refused_naming_both() -> None:
    parsed = parse_roster(f"{BASE},Photo consent,First name consent,Name consent\nA1,Sam,Lee,6A,yes,no,yes\n")
    (problem,) = parsed.column_errors
    assert 'first-name consent columns: column F "First name consent" and column G "Name consent"' in problem


def test_every_header_problem_is_reported_at_once() -> None:
    parsed = parse_roster(f"{BASE},Media Consent,Photographs,Website consent,Video consent\nA1,Sam,Lee,6A,,,,\n")
    assert len(parsed.column_errors) == 3


def test_a_row_with_more_cells_than_the_header_is_refused() -> None:
    # "Lee, Jr" without quotes: every answer after it moves one column to the right.
    parsed = parse_roster(f"{BASE},Photo consent,First name consent\nA1,Sam,Lee, Jr,6A,No,Yes\nA2,Ava,Khan,6A,,,\n")
    ((line, problem),) = parsed.errors
    assert line == 2 and "7 cells but the header row has 6 columns" in problem
    assert [r.external_id for r in parsed.rows] == ["A2"]


def test_a_short_row_leaves_its_missing_answers_as_no_record() -> None:
    (row,) = parse_roster(f"{BASE},Photo consent,First name consent\nA1,Sam,Lee,6A,yes\n").rows
    assert row.photo_consent is True and row.first_name_consent is None


@pytest.mark.parametrize("index, letter", [(0, "A"), (4, "E"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ")])
def test_column_letters_match_a_spreadsheet(index: int, letter: str) -> None:
    assert column_letter(index) == letter


def test_the_readme_documents_exactly_the_headers_and_answers_accepted() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The consent roster\n", 1)[1].split("\n## ", 1)[0]
    for name in (*PHOTO_HEADERS, *FIRST_NAME_HEADERS, *YES, *NO):
        assert f"`{name}`" in section, name
    for names in DETAIL_HEADERS.values():
        for name in names.split(", "):
            assert f"`{name}`" in section, name


def test_a_column_without_a_header_but_with_answers_is_refused() -> None:
    parsed = parse_roster(f"{BASE},Photo consent,,\nA1,Sam,Lee,6A,yes,,\nA2,Ava,Khan,6A,yes,No,\n")
    (problem,) = parsed.column_errors
    assert 'Column F has no header but holds answers (for example "No" on line 3)' in problem
    assert "delete the column" in problem


def test_empty_columns_without_a_header_are_harmless() -> None:
    parsed = parse_roster(f"{BASE},Photo consent,,\nA1,Sam,Lee,6A,yes,,\nA2,Ava,Khan,6A,no\n")
    assert not parsed.column_errors and not parsed.errors and len(parsed.rows) == 2


# The same disguises the name guard undoes: look-alike letters from other alphabets, invisible
# characters and accents. A disguised consent header is read as the column it imitates or refused,
# never passed over as an ordinary column.
DISGUISED_PHOTO = ["\u0420hoto consent", "Ph\u043eto Consent", "Pho\u200bto consent", "Phot\u00f4 consent", "P\u00adhotographs"]
DISGUISED_UNKNOWN = ["Social M\u0435dia Consent", "W\u0435bsite c\u043ensent", "Vid\u200beo consent", "\u0421onsent"]


@pytest.mark.parametrize("header", DISGUISED_PHOTO)
def test_a_disguised_photo_consent_header_is_read_as_the_photo_consent(header: str) -> None:
    parsed = parse_roster(f'{BASE},"{header}"\nA1,Sam,Lee,6A,No\n')
    assert not parsed.column_errors and not parsed.errors
    assert parsed.rows[0].photo_consent is False


@pytest.mark.parametrize("header", DISGUISED_PHOTO)
def test_a_disguised_second_photo_consent_column_is_refused(header: str) -> None:
    parsed = parse_roster(f'{BASE},Photo Consent,"{header}"\nA1,Sam,Lee,6A,Yes,No\n')
    (problem,) = parsed.column_errors
    assert "2 photo consent columns" in problem


@pytest.mark.parametrize("header", DISGUISED_UNKNOWN)
def test_a_disguised_unknown_consent_column_is_refused(header: str) -> None:
    parsed = parse_roster(f'{BASE},Photo Consent,"{header}"\nA1,Sam,Lee,6A,yes,No\n')
    (problem,) = parsed.column_errors
    assert "looks like a consent" in problem
