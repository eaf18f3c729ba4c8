"""The school's rules as data: read them, and let a senior leader change them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import WEEKDAYS, SchoolSettings, User
from ..audit import events as audit
from ..errors import ValidationError
from .hashtags import HASHTAG, hashtag_error

HANDLE = re.compile(r"^@?[A-Za-z0-9_]{1,15}$")


@dataclass(frozen=True)
class SchoolInput:
    name: str
    timezone: str
    # weekday key → (start, end); both None means no posting that day.
    hours: dict[str, tuple[time | None, time | None]]
    required_hashtags: str
    first_names_allowed: bool
    allowed_handles: str
    banned_words: str
    allow_blurred_without_consent: bool
    retention_hours: int
    require_two_factor: bool = False
    guard_staff_surnames: bool = False
    x_monthly_budget_cents: int | None = None  # None: no limit on what posting to X may spend


MAX_X_BUDGET_CENTS = 1_000_000  # $10,000 a month: beyond any school's need, so a slip of the keyboard shows


def get_school(session: Session) -> SchoolSettings:
    """The school's settings, created with defaults the first time they are read."""
    school = session.scalars(select(SchoolSettings).order_by(SchoolSettings.id)).first()
    if school is None:
        school = SchoolSettings()
        session.add(school)
        session.flush()
    return school


def update_school(session: Session, actor: User, data: SchoolInput) -> SchoolSettings:
    """Check and store new settings.

    Raises:
        ValidationError: a field is wrong; nothing is changed.
    """
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Give the school's name."
    if not valid_timezone(data.timezone):
        errors["timezone"] = "Choose a time zone from the list, such as Europe/London."
    for day, (start, end) in data.hours.items():
        if (start is None) != (end is None):
            errors[f"{day}_end"] = "Give both times, or leave both empty for no posting that day."
        elif start and end and end <= start:
            errors[f"{day}_end"] = "Posting must end after it starts."
    tags = _words(data.required_hashtags)
    if bad := [t for t in tags if not HASHTAG.match(t if t.startswith("#") else "#" + t)]:
        errors["required_hashtags"] = f"\u201c{bad[0][:30]}\u201d is not a hashtag: use letters and digits only."
    elif named := _named_hashtags(session, tags):
        errors["required_hashtags"] = named
    handles = _words(data.allowed_handles)
    if bad := [h for h in handles if not HANDLE.match(h)]:
        errors["allowed_handles"] = f"\u201c{bad[0][:30]}\u201d is not an X handle (up to 15 letters, digits or _)."
    if data.x_monthly_budget_cents is not None and not 0 <= data.x_monthly_budget_cents <= MAX_X_BUDGET_CENTS:
        errors["x_monthly_budget"] = "Give an amount between $0 and $10,000, or leave it empty for no limit."
    if not 1 <= data.retention_hours <= 24 * 14:
        errors["retention_hours"] = "Choose between 1 hour and 14 days (336 hours)."
    if errors:
        raise ValidationError(errors)
    school = get_school(session)
    before = _audited(school)
    school.name, school.timezone = data.name.strip(), data.timezone
    school.posting_hours = {day: _span(*data.hours.get(day, (None, None))) for day in WEEKDAYS}
    school.required_hashtags = " ".join(t if t.startswith("#") else "#" + t for t in tags)
    school.allowed_handles = " ".join(h if h.startswith("@") else "@" + h for h in handles)
    school.banned_words = " ".join(w.lower() for w in _words(data.banned_words))
    school.first_names_allowed = data.first_names_allowed
    school.allow_blurred_without_consent = data.allow_blurred_without_consent
    school.retention_hours = data.retention_hours
    school.guard_staff_surnames = data.guard_staff_surnames
    school.x_monthly_budget_cents = data.x_monthly_budget_cents
    if school.require_two_factor != data.require_two_factor:
        school.require_two_factor = data.require_two_factor
        audit.record(session, actor, "auth.2fa_required" if data.require_two_factor else "auth.2fa_optional", school)
    after = _audited(school)
    if changes := {f: [before[f], after[f]] for f in AUDITED if before[f] != after[f]}:
        audit.record(session, actor, "school.updated", school, fields=sorted(changes), changes=changes)
    return school


# The settings a change is recorded for, with their old and new values (rules, never personal data).
AUDITED = (
    "name", "timezone", "posting_hours", "required_hashtags", "allowed_handles", "banned_words",
    "first_names_allowed", "allow_blurred_without_consent", "retention_hours", "guard_staff_surnames",
    "x_monthly_budget_cents",
)


def _audited(school: SchoolSettings) -> dict[str, object]:
    return {f: getattr(school, f) for f in AUDITED}


def _span(start: time | None, end: time | None) -> list[str] | None:
    return [start.strftime("%H:%M"), end.strftime("%H:%M")] if start and end else None


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def timezone_choices() -> list[str]:
    return sorted(z for z in available_timezones() if z.startswith(("Europe/", "UTC")))


def _words(text: str) -> list[str]:
    return SchoolSettings.split_words(text)


def school_today(session: Session, now: datetime | None = None) -> date:
    """Today's date where the school is, not where the server is.

    ``now`` is the runtime's clock (aware): tests move it to move "today". None reads the real clock.
    """
    zone = ZoneInfo(get_school(session).timezone)
    return (datetime.now(zone) if now is None else now.astimezone(zone)).date()


def _named_hashtags(session: Session, tags: list[str]) -> str | None:
    """The name guard over the school's hashtags (they go out on every post)."""
    return hashtag_error(session, get_school(session), [t if t.startswith("#") else "#" + t for t in tags], "school")
