"""100 replays of one Idempotency-Key make one photo (one spool file) and one post (one publication).

The first 20 replays race each other for the first insert: threads released together by a barrier
against the real threaded server on loopback. The other 80 follow one by one through the Flask test
client. Every replay gets the first answer: the same id, 201 for exactly one of them and 200 for the
rest. The same key with a different body is refused with 422.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.web.live import app, server, sign_in
from tripposter.jobs import Queue
from tripposter.models import Photo, Post, PostState
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime

__all__ = ["app", "server"]  # fixtures: the app on a real loopback server
pytestmark = pytest.mark.slow

CONCURRENT, SEQUENTIAL = 20, 80
Answer = tuple[int, str]  # (status, photo or post id)


def answer(status: int, body: dict[str, Any], kind: str) -> Answer:
    """The status and the id answered, or the error message when there is no id (shown if the test fails)."""
    return status, body[kind]["id"] if kind in body else body.get("error", {}).get("message", str(body))


def race(call: Callable[[requests.Session], requests.Response], sessions: list[requests.Session]) -> list[requests.Response]:
    """Send one request per session at the same moment; return the responses in order."""
    barrier = threading.Barrier(len(sessions))
    responses: list[requests.Response | BaseException] = [RuntimeError("no answer")] * len(sessions)

    def send(i: int) -> None:
        barrier.wait()
        try:
            responses[i] = call(sessions[i])
        except BaseException as exc:  # reported below with the others
            responses[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, requests.Response) for r in responses), responses
    return responses  # type: ignore[return-value]


@pytest.fixture
def phones(server: str, outing: Outing) -> list[requests.Session]:
    """The trip lead's one signed-in session on 20 connections (sign-in itself is throttled)."""
    signed = sign_in(server, outing.lead.email)
    phones = []
    for _ in range(CONCURRENT):
        http = requests.Session()
        http.cookies.update(signed.cookies)
        http.headers.update(signed.headers)
        phones.append(http)
    return phones


@pytest.fixture
def lead(auth: AuthActions, client: FlaskClient, outing: Outing) -> tuple[FlaskClient, str]:
    auth.login(outing.lead)
    return client, client.get("/api/session").get_json()["csrf_token"]


def count(db: Session, model: type[Photo] | type[Post], key: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(model.idempotency_key == key)) or 0


def assert_one_answer(answers: list[Answer]) -> str:
    """Exactly one creation (201), every other reply a replay (200), all with the same id."""
    assert len(answers) == CONCURRENT + SEQUENTIAL
    assert sorted(status for status, _ in answers) == [200] * (len(answers) - 1) + [201], answers
    ids = {found for _, found in answers}
    assert len(ids) == 1, ids
    return ids.pop()


def test_photo_upload_replayed_100_times_makes_one_photo_and_one_file(
    server: str, phones: list[requests.Session], lead: tuple[FlaskClient, str], outing: Outing, db: Session, rt: Runtime
) -> None:
    data, key, url = phone_jpeg(faces=1), "photo-replay-0001", f"/api/trips/{outing.trip.id}/photos"
    headers = {"Idempotency-Key": key}

    def upload(http: requests.Session) -> requests.Response:
        return http.post(server + url, files={"photo": ("IMG_0001.JPG", data, "image/jpeg")}, headers=headers, timeout=120)

    answers: list[Answer] = [answer(r.status_code, r.json(), "photo") for r in race(upload, phones)]
    client, csrf = lead
    for _ in range(SEQUENTIAL):
        reply = client.post(url, data={"photo": (io.BytesIO(data), "IMG_0001.JPG")}, headers={**headers, "X-CSRFToken": csrf},
                            content_type="multipart/form-data")
        answers.append(answer(reply.status_code, reply.get_json(), "photo"))
    photo_id = assert_one_answer(answers)
    assert count(db, Photo, key) == 1
    assert len(rt.spool.names()) == 1
    other = client.post(url, data={"photo": (io.BytesIO(phone_jpeg(faces=1, seed=11)), "IMG_0002.JPG")},
                        headers={**headers, "X-CSRFToken": csrf}, content_type="multipart/form-data")
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_conflict" and "already used for a different photo" in error["message"]
    assert count(db, Photo, key) == 1 and len(rt.spool.names()) == 1
    assert client.get(f"/api/photos/{photo_id}").get_json()["photo"]["state"] == "ready"


def ready_photo(client: FlaskClient, csrf: str, trip_id: int) -> str:
    created = client.post(f"/api/trips/{trip_id}/photos", data={"photo": (io.BytesIO(phone_jpeg(faces=0)), "IMG.JPG")},
                          headers={"Idempotency-Key": "photo-for-post-01", "X-CSRFToken": csrf}, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    photo_id: str = created.get_json()["photo"]["id"]
    tagged = client.put(f"/api/photos/{photo_id}", json={"face_pupils": [], "tagged": [], "alt_text": "Canoes on a lake", "faces_checked": True},
                        headers={"X-CSRFToken": csrf})
    assert tagged.status_code == 200, tagged.get_json()
    return photo_id


def test_post_replayed_100_times_makes_one_post_and_one_publication(
    server: str, phones: list[requests.Session], lead: tuple[FlaskClient, str], outing: Outing,
    db: Session, app: Flask, queue: Queue, rt: Runtime,
) -> None:
    client, csrf = lead
    key = "post-replay-0001"
    payload: dict[str, Any] = {"trip_id": outing.trip.id, "photo_ids": [ready_photo(client, csrf, outing.trip.id)],
                               "caption": "A brilliant morning on the lake!", "when": "now"}
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}

    def send(http: requests.Session) -> requests.Response:
        return http.post(f"{server}/api/posts", data=json.dumps(payload), headers=headers, timeout=120)

    answers: list[Answer] = [answer(r.status_code, r.json(), "post") for r in race(send, phones)]
    for _ in range(SEQUENTIAL):
        reply = client.post("/api/posts", data=json.dumps(payload), headers={**headers, "X-CSRFToken": csrf})
        answers.append(answer(reply.status_code, reply.get_json(), "post"))
    post_id = assert_one_answer(answers)
    assert count(db, Post, key) == 1
    assert queue.huey.pending_count() == 1  # one publish job, from the one request that made the post
    assert queue.drain() == 1
    outbox = OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path)
    assert len(outbox.list_posts()) == 1
    post = db.scalars(select(Post).where(Post.public_id == post_id)).one()
    assert post.state is PostState.PUBLISHED and rt.spool.names() == []
    # A replay after publishing still gets the same post back, and publishes nothing more.
    late = client.post("/api/posts", data=json.dumps(payload), headers={**headers, "X-CSRFToken": csrf})
    assert (late.status_code, late.get_json()["post"]["id"], late.get_json()["post"]["state"]) == (200, post_id, "published")
    assert queue.huey.pending_count() == 0
    other = client.post("/api/posts", data=json.dumps({**payload, "caption": "A different caption"}),
                        headers={**headers, "X-CSRFToken": csrf})
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_conflict" and "already used for a different post" in error["message"]
    assert count(db, Post, key) == 1 and len(outbox.list_posts()) == 1


def test_a_refused_upload_is_refused_again_on_replay(lead: tuple[FlaskClient, str], outing: Outing, db: Session, rt: Runtime) -> None:
    """The first answer was a refusal, so every replay is the same refusal, not a 200 for a destroyed photo."""
    client, csrf = lead
    headers = {"Idempotency-Key": "refused-replay-01", "X-CSRFToken": csrf}
    answers = []
    for _ in range(3):
        reply = client.post(f"/api/trips/{outing.trip.id}/photos", data={"photo": (io.BytesIO(b"%PDF-1.7 not a photo"), "x.pdf")},
                            headers=headers, content_type="multipart/form-data")
        error = reply.get_json()["error"]
        answers.append((reply.status_code, error["code"], error["message"]))
    assert answers[0][0] == 422 and answers == [answers[0]] * 3
    assert count(db, Photo, "refused-replay-01") == 1 and rt.spool.names() == []
