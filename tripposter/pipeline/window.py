"""The posting window: when a post may go out, and when a post made outside it will go out.

Hours are local wall-clock times in the school's time zone; instants are aware UTC datetimes.
A window runs from the first instant whose local time reaches ``start`` to the first instant
whose local time reaches ``end`` (start inclusive, end exclusive). That one rule settles the
daylight-saving edges: a start inside the spring-forward gap opens when the clocks jump
(01:30 on 29 March 2026 opens at 02:00 BST), and a time that happens twice in the autumn
means its first occurrence (01:30 on 25 October 2026 is 01:30 BST, not GMT).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import PipelineError

DEFAULT_TIMEZONE = "Europe/London"
SEARCH_DAYS = 14
# Spelled out rather than strftime's %A/%B, which follow the process locale.
_DAYS = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_MONTHS = tuple(
    "January February March April May June July August September October November December".split()
)

# Weekday (0 = Monday) to (start, end) local times, or None where the school never posts.
WeeklyHours = Mapping[int, tuple[time, time] | None]


class NoPostingHoursError(PipelineError):
    """No posting window opens within the search horizon, so nothing can be scheduled."""

    code = "no_posting_hours"


@dataclass(frozen=True)
class TripWindow:
    """A trip's dates and, if it has them, its own posting hours for those dates."""

    start_date: date
    end_date: date
    start: time | None = None
    end: time | None = None

    def runs_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class WindowDecision:
    """When the post goes out (aware UTC), why, and a sentence for the teacher."""

    post_at: datetime
    reason: str  # "now", "urgent", "window" (moved to the next opening) or "later" (as asked)
    message: str


def hours_on(day: date, hours: WeeklyHours, trip: TripWindow | None = None) -> tuple[time, time] | None:
    """The local posting hours on ``day``: the trip's own on its dates, else the school's."""
    if trip is not None and trip.runs_on(day) and trip.start is not None and trip.end is not None:
        span: tuple[time, time] | None = (trip.start, trip.end)
    else:
        span = hours.get(day.weekday())
    # A window that ends before it starts is treated as closed, not as running past midnight.
    if span is None or span[1] <= span[0]:
        return None
    return span


def window_on(
    day: date, hours: WeeklyHours, tz: str = DEFAULT_TIMEZONE, trip: TripWindow | None = None
) -> tuple[datetime, datetime] | None:
    """The UTC instants a day's window opens (inclusive) and closes (exclusive), or None."""
    span = hours_on(day, hours, trip)
    if span is None:
        return None
    zone = ZoneInfo(tz)
    opens, closes = _local_instant(day, span[0], zone), _local_instant(day, span[1], zone)
    return (opens, closes) if opens < closes else None


def is_open(
    now_utc: datetime, hours: WeeklyHours, tz: str = DEFAULT_TIMEZONE, trip: TripWindow | None = None
) -> bool:
    """Whether a post may go out at ``now_utc``.

    Raises:
        ValueError: ``now_utc`` is naive.
    """
    now = _as_utc(now_utc)
    today = now.astimezone(ZoneInfo(tz)).date()
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        span = window_on(day, hours, tz, trip)
        if span is not None and span[0] <= now < span[1]:
            return True
    return False


def next_opening(
    now_utc: datetime, hours: WeeklyHours, tz: str = DEFAULT_TIMEZONE, trip: TripWindow | None = None
) -> datetime:
    """The first instant at or after ``now_utc`` inside a window (``now_utc`` itself if open).

    Raises:
        NoPostingHoursError: no window opens within SEARCH_DAYS days.
        ValueError: ``now_utc`` is naive.
    """
    now = _as_utc(now_utc)
    # Start a day early: near midnight the UTC date and the local date differ.
    first = now.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
    for offset in range(SEARCH_DAYS + 2):
        span = window_on(first + timedelta(days=offset), hours, tz, trip)
        if span is not None and span[1] > now:
            return max(span[0], now)
    raise NoPostingHoursError(
        f"There are no posting hours in the next {SEARCH_DAYS} days, so this post cannot be scheduled. "
        "Ask a senior leader to set the school's posting hours."
    )


def end_of_trip(trip: TripWindow, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """The end of the trip's last day (local midnight), as an aware UTC datetime."""
    return _local_instant(trip.end_date + timedelta(days=1), time(0), ZoneInfo(tz))


def decide(
    now_utc: datetime,
    hours: WeeklyHours,
    tz: str = DEFAULT_TIMEZONE,
    trip: TripWindow | None = None,
    *,
    urgent: bool = False,
    not_before: datetime | None = None,
) -> WindowDecision:
    """When to post: now if urgent, else the first open instant at or after ``not_before`` (or now).

    Raises:
        NoPostingHoursError: no window opens within SEARCH_DAYS days of the earliest time.
        ValueError: a datetime is naive.
    """
    now = _as_utc(now_utc)
    if urgent:
        return WindowDecision(
            now, "urgent", "Posting now, outside the usual hours because you marked it urgent."
        )
    earliest = max(now, _as_utc(not_before)) if not_before is not None else now
    post_at = next_opening(earliest, hours, tz, trip)
    if post_at == now:
        return WindowDecision(now, "now", "Posting now.")
    when = describe(post_at, tz, now)
    if post_at == earliest:
        return WindowDecision(post_at, "later", f"It will go out at {when}.")
    return WindowDecision(post_at, "window", f"Outside posting hours. It will go out at {when}.")


def describe(instant: datetime, tz: str = DEFAULT_TIMEZONE, now_utc: datetime | None = None) -> str:
    """A UTC instant as the teacher reads it: "08:00 on Monday 23 November" in local time."""
    local = _as_utc(instant).astimezone(ZoneInfo(tz))
    text = f"{local:%H:%M} on {_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    if now_utc is not None and local.year != _as_utc(now_utc).astimezone(ZoneInfo(tz)).year:
        text += f" {local.year}"
    return text


def _as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; naive ones are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Times must be timezone-aware.")
    return moment.astimezone(UTC)


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) on ``day`` whose local wall-clock time is ``at`` or later."""
    wall = datetime.combine(day, at)
    # fold=0 picks the first of two repeated times (autumn); a gap time (spring) fails the round trip.
    earlier = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == wall:
        return earlier
    # Inside the gap: find the instant the clocks jump, to the second, between both readings.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(earlier.timestamp())
    low, high = min(low, high), max(low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
