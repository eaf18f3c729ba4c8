"""Read a consent roster CSV as school information systems export it.

Headers and yes/no values come in many spellings (SIMS, Arbor, Bromcom, hand-made
spreadsheets); this module maps them onto one shape and names every row it cannot read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

MAX_ROWS = 5000

# Normalised header (lower case, letters and digits only) → our field.
HEADERS: dict[str, str] = {}
for _field, _names in {
    "external_id": "pupilid id upn uniquepupilnumber admissionnumber adno admno studentid misid sisid pupilref",
    "first_name": "firstname forename forenames legalforename preferredforename givenname preferredname",
    "last_name": "lastname surname legalsurname familyname preferredsurname",
    "class_name": "class yearclass year yeargroup form regroup reggroup registrationgroup tutorgroup classname group",
    "photo_consent": "photoconsent photographconsent photo photos imageconsent photographs consentphoto "
    "mediaconsent photographyconsent photoconsentgiven",
    "first_name_consent": "firstnameconsent nameconsent forenameconsent consentfirstname "
    "firstnameconsentgiven usefirstname",
}.items():
    for _name in _names.split():
        HEADERS[_name] = _field

REQUIRED = ("external_id", "first_name", "last_name", "photo_consent")
YES = {"yes", "y", "true", "1", "granted", "given", "consent", "consented", "agreed", "ok", "x", "✓"}
NO = {"no", "n", "false", "0", "refused", "withdrawn", "declined", "denied", "notgiven", "none", "noconsent"}
LABELS = {
    "external_id": "pupil id",
    "first_name": "first name",
    "last_name": "last name",
    "class_name": "class",
    "photo_consent": "photo consent",
    "first_name_consent": "first-name consent",
}


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
    errors: list[tuple[int, str]] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)


def parse_consent(value: str) -> bool | None:
    """Map one yes/no cell to True/False, or None when empty.

    Raises:
        ValueError: the value is neither a yes nor a no we know.
    """
    norm = re.sub(r"[^a-z0-9✓]", "", value.strip().lower())
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
    columns = {i: HEADERS[k] for i, cell in enumerate(header) if (k := _norm(cell)) in HEADERS}
    parsed = ParsedRoster()
    parsed.missing_columns = [LABELS[f] for f in REQUIRED if f not in columns.values()]
    if parsed.missing_columns:
        return parsed
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if number > MAX_ROWS + 1:
            raise RosterFormatError(f"The file has more than {MAX_ROWS} pupils. Check it is the right file.")
        row, problem = _read_row(number, cells, columns)
        if problem is None and row is not None and row.external_id in seen:
            problem = f"pupil id {row.external_id} also appears on line {seen[row.external_id]}"
        if problem is not None:
            parsed.errors.append((number, problem))
        elif row is not None:
            seen[row.external_id] = number
            parsed.rows.append(row)
    return parsed


def _read_row(number: int, cells: list[str], columns: dict[int, str]) -> tuple[RosterRow | None, str | None]:
    values = {f: "" for f in LABELS}
    for i, f in columns.items():
        if i < len(cells):
            values[f] = cells[i].strip()
    missing = [LABELS[f] for f in ("external_id", "first_name", "last_name") if not values[f]]
    if missing:
        return None, "missing " + " and ".join(missing)
    consents: dict[str, bool | None] = {}
    for f in ("photo_consent", "first_name_consent"):
        try:
            consents[f] = parse_consent(values[f])
        except ValueError:
            return None, f'{LABELS[f]} "{values[f][:20]}" is not a yes or a no'
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
        None,
    )


def _norm(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cell.strip().lower())


def _sniff(text: str) -> type[csv.Dialect] | str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        return "excel"
