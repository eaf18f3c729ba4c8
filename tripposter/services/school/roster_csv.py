"""Read a consent roster CSV as school information systems export it.

Headers and yes/no values come in many spellings (SIMS, Arbor, Bromcom, hand-made
spreadsheets); this module maps them onto one shape and names every row it cannot read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from .roster_headers import CONSENT_FIELDS, LABELS, Columns, column_letter, read_header

MAX_ROWS = 5000
REQUIRED = ("external_id", "first_name", "last_name", "photo_consent")
# The only answers read as consent: short, documented, and never a mark or a word that could mean either.
YES = ("yes", "y", "true", "1", "given", "granted", "consented", "consent given")
# Reading a "no" wrongly as "no" harms nobody, so this list may be a little longer.
NO = ("no", "n", "false", "0", "refused", "declined", "withdrawn", "not given", "no consent", "consent refused")


class RosterFormatError(ValueError):
    """The file as a whole cannot be read (not a CSV, no header we know, too many rows)."""


@dataclass(frozen=True)
class RosterRow:
    line: int
    external_id: str
    first_name: str
    last_name: str
    class_name: str
    # None: the file has no answer for this pupil, which counts as no consent.
    photo_consent: bool | None
    first_name_consent: bool | None


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    # (line number, what is wrong and what to write instead), one entry per bad cell.
    errors: list[tuple[int, str]] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    # Problems with the header row itself: two columns for one consent, a consent column we do not know.
    column_errors: list[str] = field(default_factory=list)


def parse_consent(value: str) -> bool | None:
    """Map one consent cell to True/False, or None when empty (no record, which counts as no).

    Raises:
        ValueError: the value is not one of the documented answers.
    """
    norm = " ".join(value.split()).casefold()
    if not norm:
        return None
    if norm in YES:
        return True
    if norm in NO:
        return False
    raise ValueError(value)


def decode(data: bytes) -> str:
    """Text from the uploaded bytes: UTF-8 (with or without BOM), else Windows-1252 as Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_roster(text: str) -> ParsedRoster:
    """Read every row, collecting every problem rather than stopping at the first.

    Raises:
        RosterFormatError: the file has no header row or is far too long.
    """
    reader = csv.reader(io.StringIO(text), dialect=_sniff(text))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise RosterFormatError("The file is empty. Export the roster as CSV with a header row and try again.")
    columns = read_header(header)
    parsed = ParsedRoster(column_errors=columns.errors)
    parsed.missing_columns = [LABELS[f] for f in REQUIRED if f not in columns.fields.values()]
    if parsed.missing_columns:
        return parsed
    seen: dict[str, int] = {}
    unnamed = {i: "" for i, name in columns.names.items() if not name}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if number > MAX_ROWS + 1:
            raise RosterFormatError(f"The file has more than {MAX_ROWS} pupils. Check it is the right file.")
        for i in [i for i, example in unnamed.items() if not example and i < len(cells) and cells[i].strip()]:
            unnamed[i] = f'"{cells[i].strip()[:20]}" on line {number}'
        row, problems = _read_row(number, cells, columns, len(header))
        if row is not None and row.external_id in seen:
            problems.append(f"pupil id {row.external_id} also appears on line {seen[row.external_id]}")
        parsed.errors.extend((number, problem) for problem in problems)
        if row is not None and not problems:
            seen[row.external_id] = number
            parsed.rows.append(row)
    parsed.column_errors += [_unnamed(i, example) for i, example in unnamed.items() if example]
    return parsed


def _unnamed(index: int, example: str) -> str:
    # A column without a header could be a consent nobody named: ask rather than ignore it.
    return (
        f"Column {column_letter(index)} has no header but holds answers (for example {example}). If it is the "
        'photo consent, name it "Photo consent"; if it is the consent to use first names, name it "First name '
        'consent"; otherwise delete the column. Then choose the file again.'
    )


def _read_row(number: int, cells: list[str], columns: Columns, width: int) -> tuple[RosterRow | None, list[str]]:
    if any(c.strip() for c in cells[width:]):
        # An unquoted comma in a name moves every later answer one column to the right.
        return None, [
            f"the row has {len(cells)} cells but the header row has {width} columns, so its answers may be "
            "in the wrong columns (often a comma inside a name). Check the row, then save the file as CSV again"
        ]
    values = {f: "" for f in LABELS}
    where = {f: 0 for f in LABELS}
    for i, name_field in columns.fields.items():
        where[name_field] = i
        values[name_field] = cells[i].strip() if i < len(cells) else ""
    missing = [LABELS[f] for f in ("external_id", "first_name", "last_name") if not values[f]]
    problems = ["missing " + " and ".join(missing)] if missing else []
    consents: dict[str, bool | None] = {}
    for name_field in CONSENT_FIELDS:
        try:
            consents[name_field] = parse_consent(values[name_field])
        except ValueError:
            problems.append(_bad_consent(name_field, columns, where[name_field], number, values[name_field]))
    if problems:
        return None, problems
    return (
        RosterRow(
            line=number,
            external_id=values["external_id"][:64],
            first_name=values["first_name"][:100],
            last_name=values["last_name"][:100],
            class_name=values["class_name"][:50],
            photo_consent=consents["photo_consent"],
            first_name_consent=consents["first_name_consent"],
        ),
        [],
    )


def _bad_consent(name_field: str, columns: Columns, index: int, line: int, value: str) -> str:
    shown = value if len(value) <= 30 else value[:29] + "…"
    return (
        f'{LABELS[name_field]} "{shown}" is not a yes or a no (cell {column_letter(index)}{line}, '
        f'column "{columns.names[index]}"). Write yes or no; if the parents have not answered, '
        "leave the cell empty (that counts as no)"
    )


def _sniff(text: str) -> type[csv.Dialect] | str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        return "excel"
