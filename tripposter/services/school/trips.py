"""Trips: pre-register, edit, and list the ones a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Pupil, Role, Trip, User
from ..audit import events as audit
from ..errors import NotFoundError, ValidationError
from .hashtags import HASHTAG, hashtag_error
from .settings import get_school

MAX_TRIP_DAYS = 31


@dataclass(frozen=True)
class TripInput:
    """A trip as the office typed it, before it is checked."""

    name: str
    destination: str
    start_date: date | None
    end_date: date | None
    lead_id: int | None
    staff_ids: tuple[int, ...] = ()
    pupil_ids: tuple[int, ...] = ()
    hashtags: str = ""
    posting_start: time | None = None
    posting_end: time | None = None
    # The destinations ticked ("main" and channel kinds), and those the form offered. None: the form
    # did not ask, so a new trip posts everywhere and an existing one keeps its choice.
    networks: tuple[str, ...] | None = None
    offered_networks: tuple[str, ...] = ()


def visible_trips(session: Session, user: User) -> list[Trip]:
    """All trips for office staff and senior leaders; a trip lead sees only the trips they staff."""
    query = select(Trip).order_by(Trip.start_date.desc(), Trip.name)
    trips = list(session.scalars(query))
    if user.has_role(Role.OFFICE):
        return trips
    return [t for t in trips if t.is_led_by(user)]


def get_trip(session: Session, user: User, trip_id: int) -> Trip:
    """One trip, if ``user`` may see it.

    Raises:
        NotFoundError: no such trip, or a trip lead asked for someone else's trip.
    """
    trip = session.get(Trip, trip_id)
    if trip is None or not (user.has_role(Role.OFFICE) or trip.is_led_by(user)):
        raise NotFoundError("That trip does not exist or is not one of yours.")
    return trip


def save_trip(session: Session, actor: User, data: TripInput, trip: Trip | None = None) -> Trip:
    """Create a trip, or update ``trip``, after checking every field.

    Raises:
        ValidationError: one or more fields are wrong; nothing is changed.
    """
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Give the trip a name, for example \u201cYear 6 residential\u201d."
    if not data.destination.strip():
        errors["destination"] = "Say where the trip goes."
    _check_dates(data, errors)
    lead = _check_lead(session, data.lead_id, errors)
    staff = _users(session, data.staff_ids, errors)
    pupils = _pupils(session, data.pupil_ids, errors)
    tags = _check_hashtags(data.hashtags, errors)
    if "hashtags" not in errors and (named := _named_hashtags(session, tags)):
        errors["hashtags"] = named
    _check_hours(data, errors)
    networks = _check_networks(data, trip, errors)
    if errors:
        raise ValidationError(errors)
    created = trip is None
    before = _snapshot(trip) if trip is not None else None
    trip = trip or Trip()
    trip.name, trip.destination = data.name.strip(), data.destination.strip()
    trip.start_date, trip.end_date = data.start_date, data.end_date  # type: ignore[assignment]
    trip.lead = lead  # type: ignore[assignment]
    trip.staff = [u for u in staff if lead is None or u.id != lead.id]
    trip.pupils = pupils
    trip.hashtags = " ".join(tags)
    trip.posting_start, trip.posting_end = data.posting_start, data.posting_end
    trip.networks = networks
    session.add(trip)
    session.flush()
    _audit_changes(session, actor, trip, before)
    return trip


NO_NETWORK = (
    "Tick at least one place to post to: a trip's posts must go somewhere. If none of these should "
    "get them, ask a senior leader about the school's networks."
)


def _check_networks(data: TripInput, trip: Trip | None, errors: dict[str, str]) -> list[str] | None:
    """What to store: None for every network (the default, and when all offered are ticked), else the ticked ones."""
    if data.networks is None:
        return trip.networks if trip is not None else None
    chosen = set(data.networks)
    if not chosen:
        errors["networks"] = NO_NETWORK
        return None
    if not chosen <= set(data.offered_networks):
        errors["networks"] = "One of the ticked networks is no longer connected. Reload the page and choose again."
        return None
    # Every one ticked means every one, including a network connected later: what the form's hint says.
    return None if chosen == set(data.offered_networks) else sorted(chosen)


# What the audit log compares: plain fields, then who goes and who may post. Ids only, never names.
AUDITED_FIELDS = ("name", "destination", "start_date", "end_date", "lead_id", "hashtags", "posting_start", "posting_end")


@dataclass(frozen=True)
class _Snapshot:
    fields: dict[str, object]
    pupil_ids: frozenset[int]
    staff_ids: frozenset[int]
    networks: tuple[str, ...] | None


def _snapshot(trip: Trip) -> _Snapshot:
    return _Snapshot(
        {f: getattr(trip, f) for f in AUDITED_FIELDS},
        frozenset(p.id for p in trip.pupils),
        frozenset(u.id for u in trip.staff),
        tuple(trip.networks) if trip.networks is not None else None,
    )


def _audit_changes(session: Session, actor: User, trip: Trip, before: _Snapshot | None) -> None:
    """One event for the trip's own fields, and one each when its pupils or staff change."""
    after = _snapshot(trip)
    if before is None:
        audit.record(session, actor, "trip.created", trip, pupils=len(after.pupil_ids), staff=len(after.staff_ids),
                     lead_id=trip.lead_id, networks=_networks_word(after.networks))
        return
    if before.networks != after.networks:
        audit.record(session, actor, "trip.networks_changed", trip, before=_networks_word(before.networks),
                     after=_networks_word(after.networks))
    if changed := [f for f in AUDITED_FIELDS if before.fields[f] != after.fields[f]]:
        audit.record(session, actor, "trip.updated", trip, fields=changed)
    for action, old, new in (
        ("trip.pupils_changed", before.pupil_ids, after.pupil_ids),
        ("trip.staff_changed", before.staff_ids, after.staff_ids),
    ):
        if old != new:
            audit.record(session, actor, action, trip, added=sorted(new - old), removed=sorted(old - new), total=len(new))


def _networks_word(networks: tuple[str, ...] | list[str] | None) -> str | list[str]:
    return "all" if networks is None else list(networks)


def _check_dates(data: TripInput, errors: dict[str, str]) -> None:
    if data.start_date is None:
        errors["start_date"] = "Give the first day of the trip."
    if data.end_date is None:
        errors["end_date"] = "Give the last day of the trip (the same day for a day trip)."
    if data.start_date and data.end_date:
        if data.end_date < data.start_date:
            errors["end_date"] = "The last day is before the first day. Check the dates."
        elif (data.end_date - data.start_date).days >= MAX_TRIP_DAYS:
            errors["end_date"] = f"A trip can last at most {MAX_TRIP_DAYS} days. Check the dates."


def _check_lead(session: Session, lead_id: int | None, errors: dict[str, str]) -> User | None:
    lead = session.get(User, lead_id) if lead_id else None
    if lead is None:
        errors["lead_id"] = "Choose the teacher who leads the trip."
    elif not lead.is_active or lead.role not in (Role.TRIP_LEAD, Role.ADMIN):
        errors["lead_id"] = f"{lead.display_name} is not a trip lead. Choose a trip-lead or senior-leader account."
    return lead


def _users(session: Session, ids: tuple[int, ...], errors: dict[str, str]) -> list[User]:
    users = list(session.scalars(select(User).where(User.id.in_(set(ids))))) if ids else []
    bad = [u for u in users if not u.is_active or u.role not in (Role.TRIP_LEAD, Role.ADMIN)]
    if len(users) != len(set(ids)):
        errors["staff_ids"] = "One of the chosen staff no longer exists. Reload the page and choose again."
    elif bad:
        errors["staff_ids"] = f"{bad[0].display_name} cannot post from a trip: choose trip-lead accounts only."
    return users


def _pupils(session: Session, ids: tuple[int, ...], errors: dict[str, str]) -> list[Pupil]:
    wanted = set(ids)
    pupils: list[Pupil] = []
    chunked = sorted(wanted)
    for start in range(0, len(chunked), 500):
        pupils += session.scalars(select(Pupil).where(Pupil.id.in_(chunked[start : start + 500])))
    if len(pupils) != len(wanted):
        errors["pupil_ids"] = "A chosen pupil is not on the roster. Reload the page and choose again."
    return pupils


def _check_hashtags(text: str, errors: dict[str, str]) -> list[str]:
    tags: list[str] = []
    for word in text.replace(",", " ").split():
        tag = word if word.startswith("#") else "#" + word
        if not HASHTAG.match(tag):
            errors["hashtags"] = f"\u201c{word[:30]}\u201d is not a hashtag: use letters and digits only, like #Year6Trip."
            break
        if tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags


def _named_hashtags(session: Session, tags: list[str]) -> str | None:
    """The name guard over the trip's hashtags (they go out on every post of the trip)."""
    return hashtag_error(session, get_school(session), tags, "trip")


def _check_hours(data: TripInput, errors: dict[str, str]) -> None:
    if (data.posting_start is None) != (data.posting_end is None):
        errors["posting_end"] = "Give both a start and an end time, or leave both empty to use the school's hours."
    elif data.posting_start and data.posting_end and data.posting_end <= data.posting_start:
        errors["posting_end"] = "Posting must end after it starts."


def require_trip(session: Session, trip_id: int) -> Trip:
    """A trip by id for office pages.

    Raises:
        NotFoundError: no such trip.
    """
    trip = session.get(Trip, trip_id)
    if trip is None:
        raise NotFoundError("That trip does not exist.")
    return trip


def eligible_leads(session: Session) -> list[User]:
    query = select(User).where(User.role.in_([Role.TRIP_LEAD, Role.ADMIN]), User.is_active.is_(True))
    return list(session.scalars(query.order_by(User.display_name)))
