"""Two-step sign-in: enrolment, the code step, reuse, drift, the school's requirement, turning off, reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, AuthActions, Factory
from tests.lifecycle import Clock
from tests.twostep import code, enrol
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role, SchoolSettings, User
from tripposter.runtime import Runtime
from tripposter.services.errors import ValidationError
from tripposter.services.people import two_factor
from tripposter.services.school.settings import get_school
from tripposter.web.core.database import session_factory


def password_step(client: FlaskClient, user: User, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    auth = AuthActions(client)
    return client.post("/auth/login", data={"email": user.email, "password": password, "csrf_token": auth.token()})


def code_step(client: FlaskClient, typed: str):  # type: ignore[no-untyped-def]
    token = AuthActions(client).token("/auth/code")
    return client.post("/auth/code", data={"code": typed, "csrf_token": token})


def sign_in(client: FlaskClient, user: User, typed: str):  # type: ignore[no-untyped-def]
    first = password_step(client, user)
    assert first.status_code == 302 and first.headers["Location"] == "/auth/code"
    return code_step(client, typed)


def actions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def enrolled(make: Factory, db: Session, settings: Settings, rt: Runtime, clock: Clock) -> tuple[User, str]:
    user = make.user(Role.OFFICE)
    return user, enrol(db, user, settings, clock.now)


def test_enrolment_shows_an_inline_qr_code_and_turns_on_with_a_first_code(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session, settings: Settings, rt: Runtime, clock: Clock
) -> None:
    user = make.user(Role.ADMIN)
    auth.login(user)
    html = client.get("/security/two-factor").get_data(as_text=True)
    assert "<svg" in html and "<path" in html and "<script" not in html and "style=" not in html
    secret = re.search(r'id="totp-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert client.get("/security/two-factor").get_data(as_text=True).count(_grouped(secret)) == 1  # same key on reload
    db.refresh(user)
    assert user.totp_secret is not None and secret.encode() not in user.totp_secret  # sealed at rest
    assert two_factor.SecretBox(settings.token_key).open(user.totp_secret) == secret
    assert not user.has_two_factor

    wrong = auth.post("/security/two-factor", {"code": "000000" if code(secret, clock.now) != "000000" else "111111"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    done = auth.post("/security/two-factor", {"code": code(secret, clock.now)})
    assert done.status_code == 302
    db.refresh(user)
    assert user.has_two_factor
    assert "auth.2fa_enrolled" in actions(db) and "auth.2fa_failed" in actions(db)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def test_sign_in_takes_the_password_then_the_code(
    app: Flask, client: FlaskClient, enrolled: tuple[User, str], clock: Clock, db: Session
) -> None:
    user, secret = enrolled
    assert password_step(client, user).headers["Location"] == "/auth/code"
    # Between the two steps nobody is signed in: no page, no API.
    assert client.get("/").status_code == 302
    assert client.get("/api/session").status_code == 401
    assert code_step(client, code(secret, clock.now)).status_code == 302
    assert client.get("/").status_code == 200
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [(e.detail["two_factor"], e.detail["method"]) for e in events] == [(True, "password+code")]


def test_a_code_is_refused_the_second_time(
    app: Flask, client: FlaskClient, enrolled: tuple[User, str], clock: Clock, db: Session
) -> None:
    user, secret = enrolled
    now_code = code(secret, clock.now)
    assert sign_in(client, user, now_code).status_code == 302
    other = app.test_client()
    refused = sign_in(other, user, now_code)
    assert refused.status_code == 200
    assert "That code has been used already" in refused.get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert "auth.2fa_reused" in actions(db)
    # An older code than the last one accepted is refused too, even within the drift window.
    assert "used already" in sign_in(app.test_client(), user, code(secret, clock.now, -1)).get_data(as_text=True)
    clock.now += timedelta(seconds=30)
    assert sign_in(app.test_client(), user, code(secret, clock.now)).status_code == 302  # the next one is fine


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_one_step_of_clock_drift_either_way_is_allowed(
    steps: int, accepted: bool, client: FlaskClient, make: Factory, db: Session, settings: Settings, rt: Runtime, clock: Clock
) -> None:
    user = make.user(Role.OFFICE)
    secret = enrol(db, user, settings, clock.now - timedelta(minutes=5))  # enrolled earlier: every step below is unused
    response = sign_in(client, user, code(secret, clock.now, steps))
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "That code is not right" in response.get_data(as_text=True)


def test_the_same_code_cannot_win_twice_even_from_stale_copies(
    app: Flask, enrolled: tuple[User, str], settings: Settings, clock: Clock
) -> None:
    """Two requests that both loaded the user before either stored the step: only one may pass."""
    user, secret = enrolled
    box = two_factor.SecretBox(settings.token_key)
    sessions = session_factory(app)
    with sessions() as first, sessions() as second:
        mine, theirs = first.get(User, user.id), second.get(User, user.id)
        assert mine is not None and theirs is not None
        assert mine.totp_last_step == theirs.totp_last_step  # both saw the same, older step
        two_factor.check_code(first, mine, box, code(secret, clock.now), clock.now)
        first.commit()
        with pytest.raises(ValidationError, match="used already"):
            two_factor.check_code(second, theirs, box, code(secret, clock.now), clock.now)


def test_the_code_step_lasts_five_minutes(client: FlaskClient, enrolled: tuple[User, str], clock: Clock) -> None:
    user, secret = enrolled
    password_step(client, user)
    clock.now += timedelta(minutes=5, seconds=1)
    response = client.get("/auth/code")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert client.get("/").status_code == 302


def test_the_code_step_keeps_where_the_user_was_going(client: FlaskClient, enrolled: tuple[User, str], clock: Clock) -> None:
    """The phone page's "sign in again" link goes to /auth/login?next=/app: the code step must land there too."""
    user, secret = enrolled
    token = AuthActions(client).token()
    client.post("/auth/login?next=/app", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert code_step(client, code(secret, clock.now)).headers["Location"] == "/app"


def test_code_attempts_are_throttled_per_account(
    app: Flask, client: FlaskClient, enrolled: tuple[User, str], make: Factory, db: Session, settings: Settings, clock: Clock
) -> None:
    user, secret = enrolled
    password_step(client, user)
    token = AuthActions(client).token("/auth/code")
    wrong = "000000" if code(secret, clock.now) != "000000" else "111111"
    for _ in range(5):
        client.post("/auth/code", data={"code": wrong, "csrf_token": token})
    throttled = client.post("/auth/code", data={"code": code(secret, clock.now), "csrf_token": token})
    assert throttled.status_code == 429
    assert "Too many codes tried" in throttled.get_data(as_text=True)
    # Someone else, elsewhere, is not locked out by it.
    other = make.user(Role.ADMIN)
    other_secret = enrol(db, other, settings, clock.now)
    elsewhere = app.test_client()
    auth = AuthActions(elsewhere)
    elsewhere.post("/auth/login", data={"email": other.email, "password": PASSWORD, "csrf_token": auth.token()},
                   environ_base={"REMOTE_ADDR": "10.1.2.3"})
    response = elsewhere.post("/auth/code", data={"code": code(other_secret, clock.now), "csrf_token": auth.token("/auth/code")},
                              environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302


def _require(db: Session, on: bool = True) -> None:
    get_school(db).require_two_factor = on
    db.commit()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICE])
def test_when_the_school_requires_it_enrolment_comes_first(
    role: Role, auth: AuthActions, client: FlaskClient, make: Factory, db: Session, rt: Runtime, clock: Clock
) -> None:
    _require(db)
    user = make.user(role)
    auth.login(user)
    for path in ("/", "/trips/", "/security/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/security/two-factor", path
    assert client.get("/api/session").status_code == 401
    html = client.get("/security/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")  # type: ignore[union-attr]
    token = auth.token("/security/two-factor")  # the only page with a form they may open
    client.post("/security/two-factor", data={"code": code(secret, clock.now), "csrf_token": token})
    assert client.get("/").status_code == 200


def test_trip_leads_are_not_forced_but_may_opt_in(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session, settings: Settings, rt: Runtime, clock: Clock
) -> None:
    _require(db)
    lead = make.user(Role.TRIP_LEAD)
    auth.login(lead)
    assert client.get("/").status_code == 200
    assert client.get("/security/two-factor").status_code == 200


def test_requirement_reaches_someone_already_signed_in(auth: AuthActions, client: FlaskClient, make: Factory, db: Session) -> None:
    user = make.user(Role.OFFICE)
    auth.login(user)
    assert client.get("/").status_code == 200
    _require(db)
    assert client.get("/").headers["Location"] == "/security/two-factor"


def test_admin_sets_the_requirement_on_the_school_settings_page(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session
) -> None:
    auth.login(make.user(Role.ADMIN))
    html = client.get("/school/").get_data(as_text=True)
    assert 'name="require_two_factor"' in html
    form = {
        "name": "Test School", "timezone": "Europe/London", "retention_hours": "24",
        "banned_words": "lol", "require_two_factor": "y",
    }
    assert auth.post("/school/", form).status_code == 302
    db.expire_all()
    assert db.scalars(select(SchoolSettings)).one().require_two_factor
    assert "auth.2fa_required" in actions(db)


def test_turning_off_needs_a_current_code_and_is_refused_when_required(
    auth: AuthActions, client: FlaskClient, enrolled: tuple[User, str], db: Session, clock: Clock
) -> None:
    user, secret = enrolled
    sign_in(client, user, code(secret, clock.now))
    clock.now += timedelta(seconds=30)
    _require(db)
    auth.post("/security/two-factor/off", {"off-code": code(secret, clock.now)})
    db.refresh(user)
    assert user.has_two_factor  # the school requires it for office staff
    _require(db, False)
    auth.post("/security/two-factor/off", {"off-code": "12345"})
    db.refresh(user)
    assert user.has_two_factor  # no valid code, no change
    auth.post("/security/two-factor/off", {"off-code": code(secret, clock.now)})
    db.refresh(user)
    assert not user.has_two_factor and user.totp_secret is None
    assert "auth.2fa_disabled" in actions(db)
    auth.post("/auth/logout")
    assert password_step(client, user).headers["Location"] == "/"  # password alone again


def test_admin_resets_someones_two_factor(
    app: Flask, auth: AuthActions, client: FlaskClient, enrolled: tuple[User, str], make: Factory, db: Session
) -> None:
    user, _secret = enrolled
    admin = make.user(Role.ADMIN)
    auth.login(admin)
    assert "Reset two-step sign-in" in client.get("/users/").get_data(as_text=True)
    assert auth.post(f"/users/{user.id}/reset-two-factor").status_code == 302
    db.refresh(user)
    assert not user.has_two_factor and user.totp_secret is None
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.2fa_reset")).one()
    assert (event.actor_id, event.subject_id) == (admin.id, str(user.id))
    assert password_step(app.test_client(), user).headers["Location"] == "/"


def test_audit_details_hold_no_secret_or_code(
    app: Flask, client: FlaskClient, enrolled: tuple[User, str], db: Session, clock: Clock
) -> None:
    user, secret = enrolled
    sign_in(client, user, "999999" if code(secret, clock.now) != "999999" else "888888")
    code_step(client, code(secret, clock.now))
    password_step(app.test_client(), user, "not-the-password")
    text = repr([(e.action, e.detail) for e in db.scalars(select(AuditEvent))])
    assert secret not in text and code(secret, clock.now) not in text and "999999" not in text
    assert PASSWORD not in text and "not-the-password" not in text
