"""The phone's queue in a real Chromium: the trip ends before the queue is sent, double taps, the
same photo twice, Background Sync armed whenever anything is queued, and persistent storage."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_faces_ui import CONFIRM
from tests.browser.test_pwa import camera_jpeg, choose_photo, queue_size, sign_in, wait_for
from tests.lifecycle import Outing
from tripposter.models import Photo, PhotoState, Post, PostState
from tripposter.models.school import WEEKDAYS
from tripposter.pipeline.window import next_opening
from tripposter.services.school.rules import weekly_hours
from tripposter.services.school.settings import get_school, school_today

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")
KEPT = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("tripposter"); r.onsuccess = () => ok(r.result); r.onerror = no; });
  const all = await new Promise((ok) => { const r = db.transaction("photos").objectStore("photos").getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  return all.map((p) => ({ state: p.state, bytes: p.blob ? p.blob.size : 0, error: p.error || "" }));
}"""
SYNC_TAGS = "async () => (await navigator.serviceWorker.ready).sync.getTags()"


def taken_on(path: Path, day: date, hour: int = 12) -> Path:
    """Give the file the time the camera took it (the phone reads it as the file's lastModified)."""
    moment = datetime.combine(day, time(hour), LONDON).timestamp()
    os.utime(path, (moment, moment))
    return path


def move_trip(db: Session, outing: Outing, ended_days_ago: int) -> None:
    """Move the trip so that its last day was ``ended_days_ago`` days before today (in London)."""
    today = school_today(db)
    outing.trip.end_date = today - timedelta(days=ended_days_ago)
    outing.trip.start_date = outing.trip.end_date - timedelta(days=2)
    db.commit()


def throttle_uploads(page: Any, bytes_per_second: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 50, "downloadThroughput": -1,
                                                  "uploadThroughput": bytes_per_second})


def describe_and_caption(page: Any, count: int, caption: str) -> None:
    for n in range(1, count + 1):
        page.get_by_label(f"Describe photo {n} for people who cannot see it").fill(f"Pupils on the trip, photo {n}")
    page.fill("#caption", caption)


def try_to_post_unsent(page: Any) -> None:
    """Tap Post while the photos are still on the phone: nothing is posted unseen (issue 11), it says why."""
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_function("() => document.getElementById('post-error').textContent.includes('has not reached the server yet')")


def look_at_every_face(page: Any, count: int) -> None:
    """Wait for each photo's posting image, then tick "I have looked at every face" on each (issue 11)."""
    page.wait_for_function(f"() => document.querySelectorAll('#draft-photos img[src*=\"/posting.jpg\"]').length === {count}",
                           timeout=60_000)
    for n in range(count):
        page.locator("#draft-photos > li").nth(n).get_by_label(CONFIRM).check()


def test_page_closed_mid_upload_then_the_trip_ends_every_photo_posted_or_kept(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    # School hours every day, 07:00 to 22:00, so "after we've left" is never more than a night away.
    get_school(db).posting_hours = {day: ["07:00", "22:00"] for day in WEEKDAYS}
    db.commit()
    page = context.new_page()
    sign_in(page, live, outing)
    today = school_today(db)
    # Two photos taken yesterday, during the trip; after the move the trip will have run until yesterday.
    during = [taken_on(camera_jpeg(tmp_path / f"IMG_{n}.jpg", size=(1600, 1200), seed=n), today - timedelta(days=1))
              for n in (1, 2)]
    after = camera_jpeg(tmp_path / "IMG_3.jpg", size=(1600, 1200), seed=3)  # taken today
    throttle_uploads(page, 10_000)  # one bar of signal on the coach: each photo takes many seconds
    with page.expect_file_chooser() as chooser:
        page.click("#camera")
    chooser.value.set_files([str(p) for p in during])
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 2")
    describe_and_caption(page, 2, "The coach home after a brilliant week")
    try_to_post_unsent(page)
    # A third photo, taken today: it will be after the trip's end once the trip has moved.
    choose_photo(page, after)
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 3")
    page.wait_for_timeout(2000)  # photo 1 is on its way: at 10 kB/s it takes far longer than this
    assert queue_size(page) == {"photos": 3, "posts": 0} and live.uploads.bodies == []
    shots(page, "mid-upload")
    page.close()  # the teacher puts the phone away mid-upload
    context.set_offline(True)  # and the coach leaves the last mast behind

    move_trip(db, outing, ended_days_ago=1)  # the next morning: the trip ended yesterday
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live.url}/app")
    try:
        # The two photos taken during the trip reach the server; the one taken today is kept.
        look_at_every_face(page, 2)
        page.locator("#status-local li.kept").wait_for()
    finally:
        shots(page, "reopened")
    page.locator("#trip-ended").wait_for()
    assert "This trip ended on" in page.inner_text("#trip-ended")
    for n in (1, 2):  # what the teacher wrote on the coach is still there
        described = page.get_by_label(f"Describe photo {n} for people who cannot see it").input_value()
        assert described == f"Pupils on the trip, photo {n}"
    page.fill("#caption", "The coach home after a brilliant week")
    page.get_by_role("button", name="Post", exact=True).click()
    wait_for(lambda: queue_size(page) == {"photos": 1, "posts": 0}, seconds=60)

    # The two photos taken during the trip were accepted and posted "after we've left": in the
    # school's own hours, not the trip's all-day hours.
    db.expire_all()
    post = db.scalars(select(Post)).one()
    assert post.state in (PostState.QUEUED, PostState.SCHEDULED)
    school = get_school(db)
    created = post.created_at.replace(tzinfo=UTC)
    assert post.scheduled_for.replace(tzinfo=UTC) == next_opening(created, weekly_hours(school), school.timezone)
    photos = db.scalars(select(Photo)).all()
    assert [p.state for p in photos] == [PhotoState.POSTING, PhotoState.POSTING]
    assert all(p.faces_checked_at is not None for p in photos)

    # The photo taken after the trip was not accepted, and it is still on the phone, with its bytes.
    [kept] = page.evaluate(KEPT)
    assert kept["state"] == "kept" and kept["bytes"] > 10_000 and "only photos taken during it" in kept["error"]
    card = page.locator("#status-local li.kept")
    assert "Save it to the phone's gallery" in card.inner_text()
    with page.expect_download() as download:
        card.get_by_role("link", name="Save to the phone").click()
    saved = Path(download.value.path())
    assert saved.stat().st_size == kept["bytes"] and saved.read_bytes()[:3] == b"\xff\xd8\xff"
    assert download.value.suggested_filename.startswith("trip-photo-")
    assert "1 photo was not sent and is kept on this phone" in page.inner_text("#waiting-count")
    # "Try sending again" sends it again; the server says the same, and the photo is still kept.
    before = len(live.uploads.bodies)
    card.get_by_role("button", name="Try sending again").click()
    wait_for(lambda: len(live.uploads.bodies) > before)
    page.wait_for_function(f"({KEPT})().then((k) => k.length === 1 && k[0].state === 'kept')")
    page.locator("#status-local li.kept").wait_for()


def test_after_the_grace_period_nothing_is_deleted_and_the_teacher_is_told(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    context.set_offline(True)
    # Two photos wait, offline, as the draft of a post the teacher tried to make: Post cannot be
    # saved before they reach the server (their faces must be looked at as posted), so they stay
    # drafts that could never be confirmed. They wait until long after the trip.
    for n in (1, 2):
        choose_photo(page, camera_jpeg(tmp_path / f"IMG_{n}.jpg", size=(1600, 1200), seed=n))
        page.wait_for_function(f"() => document.querySelectorAll('#draft-photos > li').length === {n}")
    describe_and_caption(page, 2, "Our last afternoon")
    try_to_post_unsent(page)
    assert queue_size(page) == {"photos": 2, "posts": 0}
    page.close()
    move_trip(db, outing, ended_days_ago=5)
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live.url}/app")
    page.wait_for_function("() => document.querySelectorAll('#status-local li.kept').length === 2")
    shots(page, "kept-after-grace")
    kept = page.evaluate(KEPT)
    assert [k["state"] for k in kept] == ["kept", "kept"] and all(k["bytes"] > 10_000 for k in kept)
    assert all("could be sent until" in k["error"] for k in kept)
    for card in page.locator("#status-local li.kept").all():
        text = card.inner_text()
        assert "Not sent, kept on this phone" in text and "could be sent until" in text
        assert "Save it to the phone's gallery" in text
    assert "2 photos were not sent and are kept on this phone" in page.inner_text("#waiting-count")
    assert "take the photo again" not in page.inner_text("#status-local").lower()
    assert db.scalars(select(Photo)).all() == []  # the server has nothing: the phone has both

    # Deleting is the teacher's choice, one photo at a time, after a confirmation.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#status-local li.kept").first.get_by_role("button", name="Delete from this phone").click()
    page.wait_for_timeout(500)
    assert [k["state"] for k in page.evaluate(KEPT)] == ["kept", "kept"]  # not confirmed: nothing deleted
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#status-local li.kept").first.get_by_role("button", name="Delete from this phone").click()
    page.wait_for_function("() => document.querySelectorAll('#status-local li.kept').length === 1")
    assert len(page.evaluate(KEPT)) == 1


def test_double_tap_on_post_makes_one_post(
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200), seed=1))
    page.locator("button.face").first.wait_for()
    describe_and_caption(page, 1, "Rock pooling on the beach")
    look_at_every_face(page, 1)
    # Two taps as fast as a thumb can: the second finds Post already off.
    page.evaluate("""() => { const b = document.querySelector('#post-form button[type=submit]');
      b.click(); const disabled = b.disabled; b.click(); window.__secondTapFoundDisabled = disabled; }""")
    assert page.evaluate("window.__secondTapFoundDisabled") is True
    page.get_by_role("button", name="Post", exact=True).dblclick()  # and a real double tap on the empty form
    wait_for(lambda: queue_size(page) == {"photos": 0, "posts": 0})
    shots(page, "after-double-tap")
    assert page.locator("#status-local .status-problem").count() == 0
    assert "Not posted" not in page.inner_text("#status-local")
    app.extensions["tripposter.queue"].drain()
    assert [p.state for p in db.scalars(select(Post))] == [PostState.PUBLISHED]


def test_the_same_photo_twice_is_not_added_to_one_post(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    original = camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200), seed=1)
    copy = shutil.copy(original, tmp_path / "IMG_1 (1).jpg")  # another name, the same bytes
    choose_photo(page, original)
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 1")
    choose_photo(page, Path(copy))
    page.wait_for_function("() => document.getElementById('snap-error').textContent.includes('already in this post')")
    shots(page, "duplicate")
    error = page.locator("#snap-error")
    assert error.is_visible() and error.inner_text().startswith("That photo is already in this post (photo 1)")
    assert page.locator("#draft-photos > li").count() == 1
    choose_photo(page, camera_jpeg(tmp_path / "IMG_2.jpg", size=(1600, 1200), seed=2))
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 2")
    assert page.inner_text("#snap-error") == ""
    wait_for(lambda: len(db.scalars(select(Photo)).all()) == 2 and not db.expire_all())


def test_background_sync_is_armed_whenever_something_is_queued(
    context: Any, live: LiveServer, outing: Outing, tmp_path: Path
) -> None:
    context.add_init_script("""
      window.__persistAsked = 0;
      if (navigator.storage) navigator.storage.persist = async () => { window.__persistAsked += 1; return false; };
      if (navigator.storage) navigator.storage.persisted = async () => false;
    """)
    page = context.new_page()
    sign_in(page, live, outing)
    assert page.evaluate("window.__persistAsked") >= 1
    page.locator("#storage-note").wait_for()  # refused: said, quietly, under the status
    assert page.evaluate(SYNC_TAGS) == []
    # Online, but the server does not answer yet: before, a sync was registered only after a
    # send had failed offline. Now it is registered as soon as the photo is queued.
    page.route("**/api/trips/*/photos", lambda route: None)  # the upload hangs, never answered
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1200, 900), seed=1))
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 1")
    page.wait_for_function(f"({SYNC_TAGS})().then((tags) => tags.includes('tripposter-drain'))")


def test_a_sent_draft_of_a_trip_that_is_over_is_reported_not_hidden(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200), seed=1))
    page.locator("button.face").first.wait_for()  # on the server, waiting for its post
    page.close()
    move_trip(db, outing, ended_days_ago=5)
    page = context.new_page()
    page.goto(f"{live.url}/app")
    card = page.locator("#status-local .status-problem", has_text="never posted")
    card.wait_for()
    shots(page, "unposted-after-trip")
    assert "1 photo was sent to the server but never posted" in card.inner_text()
    card.get_by_role("button", name="Remove them now").click()
    wait_for(lambda: queue_size(page) == {"photos": 0, "posts": 0})
    db.expire_all()
    assert [p.state for p in db.scalars(select(Photo))] == [PhotoState.DESTROYED]


def test_post_with_a_refused_photo_says_to_remove_it_not_to_wait_for_signal(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    refusal = '{"error": {"code": "corrupt_image", "message": "This photo file is damaged."}}'
    page.route("**/api/trips/*/photos", lambda route: route.fulfill(status=422, content_type="application/json", body=refusal))
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200), seed=1))
    page.locator("#draft-photos li.refused").wait_for()
    page.fill("#caption", "Rock pooling on the beach")
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_function("() => document.getElementById('post-error').textContent.includes('was not accepted')")
    error = page.inner_text("#post-error")
    assert error == "Photo 1 was not accepted: This photo file is damaged. Remove it, then post."
    assert queue_size(page)["posts"] == 0 and db.scalars(select(Post)).all() == []
