"""The consent roster: preview an import, apply it all-or-nothing, edit one pupil by hand."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Pupil, User
from ..audit import events as audit
from ..errors import NotFoundError, ServiceError
from .roster_csv import NO, YES, ParsedRoster, RosterFormatError, RosterRow, decode, parse_roster
from .roster_headers import CONSENT_FIELDS, DETAIL_HEADERS, FIRST_NAME_HEADERS, LABELS, PHOTO_HEADERS

DETAIL_FIELDS = ("first_name", "last_name", "class_name")
# What the import page tells office staff, from the same lists the parser uses.
IMPORT_GUIDE = {
    "details": DETAIL_HEADERS, "photo": PHOTO_HEADERS, "first_name": FIRST_NAME_HEADERS, "yes": YES, "no": NO,
}  # fmt: skip


@dataclass(frozen=True)
class ConsentChange:
    """One consent of one pupil already on the roster that the import would change."""

    row: RosterRow
    field: str
    old: bool | None
    new: bool | None

    @property
    def label(self) -> str:
        return LABELS[self.field]

    @property
    def refusal(self) -> bool:
        """The pupil would lose this consent: the new answer is no, or no record (which counts as no)."""
        return self.new is not True


@dataclass
class RosterPreview:
    """What an import would do, shown before anything is written."""

    parsed: ParsedRoster
    new: list[RosterRow] = field(default_factory=list)
    changed: list[tuple[RosterRow, list[str]]] = field(default_factory=list)
    consent_changes: list[ConsentChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        parsed = self.parsed
        return not (parsed.errors or parsed.missing_columns or parsed.column_errors) and bool(parsed.rows)

    @property
    def no_consent(self) -> int:
        return sum(1 for r in self.parsed.rows if r.photo_consent is not True)

    @property
    def refusals(self) -> int:
        return sum(1 for c in self.consent_changes if c.refusal)

    @property
    def fingerprint(self) -> str:
        """A digest of every change shown, so a confirm can tell the roster moved on since the preview."""
        shown = [(r.external_id, c) for r, c in self.changed] + [(r.external_id, "new") for r in self.new]
        shown += [(c.row.external_id, c.field, c.old, c.new) for c in self.consent_changes]
        return hashlib.sha256(repr(sorted(map(repr, shown))).encode()).hexdigest()


class RosterImportError(ServiceError):
    """The file cannot be imported as it is, or the roster changed since its preview: nothing was imported."""


def preview_import(session: Session, data: bytes) -> RosterPreview:
    """Read ``data`` and compare it with the roster, writing nothing.

    Raises:
        RosterImportError: the file cannot be read as a roster at all.
    """
    try:
        parsed = parse_roster(decode(data))
    except RosterFormatError as exc:
        raise RosterImportError(str(exc)) from None
    preview = RosterPreview(parsed)
    existing = _existing(session, [r.external_id for r in parsed.rows])
    for row in parsed.rows:
        pupil = existing.get(row.external_id)
        if pupil is None:
            preview.new.append(row)
        elif changes := _differences(pupil, row):
            preview.changed.append((row, changes))
            preview.consent_changes += [
                ConsentChange(row, f, getattr(pupil, f), getattr(row, f))
                for f in CONSENT_FIELDS
                if getattr(pupil, f) != getattr(row, f)
            ]
        else:
            preview.unchanged += 1
    # Refusals first: they are what office staff most need to see before confirming.
    preview.consent_changes.sort(key=lambda c: not c.refusal)
    return preview


def apply_import(session: Session, actor: User | None, data: bytes, expected: str | None = None) -> RosterPreview:
    """Import the file in the caller's transaction: every row or none.

    ``expected`` is the fingerprint of the preview office staff saw, if any.

    Raises:
        RosterImportError: any row is bad, or the roster changed since the preview; nothing is written.
    """
    preview = preview_import(session, data)
    if not preview.ok:
        raise RosterImportError("The file has problems, so nothing was imported. Fix the rows listed and try again.")
    if expected is not None and expected != preview.fingerprint:
        raise RosterImportError(
            "The roster changed after you checked this file (someone edited a pupil), so nothing was imported. "
            "Choose the file again to see what it would change now."
        )
    existing = _existing(session, [r.external_id for r in preview.parsed.rows])
    for row in preview.parsed.rows:
        pupil = existing.get(row.external_id)
        if pupil is None:
            pupil = Pupil(external_id=row.external_id)
            _copy(pupil, row, DETAIL_FIELDS)
            session.add(pupil)
            session.flush()  # the audit rows below need the new pupil's id
            audit.record(session, actor, "pupil.added", pupil, source="import")
        else:
            _copy(pupil, row, DETAIL_FIELDS)
        _set_consent(session, actor, pupil, row.photo_consent, row.first_name_consent, "import")
    audit.record(
        session, actor, "roster.imported", None,
        new=len(preview.new), changed=len(preview.changed), unchanged=preview.unchanged,
    )
    return preview


def update_consent(
    session: Session, actor: User, pupil_id: int, photo: bool | None, first_name: bool | None
) -> Pupil:
    """Change one pupil's consent by hand, auditing each changed value.

    Raises:
        NotFoundError: no such pupil.
    """
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotFoundError("That pupil is not on the roster.")
    _set_consent(session, actor, pupil, photo, first_name, "by hand")
    return pupil


def list_pupils(session: Session, class_name: str | None = None) -> list[Pupil]:
    query = select(Pupil).order_by(Pupil.class_name, Pupil.last_name, Pupil.first_name)
    if class_name:
        query = query.where(Pupil.class_name == class_name)
    return list(session.scalars(query))


def class_names(session: Session) -> list[str]:
    return [c for c in session.scalars(select(Pupil.class_name).distinct().order_by(Pupil.class_name)) if c]


def _set_consent(
    session: Session, actor: User | None, pupil: Pupil, photo: bool | None, first_name: bool | None, source: str
) -> None:
    for name, new in zip(CONSENT_FIELDS, (photo, first_name), strict=True):
        old = getattr(pupil, name)
        if old != new:
            setattr(pupil, name, new)
            audit.record(session, actor, "consent.changed", pupil, field=name, old=old, new=new, source=source)


def _existing(session: Session, ids: list[str]) -> dict[str, Pupil]:
    found: dict[str, Pupil] = {}
    # Chunked: SQLite allows a limited number of bound parameters per statement.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update({p.external_id: p for p in session.scalars(select(Pupil).where(Pupil.external_id.in_(chunk)))})
    return found


def _differences(pupil: Pupil, row: RosterRow) -> list[str]:
    return [LABELS[n] for n in (*DETAIL_FIELDS, *CONSENT_FIELDS) if getattr(pupil, n) != getattr(row, n)]


def _copy(pupil: Pupil, row: RosterRow, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(pupil, name, getattr(row, name))
