"""The posting window: school hours, trip hours, boundaries, daylight saving, scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tripposter.pipeline.errors import PipelineError
from tripposter.pipeline.window import (
    NoPostingHoursError,
    TripWindow,
    decide,
    describe,
    end_of_trip,
    hours_on,
    is_open,
    next_opening,
    window_on,
)

SCHOOL = {d: (time(8), time(18)) for d in range(5)} | {5: None, 6: None}
NO_HOURS: dict[int, tuple[time, time] | None] = {d: None for d in range(7)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Winter: London is on GMT, so local time equals UTC. 20 November 2026 is a Friday.
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 20, 7, 59), False),
        (utc(2026, 11, 20, 8, 0), True),  # start is inclusive
        (utc(2026, 11, 20, 12, 0), True),
        (utc(2026, 11, 20, 17, 59, 59), True),
        (utc(2026, 11, 20, 18, 0), False),  # end is exclusive
        (utc(2026, 11, 21, 12, 0), False),  # Saturday
        (utc(2026, 11, 22, 12, 0), False),  # Sunday
    ],
)
def test_school_hours_on_weekdays_and_weekends(now: datetime, expected: bool) -> None:
    assert is_open(now, SCHOOL) is expected


def test_inside_a_window_the_next_opening_is_now() -> None:
    now = utc(2026, 11, 20, 12, 34, 56)
    assert next_opening(now, SCHOOL) == now


def test_before_a_window_waits_for_it_to_open() -> None:
    assert next_opening(utc(2026, 11, 20, 6, 15), SCHOOL) == utc(2026, 11, 20, 8, 0)


def test_after_friday_window_waits_for_monday() -> None:
    assert next_opening(utc(2026, 11, 20, 18, 0), SCHOOL) == utc(2026, 11, 23, 8, 0)


def test_summer_hours_are_local_time() -> None:
    # 10 June 2026 is a Wednesday; London is on BST (UTC+1), so 08:00 local is 07:00 UTC.
    assert window_on(date(2026, 6, 10), SCHOOL) == (utc(2026, 6, 10, 7, 0), utc(2026, 6, 10, 17, 0))
    assert not is_open(utc(2026, 6, 10, 17, 0), SCHOOL)
    assert is_open(utc(2026, 6, 10, 7, 0), SCHOOL)


def test_other_time_zone() -> None:
    # 08:00 in New York in November is 13:00 UTC.
    assert next_opening(utc(2026, 11, 20, 12, 0), SCHOOL, "America/New_York") == utc(2026, 11, 20, 13, 0)


def test_local_date_not_utc_date_picks_the_day() -> None:
    # 23:30 UTC on Sunday 14 June is 00:30 BST on Monday 15 June: Monday's window is next, at 07:00 UTC.
    assert next_opening(utc(2026, 6, 14, 23, 30), SCHOOL) == utc(2026, 6, 15, 7, 0)


def test_trip_hours_replace_school_hours_on_trip_dates_including_weekends() -> None:
    trip = TripWindow(date(2026, 11, 20), date(2026, 11, 22), start=time(6, 30), end=time(21, 0))
    assert hours_on(date(2026, 11, 20), SCHOOL, trip) == (time(6, 30), time(21, 0))
    assert is_open(utc(2026, 11, 20, 20, 0), SCHOOL, trip=trip)  # after school hours, inside trip hours
    assert is_open(utc(2026, 11, 21, 6, 30), SCHOOL, trip=trip)  # Saturday on the trip
    assert not is_open(utc(2026, 11, 21, 6, 29), SCHOOL, trip=trip)
    assert not is_open(utc(2026, 11, 22, 21, 0), SCHOOL, trip=trip)
    # The day after the trip, school hours are back.
    assert not is_open(utc(2026, 11, 23, 7, 0), SCHOOL, trip=trip)
    assert next_opening(utc(2026, 11, 22, 21, 0), SCHOOL, trip=trip) == utc(2026, 11, 23, 8, 0)


def test_trip_hours_can_be_narrower_than_school_hours() -> None:
    trip = TripWindow(date(2026, 11, 19), date(2026, 11, 19), start=time(12), end=time(14))
    assert not is_open(utc(2026, 11, 19, 9, 0), SCHOOL, trip=trip)
    assert next_opening(utc(2026, 11, 19, 9, 0), SCHOOL, trip=trip) == utc(2026, 11, 19, 12, 0)


def test_trip_without_its_own_hours_uses_school_hours() -> None:
    trip = TripWindow(date(2026, 11, 20), date(2026, 11, 22))
    assert is_open(utc(2026, 11, 20, 9, 0), SCHOOL, trip=trip)
    assert not is_open(utc(2026, 11, 21, 9, 0), SCHOOL, trip=trip)  # Saturday: the school does not post


def test_spring_forward_week_maps_local_hours_to_the_right_utc_instants() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
    assert window_on(date(2026, 3, 27), SCHOOL) == (utc(2026, 3, 27, 8, 0), utc(2026, 3, 27, 18, 0))
    assert window_on(date(2026, 3, 30), SCHOOL) == (utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 17, 0))
    assert next_opening(utc(2026, 3, 27, 18, 0), SCHOOL) == utc(2026, 3, 30, 7, 0)


def test_fall_back_week_maps_local_hours_to_the_right_utc_instants() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026.
    assert window_on(date(2026, 10, 23), SCHOOL) == (utc(2026, 10, 23, 7, 0), utc(2026, 10, 23, 17, 0))
    assert window_on(date(2026, 10, 26), SCHOOL) == (utc(2026, 10, 26, 8, 0), utc(2026, 10, 26, 18, 0))
    assert next_opening(utc(2026, 10, 23, 17, 0), SCHOOL) == utc(2026, 10, 26, 8, 0)


def test_window_opening_in_the_spring_forward_gap_opens_when_the_clocks_jump() -> None:
    # 01:30 does not exist on 29 March 2026: the clocks jump from 01:00 GMT to 02:00 BST (01:00 UTC).
    sunday = {6: (time(1, 30), time(3, 0))}
    assert window_on(date(2026, 3, 29), sunday) == (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))
    assert not is_open(utc(2026, 3, 29, 0, 59, 59), sunday)
    assert is_open(utc(2026, 3, 29, 1, 0), sunday)


def test_window_entirely_inside_the_gap_never_opens() -> None:
    sunday = {6: (time(1, 0), time(2, 0))}
    assert window_on(date(2026, 3, 29), sunday) is None
    assert next_opening(utc(2026, 3, 29, 0, 0), sunday) == utc(2026, 4, 5, 0, 0)  # next Sunday, 01:00 BST


def test_window_opening_at_a_repeated_time_uses_its_first_occurrence() -> None:
    # 01:30 happens twice on 25 October 2026: first at 00:30 UTC (BST), again at 01:30 UTC (GMT).
    sunday = {6: (time(1, 30), time(3, 0))}
    assert window_on(date(2026, 10, 25), sunday) == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3, 0))


def test_decide_inside_the_window_posts_now() -> None:
    now = utc(2026, 11, 20, 10, 0)
    decision = decide(now, SCHOOL)
    assert (decision.post_at, decision.reason, decision.message) == (now, "now", "Posting now.")


def test_decide_outside_the_window_schedules_with_a_sentence() -> None:
    decision = decide(utc(2026, 11, 20, 19, 0), SCHOOL)
    assert decision.post_at == utc(2026, 11, 23, 8, 0)
    assert decision.reason == "window"
    assert decision.message == "Outside posting hours. It will go out at 08:00 on Monday 23 November."


def test_decide_sentence_uses_local_time_in_summer() -> None:
    decision = decide(utc(2026, 6, 12, 18, 0), SCHOOL)  # Friday evening, BST
    assert decision.post_at == utc(2026, 6, 15, 7, 0)
    assert decision.message.endswith("08:00 on Monday 15 June.")


def test_urgent_overrides_the_window() -> None:
    now = utc(2026, 11, 21, 23, 0)  # Saturday night
    decision = decide(now, SCHOOL, urgent=True)
    assert decision.post_at == now and decision.reason == "urgent"
    assert decide(now, NO_HOURS, urgent=True).post_at == now


def test_post_later_in_n_minutes_inside_the_window() -> None:
    now = utc(2026, 11, 20, 10, 0)
    decision = decide(now, SCHOOL, not_before=now + timedelta(minutes=45))
    assert decision.post_at == utc(2026, 11, 20, 10, 45)
    assert decision.reason == "later"
    assert decision.message == "It will go out at 10:45 on Friday 20 November."


def test_post_later_past_the_window_moves_to_the_next_opening() -> None:
    now = utc(2026, 11, 20, 17, 30)
    decision = decide(now, SCHOOL, not_before=now + timedelta(minutes=45))
    assert decision.post_at == utc(2026, 11, 23, 8, 0)
    assert decision.reason == "window"


def test_not_before_in_the_past_means_now() -> None:
    now = utc(2026, 11, 20, 10, 0)
    assert decide(now, SCHOOL, not_before=now - timedelta(hours=3)).post_at == now


def test_post_after_the_trip_goes_at_the_first_school_opening_after_it() -> None:
    # A residential trip from Wednesday 18 to Friday 20 November, posting 07:00-22:00.
    trip = TripWindow(date(2026, 11, 18), date(2026, 11, 20), start=time(7), end=time(22))
    assert end_of_trip(trip) == utc(2026, 11, 21, 0, 0)
    now = utc(2026, 11, 19, 12, 0)
    decision = decide(now, SCHOOL, trip=trip, not_before=end_of_trip(trip))
    assert decision.post_at == utc(2026, 11, 23, 8, 0)
    assert decision.message == "Outside posting hours. It will go out at 08:00 on Monday 23 November."


def test_end_of_trip_is_local_midnight() -> None:
    trip = TripWindow(date(2026, 6, 1), date(2026, 6, 3))
    assert end_of_trip(trip) == utc(2026, 6, 3, 23, 0)  # 00:00 BST on 4 June


def test_no_hours_at_all_raises_a_named_error() -> None:
    with pytest.raises(NoPostingHoursError) as caught:
        next_opening(utc(2026, 11, 20, 10, 0), NO_HOURS)
    assert isinstance(caught.value, PipelineError)
    assert caught.value.code == "no_posting_hours"
    assert "posting hours" in caught.value.user_message
    with pytest.raises(NoPostingHoursError):
        decide(utc(2026, 11, 20, 10, 0), NO_HOURS)
    assert not is_open(utc(2026, 11, 20, 10, 0), NO_HOURS)


def test_trip_hours_alone_are_used_when_the_school_has_none() -> None:
    trip = TripWindow(date(2026, 11, 25), date(2026, 11, 25), start=time(9), end=time(17))
    assert next_opening(utc(2026, 11, 20, 10, 0), NO_HOURS, trip=trip) == utc(2026, 11, 25, 9, 0)
    with pytest.raises(NoPostingHoursError):
        next_opening(utc(2026, 11, 26, 10, 0), NO_HOURS, trip=trip)


def test_search_gives_up_after_fourteen_days() -> None:
    trip_in_three_weeks = TripWindow(date(2026, 12, 11), date(2026, 12, 11), start=time(9), end=time(17))
    with pytest.raises(NoPostingHoursError):
        next_opening(utc(2026, 11, 20, 10, 0), NO_HOURS, trip=trip_in_three_weeks)


def test_window_ending_before_it_starts_is_closed() -> None:
    assert hours_on(date(2026, 11, 20), {4: (time(18), time(8))}) is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        next_opening(datetime(2026, 11, 20, 10, 0), SCHOOL)


def test_other_offsets_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    result = next_opening(datetime(2026, 11, 20, 20, 0, tzinfo=paris), SCHOOL)  # 19:00 UTC Friday
    assert result == utc(2026, 11, 23, 8, 0) and result.tzinfo is UTC


def test_describe_adds_the_year_only_when_it_differs() -> None:
    assert (
        describe(utc(2027, 1, 4, 8, 0), now_utc=utc(2026, 12, 31, 12, 0)) == "08:00 on Monday 4 January 2027"
    )
    assert (
        describe(utc(2026, 12, 31, 8, 0), now_utc=utc(2026, 12, 30, 12, 0)) == "08:00 on Thursday 31 December"
    )


def test_evening_west_of_utc_uses_the_local_date() -> None:
    # 02:00 UTC on Saturday 21 November is 21:00 on Friday 20 November in New York: still Friday's window.
    late = {4: (time(8), time(22))}
    now = utc(2026, 11, 21, 2, 0)
    assert is_open(now, late, "America/New_York")
    assert next_opening(now, late, "America/New_York") == now


times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
spans = st.one_of(st.none(), st.tuples(times, times))
weeks = st.lists(spans, min_size=7, max_size=7).map(lambda days: dict(enumerate(days)))
instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1)).map(lambda d: d.replace(tzinfo=UTC))
trips = st.one_of(
    st.none(),
    st.builds(
        lambda start, days, hours: TripWindow(start, start + timedelta(days=days), *(hours or (None, None))),
        st.dates(date(2026, 1, 1), date(2027, 1, 1)),
        st.integers(0, 6),
        spans,
    ),
)


@settings(max_examples=150, deadline=None)
@given(instants, weeks, trips, st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"]))
def test_property_next_opening_is_the_first_open_instant(
    now: datetime, hours: dict[int, tuple[time, time] | None], trip: TripWindow | None, tz: str
) -> None:
    try:
        opening = next_opening(now, hours, tz, trip)
    except NoPostingHoursError:
        return
    assert opening >= now and opening.tzinfo is UTC
    assert is_open(opening, hours, tz, trip)
    if opening > now:
        assert not is_open(now, hours, tz, trip)
        assert not is_open(opening - timedelta(seconds=1), hours, tz, trip)
