"""The phone page's in-place sign-in, as JSON: password, code, refusals with a sentence, the back-off."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Factory
from tests.lifecycle import Clock
from tests.twostep import code, enrol
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role, UserSession
from tripposter.runtime import Runtime


def call(client: FlaskClient, path: str, body: dict[str, Any]) -> Any:
    token = client.get("/api/signin/token").get_json()["csrf_token"]
    return client.post(f"/api/signin/{path}", json=body, headers={"X-CSRFToken": token})


def test_password_signs_the_phone_page_in_again(client: FlaskClient, make: Factory, rt: Runtime) -> None:
    lead = make.user(Role.TRIP_LEAD)
    assert client.get("/api/session").status_code == 401
    reply = call(client, "password", {"email": lead.email, "password": PASSWORD})
    assert reply.status_code == 200 and reply.get_json()["signed_in"] is True
    token = reply.get_json()["csrf_token"]  # the token the page needs next, with no extra call
    assert client.post("/api/signin/passkeys/new/options", headers={"X-CSRFToken": token}).status_code == 200


def test_a_two_step_teacher_gives_the_code_next(
    client: FlaskClient, make: Factory, db: Session, settings: Settings, clock: Clock, rt: Runtime
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    secret = enrol(db, lead, settings, clock.now)
    first = call(client, "password", {"email": lead.email, "password": PASSWORD}).get_json()
    assert (first["signed_in"], first["code_needed"]) == (False, True)
    assert client.get("/api/session").status_code == 401  # nobody is signed in between the steps
    wrong = call(client, "code", {"code": "000000"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["message"]
    assert call(client, "code", {"code": code(secret, clock.now)}).get_json()["signed_in"] is True
    assert client.get("/api/session").status_code == 200


def test_refusals_are_sentences_with_a_code(client: FlaskClient, make: Factory, rt: Runtime) -> None:
    lead = make.user(Role.TRIP_LEAD)
    wrong = call(client, "password", {"email": lead.email, "password": "not-my-password"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "wrong_password"
    assert call(client, "code", {"code": "123456"}).get_json()["error"]["code"] == "no_password_step"
    for _ in range(5):
        call(client, "password", {"email": lead.email, "password": "not-my-password"})
    waiting = call(client, "password", {"email": lead.email, "password": PASSWORD})
    assert waiting.get_json()["error"]["code"] == "wait" and "passkey" in waiting.get_json()["error"]["message"]
    missing = client.post("/api/signin/password", json={"email": lead.email, "password": PASSWORD})
    assert missing.status_code == 400  # no CSRF token


def test_signing_in_over_a_live_session_ends_it(client: FlaskClient, make: Factory, db: Session, rt: Runtime) -> None:
    lead = make.user(Role.TRIP_LEAD)
    call(client, "password", {"email": lead.email, "password": PASSWORD})
    call(client, "password", {"email": lead.email, "password": PASSWORD})
    assert len(db.scalars(select(UserSession)).all()) == 1
    ended = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.session_closed")).all()
    assert [e.detail["reason"] for e in ended] == ["signed_in_again"]
