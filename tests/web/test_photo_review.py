"""The teacher's last look: the preview is the posted image, hand-drawn blur areas, the face confirmation."""

from __future__ import annotations

import html
import io
import json
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.web.test_api import Phone
from tripposter.models import AuditEvent, Photo, Role
from tripposter.publishers.outbox import OutboxPublisher

AREA = {"x": 40, "y": 900, "width": 300, "height": 200}  # bottom left: no face of seed 7 is there


@pytest.fixture
def phone(auth: AuthActions, client: FlaskClient, outing: Outing) -> Phone:
    auth.login(outing.lead)
    return Phone(client)


def grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float64)


def detail(image: np.ndarray, box: dict[str, Any], inset: float = 0.15) -> float:
    """How much fine detail the inner part of ``box`` holds: mean difference between neighbours."""
    dx, dy = int(box["width"] * inset), int(box["height"] * inset)
    part = image[box["y"] + dy: box["y"] + box["height"] - dy, box["x"] + dx: box["x"] + box["width"] - dx]
    return float(np.abs(np.diff(part, axis=1)).mean() + np.abs(np.diff(part, axis=0)).mean())


def blurred(posted: np.ndarray, clean: np.ndarray, box: dict[str, Any]) -> bool:
    return detail(posted, box) < 0.35 * detail(clean, box)


def upload(phone: Phone, outing: Outing, key: str = "review-key-0001") -> dict[str, Any]:
    created = phone.upload(outing.trip.id, phone_jpeg(), key=key)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["photo"]


def put(phone: Phone, photo: dict[str, Any], **fields: Any) -> Any:
    body = {"face_pupils": [None] * len(photo["faces"]), "tagged": [], "alt_text": "Pupils by a lake", **fields}
    return phone.send("PUT", f"/api/photos/{photo['id']}", body)


def test_the_preview_is_the_posting_image_and_follows_the_names(phone: Phone, outing: Outing) -> None:
    photo = upload(phone, outing)
    clean = grey(phone.client.get(photo["preview_url"]).data)
    first = phone.client.get(photo["posting_url"])
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert first.headers["Cache-Control"] == "no-store, private"
    face1, face2 = photo["faces"]
    assert face1["x"] < face2["x"] or face1["y"] < face2["y"]  # numbered in reading order
    posted = grey(first.data)
    assert blurred(posted, clean, face1) and blurred(posted, clean, face2)  # nobody named: every face blurred

    named = put(phone, photo, face_pupils=[outing.sam.id, None], tagged=[outing.sam.id])
    assert named.status_code == 200, named.get_json()
    url = named.get_json()["photo"]["posting_url"]
    assert url != photo["posting_url"]  # a new address, so no page can show the old picture
    posted = grey(phone.client.get(url).data)
    assert not blurred(posted, clean, face1) and blurred(posted, clean, face2)

    unnamed = put(phone, photo)  # Sam unnamed again: face 1 is blurred once more
    posted = grey(phone.client.get(unnamed.get_json()["photo"]["posting_url"]).data)
    assert blurred(posted, clean, face1) and blurred(posted, clean, face2)


def test_a_hand_drawn_area_is_blurred_in_the_published_image(phone: Phone, outing: Outing, app: Flask) -> None:
    photo = upload(phone, outing)
    clean = grey(phone.client.get(photo["preview_url"]).data)
    saved = put(phone, photo, face_pupils=[outing.sam.id, None], tagged=[outing.sam.id], regions=[AREA], faces_checked=True)
    assert saved.status_code == 200 and saved.get_json()["photo"]["regions"] == [AREA]
    assert blurred(grey(phone.client.get(saved.get_json()["photo"]["posting_url"]).data), clean, AREA)

    posted = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo["id"]],
                                                "caption": "A brilliant morning by the lake!", "when": "now"},
                        **{"Idempotency-Key": "review-post-0001"})
    assert posted.status_code == 201, posted.get_json()
    app.extensions["tripposter.queue"].drain()
    outbox = OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path)
    (sent,) = outbox.list_posts()
    published = grey(outbox.image_path(sent.id, 0).read_bytes())
    assert blurred(published, clean, AREA)
    face1, face2 = photo["faces"]
    assert not blurred(published, clean, face1) and blurred(published, clean, face2)
    untouched = {"x": 1300, "y": 1000, "width": 250, "height": 150}
    assert np.abs(published[1000:1150, 1300:1550] - clean[1000:1150, 1300:1550]).mean() < 4, untouched


def test_the_server_refuses_a_post_until_the_faces_are_confirmed(phone: Phone, outing: Outing, db: Session) -> None:
    photo = upload(phone, outing)
    assert put(phone, photo).status_code == 200
    body = {"trip_id": outing.trip.id, "photo_ids": [photo["id"]], "caption": "A brilliant morning!", "when": "now"}
    refused = phone.send("POST", "/api/posts", body, **{"Idempotency-Key": "review-post-0002"})
    assert refused.status_code == 422
    assert [p["rule"] for p in refused.get_json()["error"]["problems"]] == ["faces_not_checked"]
    assert "I have looked at every face" in refused.get_json()["error"]["problems"][0]["message"]
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "photo.faces_checked")).all()

    confirmed = put(phone, photo, faces_checked=True, regions=[AREA])
    assert confirmed.get_json()["photo"]["faces_checked"] is True
    assert put(phone, photo, faces_checked=True).status_code == 200  # a repeat is not a second confirmation
    made = phone.send("POST", "/api/posts", body, **{"Idempotency-Key": "review-post-0003"})
    assert made.status_code == 201, made.get_json()
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "photo.faces_checked")).all()
    assert event.detail["faces"] == 2 and event.detail["regions"] == 1 and event.detail["named"] == 0
    assert event.actor_id == outing.lead.id


def test_unticking_the_confirmation_takes_it_back(phone: Phone, outing: Outing, db: Session) -> None:
    photo = upload(phone, outing)
    put(phone, photo, faces_checked=True)
    assert put(phone, photo, faces_checked=False).get_json()["photo"]["faces_checked"] is False
    assert db.scalars(select(Photo)).one().faces_checked_at is None


@pytest.mark.parametrize(
    ("regions", "status", "words"),
    [
        ([{"x": 1590, "y": 0, "width": 50, "height": 50}], 422, "outside the photo"),
        ([{"x": 0, "y": 0, "width": 3, "height": 50}], 422, "too small"),
        ([{"x": 0, "y": 0, "width": 20, "height": 20}] * 21, 422, "at most 20"),
        ([{"x": "0", "y": 0, "width": 20, "height": 20}], 422, "whole-number"),
        ([{"x": 0, "y": 0}], 422, "not a rectangle"),
        ("all of it", 400, "regions"),
        ([[0, 0, 20, 20]], 400, "regions"),
        ([{}] * 101, 400, "regions"),
    ],
)
def test_bad_areas_get_a_clear_4xx_and_change_nothing(
    phone: Phone, outing: Outing, db: Session, regions: Any, status: int, words: str
) -> None:
    photo = upload(phone, outing)
    put(phone, photo, regions=[AREA])
    answer = put(phone, photo, regions=regions, alt_text="Changed")
    assert answer.status_code == status and words in answer.get_json()["error"]["message"]
    db.expire_all()
    stored = db.scalars(select(Photo)).one()
    assert stored.regions == [AREA] and stored.alt_text == "Pupils by a lake"


def test_the_confirmation_must_be_true_or_false(phone: Phone, outing: Outing) -> None:
    photo = upload(phone, outing)
    answer = put(phone, photo, faces_checked="yes")
    assert answer.status_code == 400 and "faces_checked" in answer.get_json()["error"]["message"]


def test_the_posting_image_is_only_for_the_photos_teacher(phone: Phone, app: Flask, make: Factory, outing: Outing) -> None:
    photo = upload(phone, outing)
    path, page = f"/api/photos/{photo['id']}/posting.jpg", f"/post/photos/{photo['id']}/posting.jpg"
    assert app.test_client().get(path).status_code == 401
    office = AuthActions(app.test_client()).login(make.user(role=Role.OFFICE))
    assert office.get(path).status_code == 403 and office.get(page).status_code == 403
    for role in (Role.TRIP_LEAD, Role.ADMIN):  # may post, but this is not their trip
        stranger = AuthActions(app.test_client()).login(make.user(role=role))
        assert stranger.get(path).status_code == 404 and stranger.get(page).status_code == 404


def test_the_simple_page_shows_the_posting_image_and_saves_areas_and_the_confirmation(
    phone: Phone, auth: AuthActions, client: FlaskClient, outing: Outing, db: Session
) -> None:
    photo = upload(phone, outing)
    page = client.get(f"/post/photos/{photo['id']}").get_data(as_text=True)
    assert f"/post/photos/{photo['id']}/posting.jpg" in page and "I have looked at every face in this photo" in page
    assert client.get(f"/post/photos/{photo['id']}?view=faces").get_data(as_text=True).count("/preview.jpg") == 1
    form = {"faces-0": str(outing.sam.id), "faces-1": "", "tagged": [str(outing.sam.id)], "alt_text": "By the lake",
            "regions": json.dumps([AREA]), "faces_checked": "y", "then": "preview"}
    saved = auth.post(f"/post/photos/{photo['id']}", form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/post/photos/{photo['id']}")
    stored = db.scalars(select(Photo)).one()
    assert stored.regions == [AREA] and stored.faces_checked_at is not None
    again = client.get(f"/post/photos/{photo['id']}").get_data(as_text=True)
    assert ">1 Sam<" in again  # the named face's label carries the first name, on the teacher's page only
    image = client.get(f"/post/photos/{photo['id']}/posting.jpg")
    assert image.headers["Cache-Control"] == "no-store, private"
    clean = grey(client.get(photo["preview_url"]).data)
    assert blurred(grey(image.data), clean, AREA)

    bad = auth.post(f"/post/photos/{photo['id']}", {**form, "regions": json.dumps([{"x": 5000, "y": 0, "width": 9, "height": 9}])})
    assert bad.status_code == 422 and "outside the photo" in bad.get_data(as_text=True)
    unticked = auth.post(f"/post/photos/{photo['id']}", {k: v for k, v in form.items() if k != "faces_checked"})
    assert unticked.status_code == 302
    db.expire_all()
    assert db.scalars(select(Photo)).one().faces_checked_at is None


@pytest.mark.parametrize("blurred_allowed", [False, True])
def test_who_is_in_the_photo_gets_the_same_consent_answer_on_both_pages(
    phone: Phone, auth: AuthActions, outing: Outing, db: Session, blurred_allowed: bool
) -> None:
    from tripposter.services.school.settings import get_school

    get_school(db).allow_blurred_without_consent = blurred_allowed
    db.commit()
    photo = upload(phone, outing)
    # Ava has no photo consent and is in the photo with her face turned away: tagged, no face named.
    answer = put(phone, photo, tagged=[outing.ava.id]).get_json()["problems"]
    form = {"faces-0": "", "faces-1": "", "tagged": [str(outing.ava.id)], "alt_text": "By the lake"}
    page = html.unescape(auth.post(f"/post/photos/{photo['id']}", form, follow_redirects=True).get_data(as_text=True))
    assert page.count("This photo cannot be posted as it is") == len(answer) and all(p["message"] in page for p in answer)
    # Not even blurred: refused outright. Blurred allowed: both faces are blurred and nameless, so one may be hers.
    assert [p["rule"] for p in answer] == ([] if blurred_allowed else ["no_consent"])
    assert all("Ava" in p["message"] for p in answer)
