"""The phone page's JSON API, end to end: upload, tag, caption check, post, status."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tripposter.publishers.outbox import OutboxPublisher


class Phone:
    """A signed-in phone talking JSON, with the CSRF token the API hands out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf = client.get("/api/session").get_json()["csrf_token"]

    def upload(self, trip_id: int, data: bytes, key: str = "upload-key-0001") -> Any:
        return self.client.post(
            f"/api/trips/{trip_id}/photos",
            data={"photo": (io.BytesIO(data), "IMG_0001.HEIC")},
            headers={"Idempotency-Key": key, "X-CSRFToken": self.csrf},
            content_type="multipart/form-data",
        )

    def send(self, method: str, path: str, payload: Any, **headers: str) -> Any:
        return self.client.open(
            path, method=method, data=json.dumps(payload), content_type="application/json",
            headers={"X-CSRFToken": self.csrf, **headers},
        )


@pytest.fixture
def phone(auth: AuthActions, client: FlaskClient, outing: Outing) -> Phone:
    auth.login(outing.lead)
    return Phone(client)


def test_whole_flow_posts_once_and_leaves_no_file(phone: Phone, outing: Outing, app: Flask) -> None:
    trips = phone.client.get("/api/trips/today").get_json()["trips"]
    assert [t["id"] for t in trips] == [outing.trip.id]
    ava = next(p for p in trips[0]["pupils"] if p["name"] == "Ava Khan")
    assert ava["photo_consent"] is False
    created = phone.upload(outing.trip.id, phone_jpeg())
    assert created.status_code == 201, created.get_json()
    photo = created.get_json()["photo"]
    assert len(photo["faces"]) == 2 and "gps" in photo["removed_metadata"]
    preview = phone.client.get(photo["preview_url"])
    assert preview.headers["Cache-Control"] == "no-store, private" and preview.data[:3] == b"\xff\xd8\xff"
    tagged = phone.send("PUT", f"/api/photos/{photo['id']}",
                        {"face_pupils": [outing.sam.id, None], "tagged": [outing.sam.id], "alt_text": "Two pupils by a lake", "faces_checked": True})
    assert tagged.status_code == 200 and tagged.get_json()["problems"] == []
    assert tagged.get_json()["blur"] == [1]
    check = phone.send("POST", "/api/caption-check", {"trip_id": outing.trip.id, "caption": "Canoeing, lol", "tagged": []})
    assert [p["rule"] for p in check.get_json()["problems"]] == ["text_speak"]
    posted = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo["id"]],
                                                "caption": "A brilliant morning of canoeing!", "when": "now"},
                        **{"Idempotency-Key": "post-key-0001"})
    assert posted.status_code == 201, posted.get_json()
    app.extensions["tripposter.queue"].drain()
    status = phone.client.get(f"/api/trips/{outing.trip.id}/posts").get_json()["posts"]
    assert [p["state"] for p in status] == ["published"] and status[0]["url"].startswith("/outbox/")
    assert len(OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts()) == 1
    assert app.extensions["tripposter.runtime"].spool.names() == []
    assert phone.client.get(photo["preview_url"]).status_code == 404


def test_outbox_image_has_no_metadata_per_exiftool(phone: Phone, outing: Outing, app: Flask) -> None:
    if shutil.which("exiftool") is None:
        pytest.fail("exiftool is required (apt-get install libimage-exiftool-perl)")
    photo = phone.upload(outing.trip.id, phone_jpeg(faces=0)).get_json()["photo"]
    phone.send("PUT", f"/api/photos/{photo['id']}", {"face_pupils": [], "tagged": [], "alt_text": "Paddles on the grass", "faces_checked": True})
    phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo["id"]], "caption": "Ready to go!"},
               **{"Idempotency-Key": "post-key-0002"})
    app.extensions["tripposter.queue"].drain()
    outbox = OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path)
    path = outbox.image_path(outbox.list_posts()[0].id, 0)
    tags = json.loads(subprocess.run(["exiftool", "-j", "-a", "-u", "-G1", str(path)], capture_output=True, check=True).stdout)[0]
    groups = {key.split(":")[0] for key in tags if ":" in key}
    assert groups <= {"ExifTool", "System", "File", "JFIF", "Composite"}, groups
    assert not any("GPS" in key for key in tags)


def test_replayed_upload_and_conflicting_key(phone: Phone, outing: Outing) -> None:
    data = phone_jpeg(faces=0)
    first = phone.upload(outing.trip.id, data)
    again = phone.upload(outing.trip.id, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["photo"]["id"] == again.get_json()["photo"]["id"]
    other = phone.upload(outing.trip.id, phone_jpeg(faces=0, seed=3))
    assert other.status_code == 422 and "already used" in other.get_json()["error"]["message"]


def test_refused_upload_is_a_clear_422(phone: Phone, outing: Outing, app: Flask) -> None:
    response = phone.upload(outing.trip.id, b"%PDF-1.7 not a photo")
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]
    assert app.extensions["tripposter.runtime"].spool.names() == []


def test_post_with_problems_lists_them_all(phone: Phone, outing: Outing) -> None:
    photo = phone.upload(outing.trip.id, phone_jpeg()).get_json()["photo"]
    phone.send("PUT", f"/api/photos/{photo['id']}", {"face_pupils": [outing.ava.id, None], "tagged": [outing.ava.id], "alt_text": "", "faces_checked": True})
    response = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo["id"]], "caption": "Well done Ava Khan"},
                          **{"Idempotency-Key": "post-key-0003"})
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    assert len(problems) >= 3  # no consent, a full name, no alt text
    assert any("Ava" in p["message"] for p in problems)


@pytest.mark.parametrize("payload", ["not json", "[]", '{"trip_id": "x", "caption": "hi", "photo_ids": ["a"]}',
                                     '{"trip_id": 1, "caption": 5, "photo_ids": ["a"]}', '{"trip_id": 1, "caption": "hi", "photo_ids": []}'])
def test_bad_json_is_a_clear_400(phone: Phone, payload: str) -> None:
    response = phone.client.post("/api/posts", data=payload, content_type="application/json",
                                 headers={"X-CSRFToken": phone.csrf, "Idempotency-Key": "post-key-0009"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_json_write_without_csrf_is_refused(phone: Phone, outing: Outing) -> None:
    response = phone.client.post("/api/caption-check", data="{}", content_type="application/json")
    assert response.status_code == 400


def test_anonymous_api_call_gets_401_json(client: FlaskClient) -> None:
    response = client.get("/api/trips/today")
    assert response.status_code == 401 and response.get_json()["error"]["status"] == 401
