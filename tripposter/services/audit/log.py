"""Read the audit log: filter it, page through it newest first, and export it as CSV or JSON Lines.

Paging is by keyset (the last event shown), so a page deep in a long log costs the same as the
first and an event written meanwhile never shifts the next page. Exports walk the same query in
batches, so a year of events streams without being held in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from ...models import AuditEvent, Trip, User
from ..errors import ValidationError
from ..spreadsheet import safe_cell
from . import events as audit
from .catalogue import CATEGORIES, describe, detail_text

PAGE_SIZE = 50
EXPORT_BATCH = 500
SYSTEM = "system"  # the actor filter's value for events the worker or the sweeper wrote
CSV_COLUMNS = (
    "Event", "When (UTC)", "When (school time)", "Who", "Who (email)", "Action", "What happened",
    "Subject", "Trip", "Details",
)


@dataclass(frozen=True)
class AuditFilter:
    """What the senior leader asked to see. Empty values mean "any"."""

    since: date | None = None
    until: date | None = None
    category: str = ""
    action: str = ""  # a prefix of the action name, such as "post." or "photo.destroyed"
    actor: str = ""  # a user id, or SYSTEM
    trip_id: int | None = None

    def check(self) -> None:
        """Raises: ValidationError: a value is not one the page offers."""
        errors: dict[str, str] = {}
        if self.category and self.category not in CATEGORIES:
            errors["category"] = "Choose a kind of event from the list."
        if self.actor and self.actor != SYSTEM and not self.actor.isdigit():
            errors["actor"] = "Choose a person from the list."
        if self.since and self.until and self.until < self.since:
            errors["until"] = "The last day is before the first day. Check the dates."
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class AuditRow:
    """One event as the page and the exports show it."""

    id: int
    at: datetime
    local: datetime
    actor: str
    actor_email: str
    action: str
    description: str
    subject: str
    trip_id: int | None
    detail: dict[str, Any]

    @property
    def details(self) -> str:
        return detail_text(self.detail)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # pass as ``before`` for the next, older page; None on the last page


def query_page(session: Session, filters: AuditFilter, tz: str, *, before: int | None = None, limit: int = PAGE_SIZE) -> AuditPage:
    """Up to ``limit`` events matching ``filters``, newest first, older than event ``before``.

    Raises:
        ValidationError: see ``AuditFilter.check``.
    """
    filters.check()
    found = list(session.execute(_after(session, _query(filters, tz), before).limit(limit + 1)))
    rows = [_row(event, name, email, tz) for event, name, email in found[:limit]]
    return AuditPage(rows, rows[-1].id if len(found) > limit else None)


def choices(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The people and the trips the page's filters offer, as (value, label) pairs."""
    users = session.scalars(select(User).order_by(User.display_name))
    actors = [(SYSTEM, "The system (worker, sweeper)")] + [(str(u.id), f"{u.display_name} ({u.email})") for u in users]
    trips = session.scalars(select(Trip).order_by(Trip.start_date.desc(), Trip.name))
    return actors, [(str(t.id), f"{t.name}, {t.start_date:%d/%m/%Y}") for t in trips]


def iter_rows(session: Session, filters: AuditFilter, tz: str) -> Iterator[AuditRow]:
    """Every matching event, newest first, read in batches (for the exports)."""
    before: int | None = None
    while True:
        page = query_page(session, filters, tz, before=before, limit=EXPORT_BATCH)
        yield from page.rows
        if page.next_before is None:
            return
        before = page.next_before


def csv_lines(rows: Iterator[AuditRow]) -> Iterator[str]:
    """The header, then one CSV line per event; no cell can run as a spreadsheet formula."""
    yield _csv_line(CSV_COLUMNS)
    for row in rows:
        yield _csv_line((
            str(row.id), row.at.isoformat(), row.local.strftime("%Y-%m-%d %H:%M:%S"), row.actor, row.actor_email,
            row.action, row.description, row.subject, "" if row.trip_id is None else str(row.trip_id),
            json.dumps(row.detail, sort_keys=True, ensure_ascii=False, default=str),
        ))


def jsonl_lines(rows: Iterator[AuditRow]) -> Iterator[str]:
    """One JSON object per line per event."""
    for row in rows:
        record = {
            "id": row.id, "at": row.at.isoformat(), "actor": row.actor, "actor_email": row.actor_email,
            "action": row.action, "description": row.description, "subject": row.subject,
            "trip_id": row.trip_id, "detail": row.detail,
        }
        yield json.dumps(record, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def _csv_line(cells: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def _query(filters: AuditFilter, tz: str) -> Select[tuple[AuditEvent, str | None, str | None]]:
    query = select(AuditEvent, User.display_name, User.email).outerjoin(User, AuditEvent.actor_id == User.id)
    zone = ZoneInfo(tz)
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), zone))
    if filters.until:
        query = query.where(AuditEvent.at < datetime.combine(filters.until + timedelta(days=1), time(), zone))
    if filters.category:
        prefixes = CATEGORIES[filters.category].prefixes
        query = query.where(or_(*(AuditEvent.action.startswith(p, autoescape=True) for p in prefixes)))
    if filters.action.strip():
        query = query.where(AuditEvent.action.startswith(filters.action.strip(), autoescape=True))
    if filters.actor == SYSTEM:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif filters.actor:
        query = query.where(AuditEvent.actor_id == int(filters.actor))
    if filters.trip_id is not None:
        query = query.where(AuditEvent.trip_id == filters.trip_id)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _after(session: Session, query: Select[Any], before: int | None) -> Select[Any]:
    """Only events older than event ``before`` (ties on the time broken by id)."""
    if before is None:
        return query
    anchor = session.get(AuditEvent, before)
    if anchor is None:
        return query.where(AuditEvent.id < before)
    return query.where(or_(AuditEvent.at < anchor.at, and_(AuditEvent.at == anchor.at, AuditEvent.id < anchor.id)))


def _row(event: AuditEvent, name: str | None, email: str | None, tz: str) -> AuditRow:
    trip_id = event.trip_id
    detail = dict(event.detail or {})
    return AuditRow(
        id=event.id,
        at=event.at,
        local=event.at.astimezone(ZoneInfo(tz)),
        actor=name or _nobody(event),
        actor_email=email or "",
        action=event.action,
        description=describe(event.action, detail),
        subject=f"{event.subject_type} {event.subject_id}".strip(),
        trip_id=trip_id if isinstance(trip_id, int) else None,
        detail=detail,
    )


def _nobody(event: AuditEvent) -> str:
    if event.actor_id is not None:
        return f"User {event.actor_id}"
    # No one was signed in: a sign-in attempt came from outside, anything else from the worker.
    return "Not signed in" if event.action.startswith("auth.") else "System"


def record_export(session: Session, actor: User, filters: AuditFilter, fmt: str) -> None:
    """Who took a copy of the log, and of which part: an export is personal data leaving the app."""
    asked = {k: str(v) for k, v in vars(filters).items() if v not in (None, "")}
    audit.record(session, actor, "audit.exported", None, format=fmt, filters=asked)
