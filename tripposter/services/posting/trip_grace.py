"""Photos taken on a trip but sent after it ended: never refused for the calendar alone.

A phone with no signal on the coach home sends its queue the next morning. Such a photo is still
accepted for ``grace_days`` after the trip's last day (``TRIPPOSTER_TRIP_GRACE_DAYS``, default 2) if
the phone says when it was taken, and that moment falls within the trip's dates in the school's time
zone and is not in the future. A post of such photos goes out in the school's own posting hours, as
an "after we've left" post does (the trip's own hours apply on trip days only).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...models import Photo, Trip, TripLog, User
from ..errors import NotFoundError, ServiceError
from ..school.settings import get_school, school_today

DEFAULT_GRACE_DAYS = 2
# A phone's clock may run a little ahead of the server's; more than this is a wrong clock.
CLOCK_SKEW = timedelta(minutes=10)
_DAYS = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_MONTHS = tuple("January February March April May June July August September October November December".split())


class TripOverError(ServiceError):
    """The trip and its grace period are over: nothing more can be sent to it."""

    code = "trip_over"


class TakenOutsideTripError(ServiceError):
    """After the trip, a photo that does not say it was taken during the trip."""

    code = "taken_outside_trip"


class DuplicatePhotoError(ServiceError):
    """The same photo (the same bytes) twice in one post."""

    code = "duplicate_photo"


def day_text(day: date) -> str:
    """A date as a teacher reads it: "Friday 27 November"."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def photos_until(trip: Trip, grace_days: int) -> date:
    """The last day photos taken on ``trip`` are accepted."""
    return trip.end_date + timedelta(days=grace_days)


def has_ended(trip: Trip, today: date) -> bool:
    return today > trip.end_date


def trip_for_post(session: Session, user: User, trip_id: int, *, now: datetime, grace_days: int) -> Trip:
    """A trip ``user`` may post from: running today, or ended no more than ``grace_days`` ago.

    Raises:
        NotFoundError: not their trip, or no such trip.
        TripOverError: the grace period after the trip is over.
        ServiceError: the trip has not started, or its deletion log is signed off.
    """
    trip = session.get(Trip, trip_id)
    if trip is None or not trip.is_led_by(user):
        raise NotFoundError("That trip does not exist or is not one of yours.")
    today = school_today(session, now)
    if today < trip.start_date:
        raise ServiceError(f"{trip.name} is not running today, so photos cannot be added to it.")
    if today > photos_until(trip, grace_days):
        raise TripOverError(
            f"{trip.name} ended on {day_text(trip.end_date)}. Photos taken on it could be sent until "
            f"{day_text(photos_until(trip, grace_days))}, so this was not accepted."
        )
    log = session.get(TripLog, trip.id)
    if log is not None and log.signed_at is not None:
        raise ServiceError(f"The deletion log of {trip.name} is signed off, so nothing more can be posted from it.")
    return trip


def trip_for_photo(
    session: Session, user: User, trip_id: int, *, now: datetime, taken_at: datetime | None, grace_days: int
) -> Trip:
    """The trip a new photo may join: running today, or in its grace period if taken during it.

    Raises:
        TakenOutsideTripError: after the trip, a photo not taken during it (or that does not say when).
        NotFoundError, TripOverError, ServiceError: see ``trip_for_post``.
    """
    trip = trip_for_post(session, user, trip_id, now=now, grace_days=grace_days)
    if has_ended(trip, school_today(session, now)):
        check_taken_during(trip, taken_at, now, get_school(session).timezone)
    return trip


def check_taken_during(trip: Trip, taken_at: datetime | None, now: datetime, tz: str) -> None:
    """The phone's claim that a photo was taken during ``trip``, checked against the trip and the clock.

    Raises:
        TakenOutsideTripError: no claim, a moment in the future, or a day outside the trip's dates.
    """
    after = f"{trip.name} has ended, and after a trip only photos taken during it can be added."
    if taken_at is None or taken_at.tzinfo is None:
        raise TakenOutsideTripError(f"{after} This phone did not say when the photo was taken.")
    if taken_at > now + CLOCK_SKEW:
        raise TakenOutsideTripError(
            "This photo says it was taken later than now, so the phone's clock may be wrong. "
            "Check the phone's date and time, then send it again."
        )
    day = taken_at.astimezone(ZoneInfo(tz)).date()
    if not trip.is_running_on(day):
        raise TakenOutsideTripError(
            f"{after} This photo was taken on {day_text(day)}; the trip ran from {day_text(trip.start_date)} "
            f"to {day_text(trip.end_date)}."
        )


def refuse_duplicates(photos: list[Photo]) -> None:
    """One post, each photo once: the same bytes uploaded twice (two keys) are refused.

    Raises:
        DuplicatePhotoError: two of ``photos`` were made from the same received bytes.
    """
    seen: dict[str, int] = {}
    for number, photo in enumerate(photos, start=1):
        if photo.received_sha256 in seen:
            raise DuplicatePhotoError(
                f"Photos {seen[photo.received_sha256]} and {number} are the same photo. "
                "Remove one of them, then post again."
            )
        seen[photo.received_sha256] = number
