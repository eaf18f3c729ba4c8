"""Connecting the school's X account through the web pages: real tweepy, HTTP intercepted by `responses`."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role
from tripposter.publishers.x_connect import TokenBox, XTokens
from tripposter.services.networks.x_account import get_account, load_tokens, pause, save_tokens
from tripposter.services.school.settings import get_school

REQUEST_TOKEN_URL = "https://api.twitter.com/oauth/request_token"
ACCESS_TOKEN_URL = "https://api.twitter.com/oauth/access_token"
FORM = "application/x-www-form-urlencoded"
REQ_TOKEN, REQ_SECRET = "req-tok-8f2", "req-secret-c41d"
ACCESS_TOKEN, ACCESS_SECRET = "42-acc-tok-9e7b", "acc-secret-5a0f"
SECRETS = (REQ_SECRET, ACCESS_TOKEN, ACCESS_SECRET)


@pytest.fixture
def x_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, publisher="x", x_consumer_key="ck", x_consumer_secret="cs")


@pytest.fixture
def x_app(x_settings: Settings, app_factory: Callable[[Settings], Flask]) -> Flask:
    return app_factory(x_settings)


@pytest.fixture
def x_client(x_app: Flask) -> FlaskClient:
    return x_app.test_client()


@pytest.fixture
def x_auth(x_client: FlaskClient, make: Factory) -> AuthActions:
    """An admin signed in to the app that publishes to X (same database as `db` and `make`)."""
    auth = AuthActions(x_client)
    auth.login(make.user(Role.ADMIN))
    return auth


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _start(rsps: responses.RequestsMock, x_auth: AuthActions) -> str:
    rsps.post(
        REQUEST_TOKEN_URL,
        body=f"oauth_token={REQ_TOKEN}&oauth_token_secret={REQ_SECRET}&oauth_callback_confirmed=true",
        content_type=FORM,
    )
    response = x_auth.post("/account/connect")
    assert response.status_code == 302
    return response.headers["Location"]


def _authorization(rsps: responses.RequestsMock, index: int) -> str:
    header = rsps.calls[index].request.headers["Authorization"]
    return header.decode() if isinstance(header, bytes) else header


def _flashes(client: FlaskClient) -> str:
    return unescape(client.get("/account/").get_data(as_text=True))


def test_connect_flow_stores_encrypted_tokens(
    rsps: responses.RequestsMock, x_auth: AuthActions, x_app: Flask, x_settings: Settings, db: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    location = _start(rsps, x_auth)

    parts = urlsplit(location)
    assert (parts.netloc, parts.path) == ("api.twitter.com", "/oauth/authorize")
    assert parse_qs(parts.query) == {"oauth_token": [REQ_TOKEN]}
    assert 'oauth_callback="http%3A%2F%2Flocalhost%2Faccount%2Fcallback"' in _authorization(rsps, 0)
    cookie = x_auth.client.get_cookie("tripposter_session")
    assert cookie is not None
    stored = x_app.session_interface.get_signing_serializer(x_app).loads(cookie.value)  # type: ignore[attr-defined]
    assert REQ_TOKEN not in json.dumps(stored) and REQ_SECRET not in json.dumps(stored)  # only ciphertext

    rsps.post(
        ACCESS_TOKEN_URL,
        body=f"oauth_token={ACCESS_TOKEN}&oauth_token_secret={ACCESS_SECRET}&user_id=42&screen_name=ourschool",
        content_type=FORM,
    )
    response = x_auth.client.get(f"/account/callback?oauth_token={REQ_TOKEN}&oauth_verifier=verif-77")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert 'oauth_verifier="verif-77"' in _authorization(rsps, 1)

    raw = db.execute(text("SELECT tokens FROM x_account")).scalar_one()
    assert all(secret.encode() not in raw for secret in SECRETS)
    assert load_tokens(db, TokenBox(x_settings.token_key)) == XTokens(ACCESS_TOKEN, ACCESS_SECRET, "42", "ourschool")
    page = _flashes(x_auth.client)
    assert "The school's X account @ourschool is connected." in page
    assert "Connected" in page and "@ourschool" in page and "Posts go to X" in page
    audit = json.dumps([[e.action, e.detail] for e in db.scalars(select(AuditEvent))])
    assert "x.connected" in audit
    assert all(secret not in audit for secret in SECRETS)
    assert all(secret not in caplog.text for secret in (*SECRETS, "verif-77"))
    assert x_auth.client.get(f"/account/callback?oauth_token={REQ_TOKEN}&oauth_verifier=verif-77").status_code == 302
    assert len(rsps.calls) == 2  # the request token was used once and dropped


def test_cancelling_on_x_stores_nothing(rsps: responses.RequestsMock, x_auth: AuthActions, db: Session) -> None:
    _start(rsps, x_auth)
    x_auth.client.get(f"/account/callback?denied={REQ_TOKEN}")
    assert "You cancelled on X" in _flashes(x_auth.client)
    assert get_account(db) is None and len(rsps.calls) == 1


def test_a_refused_verifier_stores_nothing(rsps: responses.RequestsMock, x_auth: AuthActions, db: Session) -> None:
    _start(rsps, x_auth)
    rsps.post(ACCESS_TOKEN_URL, status=401, body="Invalid oauth_verifier parameter")
    x_auth.client.get(f"/account/callback?oauth_token={REQ_TOKEN}&oauth_verifier=wrong")
    page = _flashes(x_auth.client)
    assert "X did not finish connecting the account" in page and "Not connected" in page
    assert get_account(db) is None


def test_a_callback_for_another_request_is_refused(
    rsps: responses.RequestsMock, x_auth: AuthActions, db: Session
) -> None:
    _start(rsps, x_auth)
    x_auth.client.get("/account/callback?oauth_token=someone-elses&oauth_verifier=v")
    assert "belongs to a different request" in _flashes(x_auth.client)
    assert get_account(db) is None and len(rsps.calls) == 1


def test_a_callback_without_a_started_connection_is_refused(
    rsps: responses.RequestsMock, x_auth: AuthActions, db: Session
) -> None:
    x_auth.client.get(f"/account/callback?oauth_token={REQ_TOKEN}&oauth_verifier=v")
    assert "was not started in this browser" in _flashes(x_auth.client)
    assert get_account(db) is None and len(rsps.calls) == 0


def test_x_refusing_the_app_keys_is_explained(rsps: responses.RequestsMock, x_auth: AuthActions) -> None:
    rsps.post(REQUEST_TOKEN_URL, status=401, body="Could not authenticate you.")
    response = x_auth.post("/account/connect")
    assert response.headers["Location"] == "/account/"
    assert "Check the app's keys and callback URL" in _flashes(x_auth.client)


def test_outbox_mode_explains_what_to_set(
    auth: AuthActions, make: Factory, client: FlaskClient, rsps: responses.RequestsMock
) -> None:
    auth.login(make.user(Role.ADMIN))
    page = unescape(client.get("/account/").get_data(as_text=True))
    assert "Posts stay on this machine, in the Outbox. Nothing reaches X." in page
    assert 'href="/outbox/"' in page
    response = auth.post("/account/connect")
    assert response.headers["Location"] == "/account/"
    page = unescape(client.get("/account/").get_data(as_text=True))
    assert "TRIPPOSTER_PUBLISHER=x" in page and "TRIPPOSTER_X_CONSUMER_SECRET" in page
    assert len(rsps.calls) == 0


def test_missing_keys_are_explained(
    settings: Settings, make: Factory, rsps: responses.RequestsMock, app_factory: Callable[[Settings], Flask]
) -> None:
    auth = AuthActions(app_factory(dataclasses.replace(settings, publisher="x")).test_client())
    auth.login(make.user(Role.ADMIN))
    auth.post("/account/connect")
    page = unescape(auth.client.get("/account/").get_data(as_text=True))
    assert "The app's X keys are not set" in page and "Connect the X account" not in page
    assert len(rsps.calls) == 0


def test_status_shows_pause_reminder_and_limits(x_auth: AuthActions, x_settings: Settings, db: Session) -> None:
    long_ago = datetime(2020, 1, 2, 12, tzinfo=UTC)
    account = save_tokens(db, None, TokenBox(x_settings.token_key), XTokens("t", "s", "42", "ourschool"), long_ago)
    account.daily_limit, account.daily_remaining = 17, 4
    account.daily_reset_at = datetime.now(UTC) + timedelta(hours=3)
    pause(db, "X refused the saved tokens.")
    db.commit()
    page = unescape(x_auth.client.get("/account/").get_data(as_text=True))
    assert "Posting to X is paused" in page and "X refused the saved tokens." in page and "Reconnect" in page
    assert "2 January 2020" in page and "before this term began" in page
    assert "4 of 17" in page
    assert "costs far more" in page


def test_disconnect_forgets_tokens(x_auth: AuthActions, x_settings: Settings, db: Session) -> None:
    save_tokens(db, None, TokenBox(x_settings.token_key), XTokens("t", "s", "42", "ourschool"), datetime.now(UTC))
    db.commit()
    x_auth.post("/account/disconnect")
    db.expire_all()
    assert get_account(db).tokens is None  # type: ignore[union-attr]
    assert "Not connected" in _flashes(x_auth.client)
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "x.disconnected")).one()


def test_resume_clears_a_pause_and_is_audited(x_auth: AuthActions, x_settings: Settings, db: Session) -> None:
    save_tokens(db, None, TokenBox(x_settings.token_key), XTokens("t", "s", "42", "ourschool"), datetime.now(UTC))
    pause(db, "X says the school's API credits have run out. Press Resume on the X channel.")
    db.commit()
    page = unescape(x_auth.client.get("/account/").get_data(as_text=True))
    assert "credits have run out" in page and ">Resume</button>" in page
    x_auth.post("/account/resume")
    db.expire_all()
    assert get_account(db).paused_reason == ""  # type: ignore[union-attr]
    assert "Posting to X has resumed" in _flashes(x_auth.client)
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "x.resumed")).one()
    x_auth.post("/account/resume")  # nothing paused any more: said plainly, nothing changes
    assert "not paused" in _flashes(x_auth.client)


def test_reply_settings_are_saved(x_auth: AuthActions, db: Session) -> None:
    x_auth.post("/account/", {"reply_settings": "following"})
    db.expire_all()
    assert get_school(db).reply_settings == "following"
    html = x_auth.post("/account/", {"reply_settings": "everyone"}).get_data(as_text=True)
    assert 'class="error"' in html
    db.expire_all()
    assert get_school(db).reply_settings == "following"


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_only_senior_leaders_reach_the_account_pages(
    role: Role, auth: AuthActions, make: Factory, client: FlaskClient
) -> None:
    auth.login(make.user(role))
    token = auth.token("/")
    for method, path in [("GET", "/account/"), ("POST", "/account/"), ("POST", "/account/connect"),
                         ("GET", "/account/callback?oauth_token=a&oauth_verifier=b"), ("POST", "/account/disconnect"), ("POST", "/account/resume")]:
        assert client.open(path, method=method, data={"csrf_token": token}).status_code == 403, path
