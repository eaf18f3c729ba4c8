"""Which column of a roster file holds what, and which columns must be refused.

The consent columns are the dangerous ones: a consent read from the wrong column, or a
refusal in a column nobody reads, puts a child's photo online. So the consent headers are a
short, exact list (case, spaces and punctuation aside); two columns for the same consent are
refused; and any other header that looks as if it might be about consent is refused too,
asking office staff which consent it is, rather than being dropped without a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...pipeline.normalise import fold_text

# Spelled as office staff would write them; matched after _norm (lower case, letters and digits).
PHOTO_HEADERS = (
    "Photo consent", "Photograph consent", "Photography consent", "Photographic consent", "Photographs",
    "Photo", "Photos", "Image consent", "Media consent", "Consent photo", "Photo consent given",
)  # fmt: skip
FIRST_NAME_HEADERS = (
    "First name consent", "Forename consent", "Name consent", "Consent first name",
    "First name consent given", "Use first name",
)  # fmt: skip
DETAIL_HEADERS = {
    "external_id": "Pupil ID, ID, UPN, Unique Pupil Number, Admission Number, Adno, Admno, Student ID, "
    "MIS ID, SIS ID, Pupil Ref",
    "first_name": "First name, Forename, Forenames, Legal Forename, Preferred Forename, Given name, Preferred name",
    "last_name": "Last name, Surname, Legal Surname, Family name, Preferred Surname",
    "class_name": "Class, Year class, Year, Year group, Form, Reg group, Registration group, Tutor group, "
    "Class name, Group, Regroup",
}
LABELS = {
    "external_id": "pupil id",
    "first_name": "first name",
    "last_name": "last name",
    "class_name": "class",
    "photo_consent": "photo consent",
    "first_name_consent": "first-name consent",
}
CONSENT_FIELDS = ("photo_consent", "first_name_consent")


def _norm(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold_text(cell).strip().lower())


HEADERS: dict[str, str] = {
    _norm(name): name_field
    for name_field, names in {
        **{f: names.split(", ") for f, names in DETAIL_HEADERS.items()},
        "photo_consent": list(PHOTO_HEADERS),
        "first_name_consent": list(FIRST_NAME_HEADERS),
    }.items()
    for name in names
}

# A header is "consent-like" if any of its words begins with one of these stems ...
_STEMS = (
    "consent", "permission", "permit", "agree", "allow", "authoris", "authoriz", "approv", "media", "photo",
    "image", "picture", "video", "film", "camera", "publi", "web", "internet", "online",
    "newspaper", "release", "twitter", "facebook", "instagram", "youtube", "tiktok", "snapchat",
)  # fmt: skip
# ... or is one of these words ...
_WORDS = {"opt", "opts", "opted", "optin", "optout", "optedin", "optedout", "pic", "pics", "press", "use", "usage"}
# ... or its letters run together contain one of these (headers written without spaces).
_INFIXES = (
    "consent", "permission", "photo", "image", "video", "publish", "optin", "optout", "socialmedia",
    "socialnetwork", "agree",
)  # fmt: skip


def looks_like_consent(header: str) -> bool:
    """True when ``header`` might hold a consent: a word such as consent, permission, opt, photo, media."""
    # Look-alike letters, accents and invisible characters are undone first (the name guard's
    # folding), so "Рhoto consent" with a Cyrillic Р cannot slip past as an ordinary column.
    header = fold_text(header)
    # Words both as written ("YouTube") and split at capitals ("PhotoOptOut" → photo, opt, out).
    spaced = header + " " + re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    if any(w.startswith(_STEMS) or w in _WORDS for w in words):
        return True
    return any(infix in _norm(header) for infix in _INFIXES)


@dataclass
class Columns:
    """The header row read: which column holds which field, and what is wrong with it."""

    fields: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)

    def cell(self, index: int, word: str = "column") -> str:
        """How a column is named to office staff: its letter and header, as in a spreadsheet."""
        return f'{word} {column_letter(index)} "{self.names[index]}"'


def read_header(header: list[str]) -> Columns:
    """Map the header row onto our fields, naming every consent column that cannot be trusted."""
    columns = Columns(names={i: cell.strip() for i, cell in enumerate(header)})
    for index, cell in enumerate(header):
        name_field = HEADERS.get(_norm(cell))
        if name_field is not None:
            columns.fields[index] = name_field
        elif cell.strip() and looks_like_consent(cell):
            columns.errors.append(_unknown_consent(columns.cell(index, "Column")))
    for consent in CONSENT_FIELDS:
        found = [i for i, f in columns.fields.items() if f == consent]
        if len(found) > 1:
            named = " and ".join(columns.cell(i) for i in found)
            columns.errors.append(
                f"The file has {len(found)} {LABELS[consent]} columns: {named}. Keep the one that is up to "
                "date, delete the other, and choose the file again. Nothing will be imported until then."
            )
    return columns


def _unknown_consent(cell: str) -> str:
    return (
        f"{cell} looks like a consent, but tripposter does not know which one, so it cannot "
        f'be imported as it is. If it is the photo consent, rename it "Photo consent" (and delete any other '
        f'photo-consent column). If it is the consent to use first names, rename it "First name consent". '
        "If it is about something else, delete the column. Then choose the file again."
    )


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
