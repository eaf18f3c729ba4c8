"""The consent roster: preview an import, apply it all-or-nothing, edit one pupil by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Pupil, User
from . import audit
from .errors import NotFoundError, ServiceError
from .roster_csv import ParsedRoster, RosterFormatError, RosterRow, decode, parse_roster

CONSENT_FIELDS = ("photo_consent", "first_name_consent")
DETAIL_FIELDS = ("first_name", "last_name", "class_name")


@dataclass
class RosterPreview:
    """What an import would do, shown before anything is written."""

    parsed: ParsedRoster
    new: list[RosterRow] = field(default_factory=list)
    changed: list[tuple[RosterRow, list[str]]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.parsed.errors and not self.parsed.missing_columns and bool(self.parsed.rows)

    @property
    def no_consent(self) -> int:
        return sum(1 for r in self.parsed.rows if r.photo_consent is not True)


class RosterImportError(ServiceError):
    """The file has bad rows: nothing was imported."""


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
        else:
            preview.unchanged += 1
    return preview


def apply_import(session: Session, actor: User | None, data: bytes) -> RosterPreview:
    """Import the file in the caller's transaction: every row or none.

    Raises:
        RosterImportError: any row is bad; nothing is written.
    """
    preview = preview_import(session, data)
    if not preview.ok:
        raise RosterImportError("The file has problems, so nothing was imported. Fix the rows listed and try again.")
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
    labels = {"first_name": "first name", "last_name": "last name", "class_name": "class"}
    labels |= {"photo_consent": "photo consent", "first_name_consent": "first-name consent"}
    return [label for name, label in labels.items() if getattr(pupil, name) != getattr(row, name)]


def _copy(pupil: Pupil, row: RosterRow, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(pupil, name, getattr(row, name))
