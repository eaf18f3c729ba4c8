"""Photos taken on a trip but sent after it ended, and the same photo twice in one post.

The runtime clock is moved, so "today" (in the school's time zone) moves with it: the trip is set
to have ended before the clock's today, and the phone's ``taken_at`` claim is checked against it.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions
from tests.lifecycle import Clock, Outing
from tests.photos import phone_jpeg
from tests.web.test_api import Phone
from tripposter.models import Photo, PhotoState, Post, PostState
from tripposter.pipeline.window import next_opening
from tripposter.runtime import Runtime
from tripposter.services.school.rules import weekly_hours
from tripposter.services.school.settings import get_school

LONDON = ZoneInfo("Europe/London")


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC)


def next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


def ended_trip(outing: Outing, db: Session, today: date, ended_days_ago: int) -> None:
    """Make the outing a three-day trip whose last day was ``ended_days_ago`` days before ``today``."""
    outing.trip.end_date = today - timedelta(days=ended_days_ago)
    outing.trip.start_date = outing.trip.end_date - timedelta(days=2)
    db.commit()


def upload(phone: Phone, trip_id: int, data: bytes, key: str, taken_at: str | None) -> Any:
    fields: dict[str, Any] = {"photo": (io.BytesIO(data), "IMG.jpg")}
    if taken_at is not None:
        fields["taken_at"] = taken_at
    return phone.client.post(f"/api/trips/{trip_id}/photos", data=fields, content_type="multipart/form-data",
                             headers={"Idempotency-Key": key, "X-CSRFToken": phone.csrf})


@pytest.fixture
def late(auth: AuthActions, client: Any, outing: Outing, clock: Clock, db: Session) -> tuple[Phone, date]:
    """A Wednesday evening at 21:00 in London, the trip over since Tuesday, the teacher signed in."""
    today = next_weekday(date.today(), 2)
    clock.now = london(today, 21)
    ended_trip(outing, db, today, 1)
    auth.login(outing.lead)
    return Phone(client), today


def test_inside_grace_a_photo_taken_on_the_trip_is_accepted_and_posted_after_we_left(
    late: tuple[Phone, date], outing: Outing, db: Session, rt: Runtime, app: Flask
) -> None:
    phone, today = late
    trips = phone.client.get("/api/trips/today").get_json()["trips"]
    assert [(t["id"], t["ended"], t["photos_until"]) for t in trips] == [
        (outing.trip.id, True, (outing.trip.end_date + timedelta(days=2)).isoformat())]
    taken = london(outing.trip.end_date, 16, 30).isoformat()
    created = upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0001", taken)
    assert created.status_code == 201, created.get_json()
    photo = created.get_json()["photo"]
    tagged = phone.send("PUT", f"/api/photos/{photo['id']}",
                        {"face_pupils": [None, None], "tagged": [], "alt_text": "Pupils on the coach home", "faces_checked": True})
    assert tagged.status_code == 200, tagged.get_json()
    check = phone.send("POST", "/api/caption-check", {"trip_id": outing.trip.id, "caption": "Home safe!", "tagged": []})
    assert check.status_code == 200 and check.get_json()["problems"] == []
    posted = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo["id"]],
                                                "caption": "Home safe after a brilliant week!", "when": "now"},
                        **{"Idempotency-Key": "late-post-0001"})
    assert posted.status_code == 201, posted.get_json()
    post = db.scalars(select(Post)).one()
    # The trip's own hours (all day) no longer apply: 21:00 on a Wednesday is outside the school's
    # hours, so it waits for Thursday 08:00, exactly as an "after we've left" post would.
    assert post.state is PostState.SCHEDULED
    school = get_school(db)
    expected = next_opening(rt.clock(), weekly_hours(school), school.timezone)
    assert post.scheduled_for.replace(tzinfo=UTC) == expected == london(today + timedelta(days=1), 8)


@pytest.mark.parametrize(
    ("taken", "code", "words"),
    [
        (None, "taken_outside_trip", "did not say when"),
        ("today-noon", "taken_outside_trip", "only photos taken during it"),
        ("before-start", "taken_outside_trip", "only photos taken during it"),
        ("future", "taken_outside_trip", "clock may be wrong"),
    ],
)
def test_inside_grace_a_claim_outside_the_trip_is_refused_and_nothing_is_kept(
    late: tuple[Phone, date], outing: Outing, db: Session, rt: Runtime, taken: str | None, code: str, words: str
) -> None:
    phone, today = late
    claims = {
        "today-noon": london(today, 12).isoformat(),
        "before-start": london(outing.trip.start_date - timedelta(days=1), 15).isoformat(),
        "future": (rt.clock() + timedelta(hours=2)).isoformat(),
    }
    refused = upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0002", claims.get(taken or "", None))
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == code and words in error["message"], error
    assert db.scalars(select(Photo)).all() == [] and rt.spool.names() == []


def test_the_claim_is_read_in_the_school_time_zone(late: tuple[Phone, date], outing: Outing) -> None:
    phone, _ = late
    # The phone may send the time in any zone; what counts is the date in London: 23:30 there on the
    # last day is inside the trip (though already the next day in Tokyo), 00:30 the next day is not.
    inside = london(outing.trip.end_date, 23, 30).astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
    outside = london(outing.trip.end_date + timedelta(days=1), 0, 30).astimezone(ZoneInfo("America/New_York")).isoformat()
    assert upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0003", inside).status_code == 201
    assert upload(phone, outing.trip.id, phone_jpeg(seed=8), "late-photo-0004", outside).status_code == 422


def test_malformed_taken_at_is_a_400(late: tuple[Phone, date], outing: Outing) -> None:
    phone, _ = late
    for bad in ("yesterday", "2026-11-27T14:05:00", "x" * 100):
        answer = upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0005", bad)
        assert answer.status_code == 400 and "taken_at" in answer.get_json()["error"]["message"]


def test_after_grace_refused_as_trip_over_so_the_phone_keeps_the_bytes(
    auth: AuthActions, client: Any, outing: Outing, clock: Clock, db: Session, rt: Runtime
) -> None:
    today = next_weekday(date.today(), 2)
    clock.now = london(today, 10)
    ended_trip(outing, db, today, 3)  # grace of 2 days: the last accepted day was yesterday
    auth.login(outing.lead)
    phone = Phone(client)
    assert phone.client.get("/api/trips/today").get_json()["trips"] == []
    taken = london(outing.trip.end_date, 11).isoformat()
    refused = upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0006", taken)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "trip_over" and "ended on" in error["message"] and "could be sent until" in error["message"]
    assert db.scalars(select(Photo)).all() == [] and rt.spool.names() == []
    # A post of the trip is refused the same way.
    posted = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": ["0" * 32], "caption": "Hi",
                                                "when": "now"}, **{"Idempotency-Key": "late-post-0002"})
    assert posted.status_code == 422 and posted.get_json()["error"]["code"] == "trip_over"


def test_grace_is_a_setting(auth: AuthActions, client: Any, outing: Outing, clock: Clock, db: Session, rt: Runtime) -> None:
    today = next_weekday(date.today(), 2)
    clock.now = london(today, 10)
    ended_trip(outing, db, today, 3)
    rt.settings = dataclasses.replace(rt.settings, trip_grace_days=3)
    auth.login(outing.lead)
    phone = Phone(client)
    taken = london(outing.trip.end_date, 11).isoformat()
    assert upload(phone, outing.trip.id, phone_jpeg(), "late-photo-0007", taken).status_code == 201
    rt.settings = dataclasses.replace(rt.settings, trip_grace_days=0)
    refused = upload(phone, outing.trip.id, phone_jpeg(seed=9), "late-photo-0008", taken)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "trip_over"


def test_during_the_trip_the_claim_is_not_needed(phone_on_trip: Phone, outing: Outing) -> None:
    # A photo chosen from the gallery during the trip was always accepted; that does not change.
    old = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    assert upload(phone_on_trip, outing.trip.id, phone_jpeg(), "trip-photo-0001", old).status_code == 201
    assert upload(phone_on_trip, outing.trip.id, phone_jpeg(seed=8), "trip-photo-0002", None).status_code == 201


@pytest.fixture
def phone_on_trip(auth: AuthActions, client: Any, outing: Outing) -> Phone:
    auth.login(outing.lead)
    return Phone(client)


# Every post needs the teacher's "I have looked at every face" per photo (issue 11): all three are
# confirmed, so the only thing wrong with the first post is the duplicate.
CHECKED = {"face_pupils": [None, None], "tagged": [], "faces_checked": True}


def test_the_same_bytes_twice_in_one_post_are_refused(phone_on_trip: Phone, outing: Outing, db: Session) -> None:
    data = phone_jpeg()
    ids = []
    for key in ("dup-photo-0001", "dup-photo-0002"):
        created = upload(phone_on_trip, outing.trip.id, data, key, None)
        assert created.status_code == 201
        ids.append(created.get_json()["photo"]["id"])
        looked = phone_on_trip.send("PUT", f"/api/photos/{ids[-1]}", {**CHECKED, "alt_text": "A lake"})
        assert looked.status_code == 200, looked.get_json()
    other = upload(phone_on_trip, outing.trip.id, phone_jpeg(seed=8), "dup-photo-0003", None).get_json()["photo"]["id"]
    assert phone_on_trip.send("PUT", f"/api/photos/{other}", {**CHECKED, "alt_text": "A hill"}).status_code == 200
    body = {"trip_id": outing.trip.id, "photo_ids": [ids[0], other, ids[1]], "caption": "A day by the lake", "when": "now"}
    refused = phone_on_trip.send("POST", "/api/posts", body, **{"Idempotency-Key": "dup-post-0001"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "duplicate_photo" and "Photos 1 and 3 are the same photo" in error["message"]
    assert db.scalars(select(Post)).all() == []
    assert {p.state for p in db.scalars(select(Photo))} == {PhotoState.READY}  # nothing taken from the teacher
    body["photo_ids"] = [ids[0], other]
    fine = phone_on_trip.send("POST", "/api/posts", body, **{"Idempotency-Key": "dup-post-0002"})
    assert fine.status_code == 201, fine.get_json()


def test_every_page_reads_today_from_the_runtime_clock(
    auth: AuthActions, client: Any, outing: Outing, clock: Clock
) -> None:
    # The simple posting page and the phone's list agree with the clock the rest of the app uses.
    auth.login(outing.lead)
    assert client.get("/post/").headers["Location"].endswith(f"/post/trips/{outing.trip.id}")  # the one trip today
    assert client.get(f"/post/trips/{outing.trip.id}").status_code == 200
    clock.now += timedelta(days=30)
    auth.login(outing.lead)  # the move ended the session
    assert outing.trip.name not in client.get("/post/").get_data(as_text=True)
    assert client.get("/api/trips/today").get_json()["trips"] == []
    assert client.get(f"/post/trips/{outing.trip.id}").status_code == 302
