"""The fair sign-in throttle: only failures count; per-account back-off; a generous per-address limit; safe next=."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, AuthActions, Factory
from tests.lifecycle import Clock
from tests.twostep import code, enrol
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role
from tripposter.services.people.backoff import Backoff, in_words
from tripposter.web.signin.auth import safe_next

STAFF_ROOM = "203.0.113.40"


def sign_in(app: Flask, email: str, password: str = PASSWORD, address: str = STAFF_ROOM) -> FlaskClient:
    client = app.test_client()
    token = AuthActions(client).token()
    client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token},
                environ_base={"REMOTE_ADDR": address})
    return client


def test_six_staff_signing_in_from_one_address_within_a_minute_all_succeed(app: Flask, make: Factory) -> None:
    staff = [make.user(role) for role in (Role.OFFICE, Role.TRIP_LEAD, Role.TRIP_LEAD, Role.ADMIN, Role.OFFICE, Role.TRIP_LEAD)]
    for user in staff:
        assert sign_in(app, user.email).get("/", environ_base={"REMOTE_ADDR": STAFF_ROOM}).status_code == 200
    again = sign_in(app, staff[0].email)  # the same person twice more: successes never count
    assert sign_in(app, staff[0].email).get("/").status_code == 200 and again.get("/").status_code == 200


def test_six_staff_with_codes_from_one_address_all_succeed(
    app: Flask, make: Factory, db: Session, settings: Settings, clock: Clock, rt: object
) -> None:
    staff = [make.user(Role.OFFICE) for _ in range(6)]
    secrets = [enrol(db, user, settings, clock.now) for user in staff]
    for user, secret in zip(staff, secrets, strict=True):
        client = sign_in(app, user.email)
        token = AuthActions(client).token("/auth/code")
        response = client.post("/auth/code", data={"code": code(secret, clock.now), "csrf_token": token},
                               environ_base={"REMOTE_ADDR": STAFF_ROOM})
        assert response.status_code == 302 and client.get("/").status_code == 200


def test_failures_from_one_address_are_limited_but_its_successes_are_not(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory
) -> None:
    app = app_factory(replace(settings, login_rate_limit="4 per 10 minutes"))
    users = [make.user() for _ in range(5)]
    for user in users[:3]:  # three good sign-ins use none of the allowance
        assert sign_in(app, user.email).get("/").status_code == 200
    for user in users[:4]:  # a guesser spraying one password over many accounts
        sign_in(app, user.email, "Spring2026!!")
    refused = sign_in(app, users[4].email)
    assert refused.get("/").status_code == 302  # the fifth failure's address is held back, whoever it names
    elsewhere = sign_in(app, users[4].email, address="198.51.100.7")
    assert elsewhere.get("/").status_code == 200  # the same account from another network is not


def test_the_back_off_ends_and_the_owner_signs_in(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory, db: Session
) -> None:
    app = app_factory(replace(settings, login_free_failures=2, login_backoff_max_seconds=1))
    user = make.user()
    for _ in range(3):
        sign_in(app, user.email, "wrong-wrong-wrong", address=f"10.0.0.{_}")
    assert sign_in(app, user.email).get("/").status_code == 302  # waiting: even the right password waits
    time.sleep(1.1)
    assert sign_in(app, user.email).get("/").status_code == 200  # never locked out for long
    db.expire_all()
    reasons = [e.detail["reason"] for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))]
    assert reasons == ["password", "password", "password", "waiting"]


def test_back_off_doubles_up_to_its_cap() -> None:
    from limits.storage import MemoryStorage

    backoff = Backoff(MemoryStorage(), "t", free=2, first=15, cap=120)
    waits = [backoff.failed("Head@School.example") for _ in range(7)]
    assert waits == [0, 0, 15, 30, 60, 120, 120]
    assert 110 < backoff.wait("head@school.example ") <= 120  # the same account, however typed
    assert backoff.wait("someone.else@school.example") == 0
    backoff.succeeded("head@school.example")
    assert backoff.wait("head@school.example") == 0 and backoff.failed("head@school.example") == 0
    assert (in_words(40), in_words(60), in_words(61)) == ("40 seconds", "1 minute", "2 minutes")


OFF_SITE = [
    "/%09/evil.example/", "/\t/evil.example/", "//evil", "///evil", "/\\evil", "\\\\evil", "/\\/evil", "https://evil",
    "http:evil.example", "%2F%2Fevil", "/%2F%2Fevil", "/%252F%252Fevil", "%2f%5cevil", "/%0a/evil", "/%0d%0a/evil",
    " //evil", "/ /evil", "/%20/evil", "javascript:alert(1)", "//evil.example@good", "/%E3%80%80/evil", "\x00//evil",
    "evil.example", "", "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    with app.test_request_context():
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/app", "/trips/3?tab=photos", "/security/", "/post/trip/2#caption"])
def test_next_keeps_a_path_on_this_site(app: Flask, target: str) -> None:
    with app.test_request_context():
        assert safe_next(target) == target


@pytest.mark.parametrize("query", ["next=/%09/evil.example/", "next=%2F%2Fevil", "next=/%5Cevil", "next=https://evil"])
def test_the_login_form_redirects_home_for_an_off_site_next(auth: AuthActions, client: FlaskClient, make: Factory, query: str) -> None:
    user = make.user()
    response = client.post(f"/auth/login?{query}", data={"email": user.email, "password": PASSWORD, "csrf_token": auth.token()})
    assert response.status_code == 302 and response.headers["Location"] == "/"
