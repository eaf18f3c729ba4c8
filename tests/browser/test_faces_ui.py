"""What the teacher sees and confirms on the phone page, in a real Chromium emulating a phone.

Face boxes that fit the faces, the preview as it will be posted, tap-to-blur reaching the published
image, the server's refusal of a post without "I have looked at every face", and on-screen feedback.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveServer
from tests.browser.test_pwa import camera_jpeg, choose_photo, sign_in, wait_for
from tests.lifecycle import Outing
from tests.pipeline.corpus import full_exif
from tests.pipeline.faces_corpus import group_shot
from tests.web.test_photo_review import blurred, grey
from tripposter.models import Photo
from tripposter.publishers.outbox import OutboxPublisher

pytestmark = pytest.mark.browser
CONFIRM = "I have looked at every face in this photo, as it will be posted"
FETCH = """async (url) => {
  const bytes = new Uint8Array(await (await fetch(url, { cache: "no-store" })).arrayBuffer());
  let text = ""; for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""
RECTS = """(selector) => [...document.querySelectorAll(selector)].map((n) => {
  const r = n.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height, text: n.textContent };
})"""


def stored(db: Session) -> Photo:
    db.expire_all()
    return db.scalars(select(Photo)).one()


def shown_image(page: Any) -> np.ndarray:
    """The picture the page shows right now, fetched by the page itself."""
    src = page.eval_on_selector(".face-frame img", "(img) => img.src")
    return grey(base64.b64decode(page.evaluate(FETCH, src)))


def notice(page: Any, text: str) -> None:
    """The words appear on screen (not only to screen readers) in the page's notice."""
    page.wait_for_function("(t) => document.getElementById('live').textContent.includes(t)", arg=text)
    assert page.locator("#live").is_visible()


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] + a["w"] <= b["x"] + 0.5 or b["x"] + b["w"] <= a["x"] + 0.5 or a["y"] + a["h"] <= b["y"] + 0.5 or b["y"] + b["h"] <= a["y"] + 0.5


def test_group_photo_boxes_fit_the_faces_never_overlap_and_read_in_order(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    scene = group_shot(np.random.default_rng(11), size=(2000, 1500), count=9, face_px=(90, 150), max_angle=5)
    path = tmp_path / "group.jpg"
    scene.image.save(path, "JPEG", quality=92, exif=full_exif(1))
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, path)
    page.locator("button.face").first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.face-label')].every((l) => l.style.visibility === 'visible')")
    shots(page, "group-boxes")

    faces = stored(db).faces
    assert len(faces) >= 8
    frame = page.evaluate(RECTS, ".face-frame img")[0]
    scale = frame["w"] / 2000
    boxes, labels = page.evaluate(RECTS, "button.face"), page.evaluate(RECTS, ".face-label")
    assert len(boxes) == len(labels) == len(faces)
    for face, box in zip(faces, boxes, strict=True):  # each box is drawn where its face is, at its size
        assert abs(box["x"] - (frame["x"] + face["x"] * scale)) < 2 and abs(box["w"] - face["width"] * scale) < 2
        assert abs(box["y"] - (frame["y"] + face["y"] * scale)) < 2 and abs(box["h"] - face["height"] * scale) < 2
    for face in faces:  # ... and fits a real face: centred on one, and not much larger than it
        cx, cy = face["x"] + face["width"] / 2, face["y"] + face["height"] / 2
        truth = next(t for t in scene.faces if t.x <= cx <= t.x + t.width and t.y <= cy <= t.y + t.height)
        assert face["width"] * face["height"] <= 2.5 * truth.width * truth.height
    for i, a in enumerate(boxes):
        assert all(apart(a, b) for b in boxes[i + 1:]), "face boxes overlap"
    for i, a in enumerate(labels):
        assert all(apart(a, b) for b in labels[i + 1:]), "labels overlap"
        assert frame["x"] - 0.5 <= a["x"] and a["x"] + a["w"] <= frame["x"] + frame["w"] + 0.5
    assert [label["text"] for label in labels] == [str(n) for n in range(1, len(faces) + 1)]
    rows = [(f["y"] + f["height"] / 2, f["x"]) for f in faces]
    for (y1, x1), (y2, x2) in zip(rows, rows[1:], strict=False):  # reading order: on along a row, or down a row
        assert x2 > x1 or y2 > y1

    page.locator("button.face").first.click()
    page.get_by_role("button", name="Sam Lee").click()
    page.get_by_role("button", name="Face 1: Sam Lee").wait_for()
    # The first name, on the teacher's screen only. The card is redrawn, and its labels shown once placed.
    expect(page.locator(".face-label").first).to_have_text("1 Sam", timeout=15_000)
    expect(page.locator(".face-label").first).to_be_visible(timeout=15_000)
    shots(page, "named-face")


def test_the_preview_blurs_a_face_again_once_it_is_unnamed(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("button.face").first.wait_for()
    faces = stored(db).faces
    page.get_by_role("button", name="Show the faces to name them").click()
    page.wait_for_function("() => document.querySelector('.face-frame img').src.includes('/preview.jpg')")
    clean = shown_image(page)
    page.get_by_role("button", name="Show the faces to name them").click()
    page.wait_for_function("() => document.querySelector('.face-frame img').src.includes('/posting.jpg')")
    assert blurred(shown_image(page), clean, faces[0]) and blurred(shown_image(page), clean, faces[1])

    page.get_by_role("button", name="Face 1: blurred").click()
    page.get_by_role("button", name="Sam Lee").click()
    wait_for(lambda: stored(db).face_pupils == [outing.sam.id, None])
    wait_for(lambda: not blurred(shown_image(page), clean, faces[0]))  # named: shown as it will be posted
    shots(page, "named-shown")

    page.get_by_role("button", name="Face 1: Sam Lee").click()
    page.get_by_role("button", name="Leave blurred").click()
    wait_for(lambda: stored(db).face_pupils == [None, None])
    wait_for(lambda: blurred(shown_image(page), clean, faces[0]))
    assert blurred(shown_image(page), clean, faces[1])
    shots(page, "unnamed-blurred")


def test_a_tapped_area_is_blurred_in_the_published_image(
    context: Any, live: LiveServer, outing: Outing, app: Flask, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("button.face").first.wait_for()
    page.get_by_role("button", name="Show the faces to name them").click()
    page.wait_for_function("() => document.querySelector('.face-frame img').src.includes('/preview.jpg')")
    clean = shown_image(page)
    page.get_by_role("button", name="Show the faces to name them").click()

    page.get_by_role("button", name="Blur a part of the photo").click()
    # The click redraws the card; drag on the new picture, not the one it replaces.
    page.locator(".face-frame.drawing").wait_for()
    frame = page.evaluate(RECTS, ".face-frame.drawing")[0]
    # Drag over the bottom-left corner, where no face was found (a name badge, say).
    page.mouse.move(frame["x"] + frame["w"] * 0.04, frame["y"] + frame["h"] * 0.72)
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["w"] * 0.2, frame["y"] + frame["h"] * 0.85, steps=5)
    page.mouse.up()
    wait_for(lambda: len(stored(db).regions) == 1)
    area = stored(db).regions[0]
    assert 50 <= area["x"] <= 90 and 850 <= area["y"] <= 880 and 230 <= area["width"] <= 290
    notice(page, "Area 1 will be blurred")
    wait_for(lambda: blurred(shown_image(page), clean, area))
    shots(page, "area-blurred")

    found = stored(db).faces  # read before posting: destroying the photo forgets them
    assert found
    page.get_by_label("Describe photo 1 for people who cannot see it").fill("Pupils by the lake")
    page.get_by_label(CONFIRM).check()
    page.fill("#caption", "A brilliant morning by the lake!")
    page.get_by_role("button", name="Post", exact=True).click()
    wait_for(lambda: stored(db).post_id is not None)
    assert app.extensions["tripposter.queue"].drain() >= 1
    outbox = OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path)
    (sent,) = outbox.list_posts()
    published = grey(outbox.image_path(sent.id, 0).read_bytes())
    assert blurred(published, clean, area)
    # Elsewhere untouched: a patch clear of every face box (grown as the blur grows it) and of the area.
    for face in found:
        assert face["y"] + face["height"] * 1.3 < 520 or face["y"] - face["height"] * 0.3 > 720 \
            or face["x"] + face["width"] * 1.3 < 1300
    assert np.abs(published[520:720, 1300:1550] - clean[520:720, 1300:1550]).mean() < 4


def test_the_server_refuses_a_post_without_the_confirmation(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("button.face").first.wait_for()
    page.get_by_label("Describe photo 1 for people who cannot see it").fill("Pupils by the lake")
    wait_for(lambda: stored(db).alt_text == "Pupils by the lake")
    page.fill("#caption", "A brilliant morning by the lake!")
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_function("() => document.getElementById('post-error').textContent.includes('I have looked at every face')")
    assert page.evaluate("() => document.activeElement.type") == "checkbox"
    shots(page, "page-asks-first")

    # The page's own check skipped: the server refuses the post all the same.
    answer = page.evaluate("""async (id) => {
      const csrf = (await (await fetch('/api/session')).json()).csrf_token;
      const r = await fetch('/api/posts', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf,
        'Idempotency-Key': 'sneaky-post-0001' }, body: JSON.stringify({ trip_id: %d, photo_ids: [id], caption: 'A brilliant morning!' }) });
      return { status: r.status, body: await r.json() };
    }""" % outing.trip.id, stored(db).public_id)
    assert answer["status"] == 422
    assert [p["rule"] for p in answer["body"]["error"]["problems"]] == ["faces_not_checked"]
    assert stored(db).post_id is None


def test_every_tap_gets_visible_feedback_and_who_is_in_the_photo_applies_the_rule(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200)))
    page.locator("button.face").first.wait_for()
    page.get_by_role("button", name="Face 1: blurred").click()
    page.get_by_role("button", name="Ava Khan").click(force=True)
    note = page.locator(".chips .note")
    expect(note).to_contain_text("Ava Khan has no photo consent", timeout=15_000)
    expect(note).to_be_visible()
    notice(page, "Ava Khan has no photo consent")
    shots(page, "no-consent-tap")

    # Ava is in the photo, face turned away: tagged by hand, the school's rule (not even blurred) applies.
    page.get_by_text("Who is in this photo").click()
    page.locator(".who-in").get_by_label("Ava Khan").check()
    wait_for(lambda: outing.ava.id in stored(db).tagged)
    page.locator(".photo-card .problems li", has_text="Ava").wait_for()
    notice(page, "Ava Khan has no photo consent. The school's rule")
    shots(page, "who-is-in")

    paths = [camera_jpeg(tmp_path / f"IMG_{n}.jpg", size=(800, 600), seed=n) for n in range(2, 7)]
    with page.expect_file_chooser() as chooser:
        page.click("#camera")
    chooser.value.set_files([str(p) for p in paths])  # four more than there is room for
    notice(page, "up to 4 photos")
    page.wait_for_function("() => document.querySelectorAll('#draft-photos > li').length === 4")
    shots(page, "fifth-photo")
    # The three that were added finish arriving before the test ends (its clean-up destroys them).
    page.wait_for_function("() => document.querySelectorAll('#draft-photos img[src*=\"/posting.jpg\"]').length === 4",
                           timeout=60_000)
    wait_for(lambda: (db.expire_all(), len(db.scalars(select(Photo)).all()))[1] == 4)


def test_the_simple_page_blurs_a_dragged_area_and_names_faces_on_the_picture(
    context: Any, live: LiveServer, outing: Outing, db: Session, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    page.goto(f"{live.url}/post/trips/{outing.trip.id}")
    page.set_input_files("input[type=file]", str(camera_jpeg(tmp_path / "IMG_1.jpg", size=(1600, 1200))))
    page.get_by_role("button", name="Upload the photo").click()
    page.wait_for_url(f"{live.url}/post/photos/*")
    assert "/posting.jpg" in page.eval_on_selector(".face-map image", "(i) => i.getAttribute('href')")
    page.locator("#region-help").wait_for()
    svg = page.evaluate(RECTS, ".face-map")[0]
    page.mouse.move(svg["x"] + svg["w"] * 0.04, svg["y"] + svg["h"] * 0.72)
    page.mouse.down()
    page.mouse.move(svg["x"] + svg["w"] * 0.2, svg["y"] + svg["h"] * 0.85, steps=5)
    page.mouse.up()
    page.locator("#face-figure rect.region.new").wait_for()
    page.get_by_label("Face 1 is").select_option(label="Sam Lee")
    page.locator("label.check", has_text="Sam Lee").locator("input").check()
    page.get_by_label("Describe the photo for people who cannot see it. Don't use names.").fill("Pupils by the lake")
    page.get_by_label("I have looked at every face in this photo, as it will be posted").check()
    page.get_by_role("button", name="Save and show the preview").click()
    page.get_by_text("Saved who is in the photo").wait_for()
    photo = stored(db)
    assert len(photo.regions) == 1 and photo.faces_checked_at is not None and photo.face_pupils[0] == outing.sam.id
    area = photo.regions[0]
    assert 50 <= area["x"] <= 90 and 850 <= area["y"] <= 880
    assert "1 Sam" in page.eval_on_selector(".face-map", "(s) => s.textContent")
    shots(page, "simple-page-preview")
