"""Senior leaders manage staff accounts and the school's settings."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.models import Role, User
from tripposter.services.school.settings import get_school


def test_admin_creates_a_user_who_can_sign_in(auth: AuthActions, make: Factory, db: Session, app: Flask) -> None:
    auth.login(make.user(Role.ADMIN))
    response = auth.post(
        "/users/new",
        {"email": "New.Teacher@School.test", "display_name": "New Teacher", "role": "trip_lead", "password": "long-enough-pw"},
    )
    assert response.status_code == 302
    AuthActions(app.test_client()).login("new.teacher@school.test", "long-enough-pw")


def test_duplicate_email_and_short_password_are_refused(auth: AuthActions, make: Factory) -> None:
    existing = make.user(Role.OFFICE)
    auth.login(make.user(Role.ADMIN))
    html = auth.post(
        "/users/new", {"email": existing.email, "display_name": "X", "role": "office", "password": "long-enough-pw"}
    ).get_data(as_text=True)
    assert "Someone already signs in with this email address." in html
    html = auth.post(
        "/users/new", {"email": "a@b.test", "display_name": "X", "role": "office", "password": "short"}
    ).get_data(as_text=True)
    assert "Use at least 10 characters." in html


def test_disable_ends_the_users_sessions(auth: AuthActions, make: Factory, app: Flask, db: Session) -> None:
    lead = make.user(Role.TRIP_LEAD)
    phone = app.test_client()
    AuthActions(phone).login(lead)
    assert phone.get("/").status_code == 200
    auth.login(make.user(Role.ADMIN))
    auth.post(f"/users/{lead.id}/active")
    assert phone.get("/").status_code == 302  # the lost phone is signed out
    db.refresh(lead)
    assert not lead.is_active


def test_admin_cannot_disable_themselves(auth: AuthActions, make: Factory, client: FlaskClient, db: Session) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin)
    auth.post(f"/users/{admin.id}/active")
    db.refresh(admin)
    assert admin.is_active
    assert "You cannot disable your own account" in client.get("/users/").get_data(as_text=True)


def test_reset_password_shows_a_new_one_once(auth: AuthActions, make: Factory, app: Flask) -> None:
    lead = make.user(Role.TRIP_LEAD)
    auth.login(make.user(Role.ADMIN))
    html = auth.post(f"/users/{lead.id}/reset-password").get_data(as_text=True)
    password = re.search(r'class="secret">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    AuthActions(app.test_client()).login(lead, password)


def _school_form(**over: str) -> dict[str, str]:
    data = {
        "name": "Hogarth School",
        "timezone": "Europe/London",
        "required_hashtags": "#Chiswick W4 #LBofHounslow",
        "allowed_handles": "@LocalMuseum bramblehill",
        "banned_words": "lol gr8 l8r",
        "retention_hours": "24",
        "first_names_allowed": "y",
        "mon_start": "08:00",
        "mon_end": "18:00",
        "sat_start": "10:00",
        "sat_end": "12:00",
    }
    data.update(over)
    return data


def test_admin_saves_school_settings(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.ADMIN))
    assert auth.post("/school/", _school_form()).status_code == 302
    school = get_school(db)
    db.refresh(school)
    assert school.required_hashtags == "#Chiswick #W4 #LBofHounslow"
    assert school.allowed_handles == "@LocalMuseum @bramblehill"
    assert school.first_names_allowed and not school.allow_blurred_without_consent
    assert school.posting_hours["mon"] == ["08:00", "18:00"]
    assert school.posting_hours["tue"] is None and school.posting_hours["sat"] == ["10:00", "12:00"]


def test_school_settings_refuse_bad_values(auth: AuthActions, make: Factory) -> None:
    auth.login(make.user(Role.ADMIN))
    html = auth.post(
        "/school/", _school_form(timezone="Mars/Olympus", mon_end="07:00", allowed_handles="@way_too_long_handle_x")
    ).get_data(as_text=True)
    assert "Posting must end after it starts." in html
    assert "is not an X handle" in html
    assert "Choose a time zone from the list" in html


def test_default_school_hours_are_weekdays_eight_to_six(db: Session) -> None:
    school = get_school(db)
    assert school.timezone == "Europe/London"
    assert [school.hours_for(d) is not None for d in range(7)] == [True] * 5 + [False] * 2
    assert str(school.hours_for(0)) == "(datetime.time(8, 0), datetime.time(18, 0))"
    assert not school.first_names_allowed


def test_user_model_never_exposes_password_in_repr(make: Factory) -> None:
    user: User = make.user()
    assert "argon2" not in repr(user) and user.password_hash.startswith("$argon2id$")
