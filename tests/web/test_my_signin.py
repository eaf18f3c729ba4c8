"""My sign-in: your sessions listed with their device and times, ended one by one; every ending audited."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, AuthActions, Factory
from tests.lifecycle import Clock
from tripposter.models import AuditEvent, Role, UserSession
from tripposter.runtime import Runtime

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36"
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0"


def reasons(db: Session) -> list[tuple[int | None, str]]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == "auth.session_closed").order_by(AuditEvent.id)
    return [(e.actor_id, e.detail["reason"]) for e in db.scalars(query)]


def device(app: Flask, user_agent: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def test_my_sign_in_lists_each_session_and_ends_the_one_chosen(app: Flask, make: Factory, db: Session) -> None:
    user = make.user(Role.TRIP_LEAD)
    phone, laptop = device(app, PHONE), device(app, LAPTOP)
    AuthActions(phone).login(user)
    me = AuthActions(laptop)
    me.login(user)
    html = laptop.get("/security/").get_data(as_text=True)
    assert "Chrome on Android" in html and "Edge on Windows" in html and "This device" in html
    phone_row = db.scalars(select(UserSession).where(UserSession.device == "Chrome on Android")).one()
    assert me.post(f"/security/sessions/{phone_row.id}/end").status_code == 302
    assert phone.get("/api/session").status_code == 401
    assert laptop.get("/").status_code == 200
    assert reasons(db) == [(user.id, "ended_by_user")]
    assert "Chrome on Android" not in laptop.get("/security/").get_data(as_text=True)


def test_ending_this_session_signs_out_here(app: Flask, make: Factory, db: Session) -> None:
    user = make.user()
    me = AuthActions(app.test_client())
    me.login(user)
    row = db.scalars(select(UserSession)).one()
    response = me.post(f"/security/sessions/{row.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert me.client.get("/").status_code == 302


def test_nobody_ends_another_persons_session_from_my_sign_in(app: Flask, make: Factory, db: Session) -> None:
    victim, other = make.user(), make.user()
    theirs = app.test_client()
    AuthActions(theirs).login(victim)
    row = db.scalars(select(UserSession)).one()
    me = AuthActions(app.test_client())
    me.login(other)
    me.post(f"/security/sessions/{row.id}/end")
    assert theirs.get("/").status_code == 200 and reasons(db) == []


def test_password_change_reset_and_disable_end_sessions_with_their_reason(app: Flask, make: Factory, db: Session) -> None:
    user, head = make.user(), make.user(Role.ADMIN)
    phone, here = app.test_client(), AuthActions(app.test_client())
    AuthActions(phone).login(user)
    here.login(user)
    new = "a-brand-new-password"
    here.post("/auth/password", {"current_password": PASSWORD, "new_password": new, "confirm": new})
    assert phone.get("/").status_code == 302 and here.client.get("/").status_code == 200
    admin = AuthActions(app.test_client())
    admin.login(head)
    admin.post(f"/users/{user.id}/reset-password")
    assert here.client.get("/").status_code == 302
    assert reasons(db) == [(user.id, "password_changed"), (head.id, "password_reset")]


def test_disabling_an_account_ends_its_sessions(app: Flask, make: Factory, db: Session) -> None:
    user, head = make.user(), make.user(Role.ADMIN)
    phone = app.test_client()
    AuthActions(phone).login(user)
    admin = AuthActions(app.test_client())
    admin.login(head)
    admin.post(f"/users/{user.id}/active")
    assert phone.get("/").status_code == 302
    assert reasons(db) == [(head.id, "disabled")]


def test_a_session_whose_phone_never_came_back_is_ended_not_left_listed(
    app: Flask, make: Factory, db: Session, clock: Clock, rt: Runtime
) -> None:
    user = make.user()
    AuthActions(device(app, PHONE)).login(user)  # the phone is left on the coach, never used again
    clock.now += timedelta(hours=1)
    laptop = device(app, LAPTOP)
    me = AuthActions(laptop)
    me.login(user)
    clock.now += timedelta(hours=1, minutes=30)  # the phone's session is now past its idle limit
    assert "Chrome on Android" not in laptop.get("/security/").get_data(as_text=True)
    assert reasons(db) == [(None, "idle")]
    assert [row.device for row in db.scalars(select(UserSession))] == ["Edge on Windows"]
