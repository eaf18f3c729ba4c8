"""Sessions: a new one at each sign-in, idle and absolute limits, signing out everywhere, no remember-me."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, REDIS_URL, AuthActions, Factory
from tests.lifecycle import Clock
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role, User, UserSession
from tripposter.runtime import Runtime

COOKIE = "tripposter_session"


def session_of(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What the browser's session cookie holds, read with the app's own serializer."""
    cookie = client.get_cookie(COOKIE)
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))  # type: ignore[attr-defined]


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def user(make: Factory, rt: Runtime) -> User:
    return make.user(Role.OFFICE)


def test_sign_in_starts_a_new_session(app: Flask, auth: AuthActions, client: FlaskClient, user: User) -> None:
    auth.token()
    before = session_of(app, client)
    assert before.get("csrf_token") and "_user_id" not in before
    auth.login(user)
    after = session_of(app, client)
    assert "csrf_token" not in after  # nothing from before sign-in carries over
    client.get("/")
    assert session_of(app, client)["csrf_token"] != before["csrf_token"]
    assert after["_user_id"] == f"{user.id}:{user.session_version}"
    auth.post("/auth/logout")
    auth.login(user)
    again = session_of(app, client)
    assert again["nonce"] != after["nonce"] and again["sid"] != after["sid"]  # every sign-in is a new session


def test_the_session_cookie_is_not_permanent(auth: AuthActions, client: FlaskClient, user: User) -> None:
    token = auth.token()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
    assert "Expires" not in cookie and "Max-Age" not in cookie


def test_a_session_survives_a_change_of_address_and_records_each_one(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session, rt: Runtime
) -> None:
    """A phone on a coach hops between masts: every new address is noted, none is refused."""
    lead = make.user(Role.TRIP_LEAD)
    auth.login(lead)
    for address in ("10.1.1.1", "172.16.5.9", "2001:db8::7", "10.1.1.1"):
        assert client.get("/api/session", environ_base={"REMOTE_ADDR": address}).status_code == 200
    assert client.get("/", headers={"User-Agent": "Another browser/1.0"}).status_code == 200
    seen = db.scalars(select(UserSession)).one().addresses
    assert seen == ["127.0.0.1", "10.1.1.1", "172.16.5.9", "2001:db8::7"]
    auth.post("/auth/logout")
    ended = events(db, "auth.session_closed")[0].detail
    assert ended["reason"] == "signed_out" and ended["addresses"] == seen


def test_only_a_hash_of_the_session_token_is_stored(
    app: Flask, auth: AuthActions, client: FlaskClient, user: User, db: Session
) -> None:
    auth.login(user)
    token = session_of(app, client)["sid"]
    stored = db.scalars(select(UserSession.token_hash)).one()
    assert len(token) >= 40 and token not in stored and stored == hashlib.sha256(token.encode()).hexdigest()


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_is_dead(
    auth: AuthActions, client: FlaskClient, make: Factory, app: Flask, db: Session, rt: Runtime
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    auth.login(lead)
    copied = client.get_cookie(COOKIE).value  # type: ignore[union-attr]
    assert auth.post("/auth/logout").status_code == 302
    assert db.scalars(select(UserSession)).all() == []
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/api/session").status_code == 401
    assert thief.get("/api/trips/today").status_code == 401
    page = thief.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login")


def test_last_seen_is_written_at_most_once_a_minute(
    auth: AuthActions, client: FlaskClient, user: User, clock: Clock, db: Session
) -> None:
    auth.login(user)
    signed_in = db.scalars(select(UserSession.last_seen_at)).one()
    clock.now += timedelta(seconds=59)
    client.get("/")
    db.expire_all()
    assert db.scalars(select(UserSession.last_seen_at)).one() == signed_in
    clock.now += timedelta(seconds=1)
    client.get("/")
    db.expire_all()
    assert db.scalars(select(UserSession.last_seen_at)).one() == clock.now


def test_idle_sessions_end_after_two_hours(
    auth: AuthActions, client: FlaskClient, user: User, clock: Clock, db: Session
) -> None:
    auth.login(user)
    clock.now += timedelta(hours=1, minutes=59)
    assert client.get("/").status_code == 200  # activity moves the idle clock on
    clock.now += timedelta(hours=1, minutes=59)
    assert client.get("/").status_code == 200
    clock.now += timedelta(hours=2)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert "after 2 hours without activity" in client.get("/auth/login").get_data(as_text=True)
    assert [e.detail["reason"] for e in events(db, "auth.session_closed")] == ["idle"]
    assert db.scalars(select(UserSession)).all() == []
    clock.now -= timedelta(hours=2)
    assert client.get("/").status_code == 302  # ended for good: turning the clock back does not revive it


def test_sessions_end_twelve_hours_after_sign_in_whatever_happens(
    auth: AuthActions, client: FlaskClient, user: User, clock: Clock, db: Session
) -> None:
    auth.login(user)
    for _ in range(11):
        clock.now += timedelta(hours=1)
        assert client.get("/").status_code == 200
    clock.now += timedelta(minutes=59)
    assert client.get("/").status_code == 200
    clock.now += timedelta(minutes=1)
    assert client.get("/").status_code == 302
    assert [e.detail["reason"] for e in events(db, "auth.session_closed")] == ["absolute"]


def test_an_expired_session_gives_the_phone_page_a_json_401(
    auth: AuthActions, client: FlaskClient, make: Factory, clock: Clock, rt: Runtime
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    auth.login(lead)
    assert client.get("/api/session").status_code == 200
    clock.now += timedelta(hours=2)
    response = client.get("/api/session")
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401


def test_the_phone_pages_status_poll_is_not_activity(
    auth: AuthActions, client: FlaskClient, make: Factory, clock: Clock, rt: Runtime
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = make.trip(lead)
    auth.login(lead)
    for _ in range(7):  # a phone left on a table, polling every quarter of an hour
        clock.now += timedelta(minutes=15)
        assert client.get(f"/api/trips/{trip.id}/posts").status_code == 200
    clock.now += timedelta(minutes=15)
    assert client.get(f"/api/trips/{trip.id}/posts").status_code == 401


def test_time_limits_come_from_the_environment() -> None:
    defaults = Settings.from_env({}, instance_path="/tmp/x", secret_key="k", spool_key="s", token_key="t")
    assert (defaults.idle_timeout_minutes, defaults.absolute_timeout_minutes) == (120, 720)
    env = {"TRIPPOSTER_IDLE_TIMEOUT_MINUTES": "30", "TRIPPOSTER_ABSOLUTE_TIMEOUT_MINUTES": "480"}
    chosen = Settings.from_env(env, instance_path="/tmp/x", secret_key="k", spool_key="s", token_key="t")
    assert (chosen.idle_timeout_minutes, chosen.absolute_timeout_minutes) == (30, 480)


def test_configured_idle_limit_is_used(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory, clock: Clock
) -> None:
    from dataclasses import replace

    app = app_factory(replace(settings, idle_timeout_minutes=30))
    app.extensions["tripposter.runtime"].clock = clock
    client = app.test_client()
    AuthActions(client).login(make.user())
    clock.now += timedelta(minutes=30)
    assert client.get("/").status_code == 302


def test_sign_out_everywhere_kills_the_other_devices_cookie(
    app: Flask, auth: AuthActions, client: FlaskClient, user: User, db: Session
) -> None:
    phone = app.test_client()
    AuthActions(phone).login(user)
    auth.login(user)
    assert "Sign out everywhere" in client.get("/security/").get_data(as_text=True)
    response = auth.post("/security/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert phone.get("/").status_code == 302
    assert phone.get("/api/session").status_code == 401
    assert client.get("/").status_code == 302
    assert len(events(db, "auth.logout_everywhere")) == 1
    assert [e.detail["reason"] for e in events(db, "auth.session_closed")] == ["signed_out_everywhere"] * 2
    assert db.scalars(select(UserSession)).all() == []
    AuthActions(app.test_client()).login(user)  # signing in again works


def test_admin_ends_every_session_of_a_user(
    app: Flask, auth: AuthActions, client: FlaskClient, user: User, make: Factory, db: Session
) -> None:
    phone = app.test_client()
    AuthActions(phone).login(user)
    admin = make.user(Role.ADMIN)
    auth.login(admin)
    assert "End all sessions" in client.get("/users/").get_data(as_text=True)
    assert auth.post(f"/users/{user.id}/end-sessions").status_code == 302
    assert phone.get("/").status_code == 302  # the lost phone is signed out
    assert client.get("/users/").status_code == 200  # the admin is not
    event = events(db, "auth.sessions_ended")[0]
    assert (event.actor_id, event.subject_id) == (admin.id, str(user.id))
    ended = events(db, "auth.session_closed")
    assert [(e.actor_id, e.subject_id, e.detail["reason"]) for e in ended] == [(admin.id, str(user.id), "ended_by_senior_leader")]


def test_sign_out_is_audited_and_clears_the_cookie(
    app: Flask, auth: AuthActions, client: FlaskClient, user: User, db: Session
) -> None:
    auth.login(user)
    auth.post("/auth/logout")
    assert "_user_id" not in session_of(app, client)
    assert [e.detail["reason"] for e in events(db, "auth.session_closed")] == ["signed_out"]
    assert len(events(db, "auth.login")) == 1


def test_no_remember_me_cookie_is_ever_set(
    app: Flask, auth: AuthActions, client: FlaskClient, user: User, clock: Clock
) -> None:
    cookies: list[str] = []
    token = auth.token()
    steps = [
        lambda: client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}),
        lambda: client.get("/"),
        lambda: auth.post("/auth/logout"),
    ]
    for step in steps:
        cookies += step().headers.getlist("Set-Cookie")
    auth.login(user)
    clock.now += timedelta(hours=3)
    cookies += client.get("/").headers.getlist("Set-Cookie")
    assert cookies and not [c for c in cookies if c.startswith("remember_token=") and not c.startswith("remember_token=;")]


def test_a_remember_me_cookie_signs_no_one_in(app: Flask, client: FlaskClient, user: User) -> None:
    with app.test_request_context():
        forged = encode_cookie(user.get_id())  # validly signed with the app's own key
    client.set_cookie("remember_token", forged)
    assert client.get("/").status_code == 302
    assert client.get("/api/session").status_code == 401


def test_failed_sign_in_is_audited_with_the_email_as_typed_and_never_the_password(
    auth: AuthActions, client: FlaskClient, user: User, db: Session
) -> None:
    token = auth.token()
    client.post("/auth/login", data={"email": " Nobody@Example.org", "password": "guess-one-two", "csrf_token": token})
    client.post("/auth/login", data={"email": user.email, "password": "guess-three-four", "csrf_token": token})
    failed = events(db, "auth.login_failed")
    assert [(e.detail["email"], e.detail["reason"]) for e in failed] == [
        ("Nobody@Example.org", "unknown"), (user.email, "password")
    ]
    assert all(e.actor_id is None for e in failed)
    assert "guess" not in repr([e.detail for e in db.scalars(select(AuditEvent))])


def _redis_url() -> str:
    url = REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis answers at {url}")
    return url


def test_login_throttle_is_shared_between_processes_through_redis(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory
) -> None:
    """Two web processes on one Redis count one account's attempts together; another account is untouched."""
    from dataclasses import replace

    shared = replace(settings, ratelimit_storage_uri=_redis_url())
    first, second = app_factory(shared), app_factory(shared)
    victim, bystander = make.user(), make.user()

    def attempt(app: Flask, email: str, password: str, address: str) -> int:
        client = app.test_client()
        token = AuthActions(client).token()
        data = {"email": email, "password": password, "csrf_token": token}
        response = client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": address})
        assert (response.status_code == 302) != ("Wait" in response.get_data(as_text=True) or password != PASSWORD)
        return response.status_code

    for i in range(6):  # spread over both processes and many addresses: the sixth failure starts the back-off
        assert attempt((first, second)[i % 2], victim.email, "wrong-guess!", f"10.0.0.{i}") == 200
    assert attempt(second, victim.email, PASSWORD, "10.0.0.99") == 200  # held back, even with the right password
    assert attempt(first, victim.email, PASSWORD, "10.0.0.98") == 200
    assert attempt(second, bystander.email, PASSWORD, "10.0.0.97") == 302  # no lockout of anyone else
