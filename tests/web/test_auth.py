"""Signing in, CSRF, the login throttle, passwords and session endings."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, AuthActions, Factory
from tripposter.models import AuditEvent, Role


def test_login_page_is_public_and_has_labels(client: FlaskClient) -> None:
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html


def test_demo_like_user_can_sign_in_and_out(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    user = make.user(Role.OFFICE)
    auth.login(user)
    assert f"Hello, {user.display_name}" in client.get("/").get_data(as_text=True)
    response = auth.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_session_cookie_flags(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    auth.token()
    response = client.post(
        "/auth/login", data={"email": make.user().email, "password": PASSWORD, "csrf_token": auth.token()}
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_is_refused_and_audited(auth: AuthActions, make: Factory, client: FlaskClient, db: Session) -> None:
    user = make.user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "wrong-password", "csrf_token": auth.token()}
    )
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)
    actions = db.scalars(select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions


def test_login_without_csrf_token_is_rejected(client: FlaskClient, make: Factory) -> None:
    user = make.user()
    client.get("/auth/login")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_form_post_without_csrf_token_is_rejected(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    admin = make.user(Role.ADMIN)
    target = make.user(Role.TRIP_LEAD)
    auth.login(admin)
    response = client.post(f"/users/{target.id}/active", data={})
    assert response.status_code in (302, 400)
    make.session.refresh(target)
    assert target.is_active


def test_repeated_failures_make_the_account_wait_even_for_the_right_password(
    auth: AuthActions, make: Factory, client: FlaskClient
) -> None:
    user = make.user()
    token = auth.token()
    for _ in range(6):  # five are free; the sixth starts the back-off
        response = client.post("/auth/login", data={"email": user.email, "password": "nope-nope", "csrf_token": token})
        assert "do not match an active account" in response.get_data(as_text=True)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200  # the page again, with a sentence: not an error page
    assert "Wait 15 seconds, then try again, or sign in with your passkey" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_throttle_on_one_account_does_not_lock_another(auth: AuthActions, make: Factory, app, client) -> None:  # type: ignore[no-untyped-def]
    victim, other = make.user(), make.user()
    token = auth.token()
    for _ in range(5):
        client.post("/auth/login", data={"email": victim.email, "password": "x" * 12, "csrf_token": token})
    # A different address signing in to a different account is not affected by the attack.
    other_client = app.test_client()
    other_auth = AuthActions(other_client)
    response = other_client.post(
        "/auth/login",
        data={"email": other.email, "password": PASSWORD, "csrf_token": other_auth.token()},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_change_password_signs_out_other_sessions(auth: AuthActions, make: Factory, app, client) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.TRIP_LEAD)
    other = app.test_client()
    AuthActions(other).login(user)
    auth.login(user)
    response = auth.post(
        "/auth/password",
        {"current_password": PASSWORD, "new_password": "a-new-long-password", "confirm": "a-new-long-password"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this device stays signed in
    assert other.get("/").status_code == 302  # the other device is signed out
    AuthActions(app.test_client()).login(user.email, "a-new-long-password")


def test_change_password_refuses_wrong_current_and_short_new(auth: AuthActions, make: Factory) -> None:
    auth.login(make.user())
    html = auth.post(
        "/auth/password", {"current_password": "not-it-at-all", "new_password": "short", "confirm": "short"}
    ).get_data(as_text=True)
    assert "That is not your current password." in html


def test_next_parameter_cannot_redirect_off_site(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    user = make.user()
    response = client.post(
        "/auth/login?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": auth.token()},
    )
    assert response.headers["Location"] == "/"
