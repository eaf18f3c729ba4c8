"""Input the database cannot hold is refused before it gets there: a 4xx, never a 500.

Each of these was a 500 before: an id beyond what an integer column holds (SQLite overflows past
64 bits, PostgreSQL past 32), a NUL character (PostgreSQL refuses it in text), and photo or post
ids that `new_public_id` could never have made (a NUL again, on PostgreSQL).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.lifecycle import Outing

HUGE = 2**63


@pytest.fixture
def phone(auth: AuthActions, client: FlaskClient, outing: Outing) -> tuple[FlaskClient, str]:
    auth.login(outing.lead)
    return client, client.get("/api/session").get_json()["csrf_token"]


@pytest.mark.parametrize("url", [f"/api/trips/{HUGE}/posts", f"/trips/{HUGE}", f"/post/trips/{HUGE}", f"/trips/{2**31}/log"])
def test_an_id_too_large_for_the_database_is_not_found(phone: tuple[FlaskClient, str], url: str) -> None:
    client, _ = phone
    assert client.get(url).status_code == 404


def test_largest_id_still_routes(phone: tuple[FlaskClient, str]) -> None:
    client, _ = phone
    response = client.get(f"/api/trips/{2**31 - 1}/posts")
    assert response.status_code == 404 and "not one of yours" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("field", ["caption", "urgent_reason"])
def test_text_with_a_nul_is_a_clear_400(phone: tuple[FlaskClient, str], outing: Outing, field: str) -> None:
    client, csrf = phone
    payload = {"trip_id": outing.trip.id, "photo_ids": ["0" * 32], "caption": "Fine", field: "Canoe\x00ing"}
    response = client.post("/api/posts", data=json.dumps(payload), content_type="application/json",
                           headers={"X-CSRFToken": csrf, "Idempotency-Key": "nul-text-0001"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == f"\u201c{field}\u201d must be plain text of at most " + (
        "5000 characters." if field == "caption" else "500 characters."
    )


def test_alt_text_with_a_lone_surrogate_is_a_400(phone: tuple[FlaskClient, str]) -> None:
    client, csrf = phone
    raw = '{"face_pupils": [], "tagged": [], "alt_text": "lake \\ud800"}'  # valid JSON, not valid UTF-8 text
    response = client.put(f"/api/photos/{'a' * 32}", data=raw, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert response.status_code == 400 and "alt_text" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("public_id", ["x\x00y", "A" * 32, "a" * 31, "../" + "a" * 29])
def test_impossible_photo_and_post_ids_are_not_found(phone: tuple[FlaskClient, str], public_id: str) -> None:
    client, csrf = phone
    quoted = quote(public_id, safe="")
    assert client.get(f"/api/photos/{quoted}").status_code == 404
    response = client.delete(f"/api/posts/{quoted}", headers={"X-CSRFToken": csrf})
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404
