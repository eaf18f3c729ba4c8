"""The phone page in a real Chromium emulating a phone: the whole flow, offline, and installability."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD
from tests.lifecycle import Outing
from tests.pipeline.corpus import MARKERS, full_exif
from tests.pipeline.faces_corpus import group_shot
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState
from tripposter.publishers.outbox import OutboxPublisher

pytestmark = pytest.mark.browser
COUNT_QUEUE = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("tripposter"); r.onsuccess = () => ok(r.result); r.onerror = no; });
  const count = (s) => new Promise((ok) => { const r = db.transaction(s).objectStore(s).count(); r.onsuccess = () => ok(r.result); });
  const result = { photos: await count("photos"), posts: await count("posts") };
  db.close();
  return result;
}"""
COUNT_BYTES = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("tripposter"); r.onsuccess = () => ok(r.result); r.onerror = no; });
  const all = await new Promise((ok) => { const r = db.transaction("photos").objectStore("photos").getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  return all.filter((p) => p.blob).length;
}"""

DUMP = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open("tripposter"); r.onsuccess = () => ok(r.result); r.onerror = no; });
  const get = (s) => new Promise((ok) => { const r = db.transaction(s).objectStore(s).getAll(); r.onsuccess = () => ok(r.result); });
  const strip = (x) => ({ ...x, blob: x.blob ? x.blob.size : null, faces: null });
  return JSON.stringify({ photos: (await get("photos")).map(strip), posts: await get("posts"), online: navigator.onLine });
}"""


def camera_jpeg(path: Path, size: tuple[int, int] = (4000, 3000), seed: int = 3) -> Path:
    """A 12 MP phone photo with two clear faces and full EXIF, GPS included."""
    scene = group_shot(np.random.default_rng(seed), size=size, count=2, face_px=(size[0] // 9, size[0] // 7))
    scene.image.save(path, "JPEG", quality=92, exif=full_exif(1))
    assert MARKERS["gps"].encode() in path.read_bytes()
    return path


def sign_in(page: Any, live: LiveServer, outing: Outing) -> None:
    page.goto(f"{live.url}/auth/login?next=/app")
    page.fill("input[name=email]", outing.lead.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/app")
    page.get_by_text(outing.trip.name).wait_for()
    # The service worker is installed and controls the page before anything else is tried.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def choose_photo(page: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#camera")
    chooser.value.set_files(str(path))


def wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def queue_size(page: Any) -> dict[str, int]:
    return page.evaluate(COUNT_QUEUE)


def received_jpeg(live: LiveServer, index: int = 0) -> bytes:
    content_type, body = live.uploads.bodies[index]
    boundary = content_type.split("boundary=")[1].encode()
    part = next(p for p in body.split(b"--" + boundary) if b'name="photo"' in p)
    return part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]


def test_whole_flow_strips_metadata_tags_and_posts_once(
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    shots(page, "signed-in")
    original = camera_jpeg(tmp_path / "IMG_0001.jpg")
    choose_photo(page, original)
    page.locator("button.face").first.wait_for()
    shots(page, "faces")

    sent = received_jpeg(live)
    assert len(live.uploads.bodies) == 1
    picture = Image.open(io.BytesIO(sent))
    assert max(picture.size) <= 2100 and picture.size == (2000, 1500)
    assert not picture.getexif() and b"Exif" not in sent[:4096] and MARKERS["gps"].encode() not in sent
    assert len(sent) * 5 <= original.stat().st_size, (len(sent), original.stat().st_size)
    assert queue_size(page)["photos"] == 1
    wait_for(lambda: page.evaluate("() => document.querySelector('#draft-photos progress') === null"))

    page.get_by_role("button", name="Face 1: blurred").click()
    ava = page.get_by_role("button", name="Ava Khan")
    assert ava.get_attribute("aria-disabled") == "true"
    ava.click(force=True)  # refused: she has no consent, so face 1 stays blurred
    page.wait_for_function("() => document.getElementById('live').textContent.includes('Ava Khan has no photo consent')")
    assert page.get_by_role("button", name="Face 1: blurred").count() == 1
    page.get_by_role("button", name="Sam Lee").click()
    page.get_by_role("button", name="Face 1: Sam Lee").wait_for()

    def tagged() -> bool:
        db.expire_all()
        return db.scalars(select(Photo)).one().face_pupils == [outing.sam.id, None]

    wait_for(tagged)  # the tag reached the server; face 2 stays blurred

    page.get_by_label("Describe photo 1 for people who cannot see it").fill("Two pupils in canoes on a lake")
    page.get_by_label("I have looked at every face in this photo, as it will be posted").check()
    page.fill("#caption", "Canoeing on the lake, lol")
    page.locator("#caption-problems li").first.wait_for()
    shots(page, "caption-problem")
    page.fill("#caption", "A brilliant morning of canoeing on the lake!")
    page.wait_for_function("() => document.getElementById('count').textContent.includes('of 280')")
    page.wait_for_function("() => document.querySelectorAll('#caption-problems li.error').length === 0")
    shots(page, "caption-ok")
    page.get_by_role("button", name="Post", exact=True).click()
    try:
        wait_for(lambda: queue_size(page) == {"photos": 0, "posts": 0})
    finally:
        shots(page, "after-post")

    assert app.extensions["tripposter.queue"].drain() >= 1
    page.reload()
    page.get_by_role("link", name="See the post").wait_for()
    shots(page, "posted")
    assert len(OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts()) == 1
    posts = db.scalars(select(Post)).all()
    assert [p.state for p in posts] == [PostState.PUBLISHED]
    photo = db.scalars(select(Photo)).one()
    assert photo.state is PhotoState.DESTROYED
    records = db.scalars(select(DeletionRecord)).all()
    assert [(r.fate, r.photo_id) for r in records] == [(Fate.POSTED, photo.id)] and records[0].remote_url


def test_offline_photos_survive_a_reload_and_post_exactly_once(
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    context.set_offline(True)
    page.locator("#offline").wait_for()
    for n in (1, 2):
        choose_photo(page, camera_jpeg(tmp_path / f"IMG_{n}.jpg", size=(1600, 1200), seed=n))
        page.wait_for_function(f"() => document.querySelectorAll('#draft-photos > li').length === {n}")
        page.get_by_label(f"Describe photo {n} for people who cannot see it").fill(f"Pupils in the field, photo {n}")
    page.fill("#caption", "Offline post from the field")
    # Nothing is posted unseen: the photos' posting images do not exist until they reach the server.
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_function("() => document.getElementById('post-error').textContent.includes('has not reached the server yet')")
    assert queue_size(page) == {"photos": 2, "posts": 0}
    shots(page, "queued-offline")

    page.reload()  # no network: the service worker serves the shell and the queue is still there
    page.locator("#offline").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 2")
    assert "2 photos to send" in page.inner_text("#waiting-count")
    shots(page, "reloaded-offline")
    assert live.uploads.bodies == []

    context.set_offline(False)
    # Both photos arrived: each card now shows its posting image.
    page.wait_for_function("() => document.querySelectorAll('#draft-photos img[src*=\"/posting.jpg\"]').length === 2",
                           timeout=30_000)
    for n in (1, 2):
        page.get_by_label(f"Describe photo {n} for people who cannot see it").fill(f"Pupils in the field, photo {n}")
        page.locator("#draft-photos > li").nth(n - 1).get_by_label("I have looked at every face").check()
    page.fill("#caption", "Offline post from the field")
    page.get_by_role("button", name="Post", exact=True).click()
    try:
        wait_for(lambda: queue_size(page) == {"photos": 0, "posts": 0}, seconds=30)
    except AssertionError:
        print("DEBUG", page.evaluate(DUMP))
        raise
    app.extensions["tripposter.queue"].drain()
    page.reload()
    page.get_by_role("link", name="See the post").wait_for()
    shots(page, "sent-after-reconnect")

    assert len(OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts()) == 1
    posts = db.scalars(select(Post)).all()
    assert len(posts) == 1 and posts[0].text.startswith("Offline post from the field")
    assert all(p.state is PostState.PUBLISHED for p in posts)
    assert len(db.scalars(select(Photo)).all()) == 2
    assert len(db.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.POSTED)).all()) == 2
    assert queue_size(page) == {"photos": 0, "posts": 0}


def test_installable_and_opens_offline_from_the_cache(context: Any, live: LiveServer, outing: Outing, shots: Any) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.scope)")
    assert scope == f"{live.url}/"
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())")
    assert manifest["start_url"] == "/app" and manifest["display"] == "standalone"

    network: list[str] = []
    again = context.new_page()
    again.on("response", lambda r: network.append(r.url) if not r.from_service_worker else None)
    again.goto(f"{live.url}/app")
    again.get_by_text(outing.trip.name).wait_for()
    shell = [u for u in network if "/static/" in u or u.endswith("/app")]
    assert shell == [], shell  # a repeat visit takes the whole shell from the worker's cache

    context.set_offline(True)
    offline = context.new_page()
    offline.goto(f"{live.url}/app")
    offline.get_by_text(outing.trip.name).wait_for()
    assert offline.locator("#offline").is_visible()
    assert offline.locator("#camera").is_visible()
    shots(offline, "opened-offline")


def test_expired_session_asks_for_the_password_and_keeps_the_queue(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    context.clear_cookies()  # the session ends while the teacher is out in the field
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("#signin").wait_for()
    shots(page, "signed-out")
    assert queue_size(page) == {"photos": 1, "posts": 0} and live.uploads.bodies == []

    page.fill("#signin-email", outing.lead.email)  # in place: the page, its queue and its draft stay
    page.fill("#signin-password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("button.face").first.wait_for()  # the waiting photo goes by itself
    assert page.url == f"{live.url}/app" and page.locator("#signin").is_hidden()
    assert len(live.uploads.bodies) == 1 and len(db.scalars(select(Photo)).all()) == 1
    assert page.evaluate(COUNT_BYTES) == 0  # acknowledged, so its bytes are gone from the phone
