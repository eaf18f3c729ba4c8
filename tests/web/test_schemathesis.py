"""schemathesis against the real app on loopback: no input documented or not may cause a 5xx.

The app runs in werkzeug's threaded WSGI server on 127.0.0.1 with a school, a trip running today
and real photos. A trip lead signs in through the login form, takes the CSRF token from
/api/session, and schemathesis generates requests for every operation in the OpenAPI document:
valid ones (positive) and ones that break it (negative), with free ids and with the ids of real
trips, photos and posts. Every response must be a documented status with a documented body.
TRIPPOSTER_FUZZ_EXAMPLES raises the number of examples per operation for a longer run by hand.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Factory
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.web.live import app, server, sign_in
from tripposter.models import Role
from tripposter.runtime import Runtime

pytestmark = pytest.mark.slow
__all__ = ["app", "server"]  # fixtures: the app on a real loopback server

EXAMPLES = int(os.environ.get("TRIPPOSTER_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Destructive calls go last, so the other operations meet the real photo and post while they exist.
LAST = ("DELETE /api/photos/{public_id}", "DELETE /api/posts/{public_id}")


def fuzz(schema: Any, base: str, http: requests.Session, ids: dict[str, Any], examples: int = EXAMPLES) -> dict[str, set[int]]:
    """Run every operation, positive then negative, with free ids and then with the real ones in ``ids``.

    Returns the statuses each operation answered.
    """
    seen: dict[str, set[int]] = defaultdict(set)
    operations = sorted((op.ok() for op in schema.get_all_operations()), key=lambda op: op.label in LAST)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for real in (False, True):
                path_parameters, patch = real_ids(operation, ids) if real else ({}, {})
                if real and not (path_parameters or patch):
                    continue
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

                @given(case=strategy)
                @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                def run(case: Any) -> None:
                    if patch and isinstance(case.body, dict):
                        case.body.update({k: v for k, v in patch.items() if k in case.body})
                    response = case.call(base_url=base, session=http, timeout=30)
                    seen[operation.label].add(response.status_code)
                    case.validate_response(response, checks=CHECKS)

                try:
                    run()
                except Unsatisfiable:
                    # Nothing to break in a call without parameters or body (GET /api/session).
                    assert mode is GenerationMode.NEGATIVE, operation.label
    return seen


def real_ids(operation: Any, ids: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Real ids for the operation: its path parameters, and the fields of its JSON body that hold ids."""
    kind = "post" if operation.path.startswith("/api/posts/") else "photo"
    known = {"trip_id": ids["trip_id"], "public_id": ids[kind]}
    path = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    body = {"trip_id": ids["trip_id"], "photo_ids": [ids["photo"]]} if operation.method.upper() == "POST" else {}
    return path, body


def seed(base: str, http: requests.Session, outing: Outing) -> dict[str, Any]:
    """A real photo (tagged, so a post can be made of it) and a real scheduled post, through the API."""
    def upload(key: str, faces: int, seed: int) -> dict[str, Any]:
        files = {"photo": ("IMG_0001.JPG", io.BytesIO(phone_jpeg(faces=faces, seed=seed)), "image/jpeg")}
        response = http.post(f"{base}/api/trips/{outing.trip.id}/photos", files=files, headers={"Idempotency-Key": key}, timeout=60)
        assert response.status_code == 201, response.text
        return response.json()["photo"]

    kept = upload("fuzz-photo-kept", 0, 1)
    http.put(f"{base}/api/photos/{kept['id']}", json={"face_pupils": [], "tagged": [], "alt_text": "Paddles", "faces_checked": True}, timeout=10)
    posted = upload("fuzz-photo-post", 0, 2)
    http.put(f"{base}/api/photos/{posted['id']}", json={"face_pupils": [], "tagged": [], "alt_text": "A lake", "faces_checked": True}, timeout=10)
    later = {"trip_id": outing.trip.id, "photo_ids": [posted["id"]], "caption": "A calm morning", "when": "after_trip"}
    post = http.post(f"{base}/api/posts", json=later, headers={"Idempotency-Key": "fuzz-post-0001"}, timeout=10)
    assert post.status_code == 201, post.text
    return {"trip_id": outing.trip.id, "photo": kept["id"], "post": post.json()["post"]["id"]}


def load_schema(base: str, http: requests.Session) -> Any:
    doc = http.get(f"{base}/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    # The session cookie and CSRF header come from the signed-in session, not from generated values.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def test_no_input_makes_a_server_error(server: str, outing: Outing, make: Factory, rt: Runtime) -> None:
    lead = sign_in(server, outing.lead.email)
    schema = load_schema(server, lead)
    ids = seed(server, lead, outing)
    seen = fuzz(schema, server, lead, ids)
    # The run reached the real code: every operation succeeded, or was refused by a service (422:
    # random bytes are never a photo; a random caption rarely passes every check).
    assert len(seen) == len(list(schema.get_all_operations())) == 21
    assert [label for label, statuses in seen.items() if not any(200 <= s < 300 or s == 422 for s in statuses)] == []
    # Office staff hold none of the trip lead's calls (403); a senior leader holds them all but leads
    # no trip (404). Neither ever meets a 5xx.
    office = fuzz(schema, server, sign_in(server, make.user(Role.OFFICE).email), ids, examples=3)
    assert office["POST /api/posts"] == {403} and office["GET /api/session"] == {200}
    head = fuzz(schema, server, sign_in(server, make.user(Role.ADMIN).email), ids, examples=3)
    assert 404 in head["GET /api/photos/{public_id}"] and 403 not in set().union(*head.values())
