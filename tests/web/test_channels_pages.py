"""The Networks page: connect each network through its real client (only HTTP intercepted), test, disconnect."""

from __future__ import annotations

import json
import logging
from html import unescape

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.channel_fakes import (  # noqa: F401 - pds and rsps are fixtures
    BLUESKY_FORM,
    BLUESKY_NAME,
    FACEBOOK_FORM,
    FACEBOOK_NAME,
    MASTODON_FORM,
    MASTODON_NAME,
    SECRETS,
    facebook_answers,
    mastodon_answers,
    pds,
    rsps,
)
from tests.conftest import AuthActions, Factory
from tests.publishers import test_mastodon_fakes as md
from tests.publishers.test_bluesky_pds import FakePDS
from tests.web.test_access import _routes
from tripposter.models import AuditEvent, Channel, ChannelKind, Role
from tripposter.web.core.access import access_of

ENDPOINTS = {"channels.index", "channels.connect", "channels.test", "channels.disconnect"}


@pytest.fixture
def admin(auth: AuthActions, make: Factory) -> AuthActions:
    auth.login(make.user(Role.ADMIN))
    return auth


def _page(client: FlaskClient) -> str:
    return unescape(client.get("/networks/").get_data(as_text=True))


def test_the_page_lists_x_and_each_network_and_says_where_posts_go_today(
    admin: AuthActions, client: FlaskClient
) -> None:
    page = _page(client)
    assert "Today posts go to the Outbox on this machine" in page and "arrives with the next update" in page
    assert 'href="/account/"' in page and 'href="/networks/"' in page  # the X page, and the navigation
    for label in ("Bluesky", "Mastodon", "Facebook Page"):
        assert f"Connect {label}" in page
    assert "Privacy and security → App passwords" in page and "write:statuses" in page and "Live" in page
    assert page.count('name="csrf_token"') >= 4


@pytest.mark.parametrize(("kind", "form", "name"), [
    ("bluesky", BLUESKY_FORM, BLUESKY_NAME),
    ("mastodon", MASTODON_FORM, MASTODON_NAME),
    ("facebook", FACEBOOK_FORM, FACEBOOK_NAME),
])
def test_each_network_connects_tests_and_disconnects(
    admin: AuthActions, client: FlaskClient, db: Session, pds: FakePDS, rsps: responses.RequestsMock,
    kind: str, form: dict[str, str], name: str,
) -> None:
    mastodon_answers(rsps)
    facebook_answers(rsps)
    response = admin.post(f"/networks/{kind}/connect", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = _page(client)
    assert f"is connected as {name}" in page and "Test connection" in page
    channel = db.scalars(select(Channel)).one()
    assert channel.kind is ChannelKind(kind)

    assert admin.post(f"/networks/{channel.id}/test").status_code == 302
    assert f"Connected as {name}." in _page(client)

    confirm = client.get(f"/networks/{channel.id}/disconnect").get_data(as_text=True)
    assert "Disconnect the school" in confirm and db.get(Channel, channel.id).active  # asking changes nothing
    assert admin.post(f"/networks/{channel.id}/disconnect").status_code == 302
    db.expire_all()
    assert db.execute(text("SELECT secret, active FROM channel")).one() == (None, False)
    assert "is disconnected" in _page(client)


def test_a_refused_connection_shows_the_message_stores_nothing_and_echoes_no_secret(
    admin: AuthActions, client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    mastodon_answers(rsps, token_ok=False)
    response = admin.post("/networks/mastodon/connect", MASTODON_FORM)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Nothing was saved." in page and "Preferences" in page
    assert MASTODON_FORM["access_token"] not in page
    assert 'value="https://mastodon.example/@ourschool"' in page or "mastodon.example/@ourschool" in page
    assert db.scalars(select(Channel)).all() == []


def test_wrong_shapes_are_shown_beside_their_fields_without_echoing_the_password(
    admin: AuthActions, db: Session, pds: FakePDS
) -> None:
    response = admin.post("/networks/bluesky/connect", {"identifier": "oakfield", "app_password": "MySchool2026!"})
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "A Bluesky handle looks like" in page and "do not use it here" in page
    assert "MySchool2026!" not in page and not pds.router.calls
    assert db.scalars(select(Channel)).all() == []


def test_forms_without_a_csrf_token_change_nothing(
    admin: AuthActions, client: FlaskClient, db: Session, rsps: responses.RequestsMock
) -> None:
    mastodon_answers(rsps)
    assert client.post("/networks/mastodon/connect", data=MASTODON_FORM).status_code == 400
    assert db.scalars(select(Channel)).all() == [] and not rsps.calls


def test_an_unknown_network_is_not_found(admin: AuthActions) -> None:
    assert admin.post("/networks/instagram/connect", {}).status_code == 404


def test_every_new_route_is_for_senior_leaders_only_and_in_the_role_walk(app: Flask) -> None:
    walked = {endpoint for endpoint, _, _ in _routes(app)}
    assert walked >= ENDPOINTS  # so test_each_role_is_refused_what_it_does_not_hold covers them
    for endpoint in ENDPOINTS:
        assert access_of(app, endpoint) == frozenset({Role.ADMIN})


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_other_roles_are_refused_every_networks_route(
    role: Role, auth: AuthActions, client: FlaskClient, make: Factory, db: Session, pds: FakePDS,
    rsps: responses.RequestsMock,
) -> None:
    auth.login(make.user(role))
    token = auth.token("/")
    for method, url in (("GET", "/networks/"), ("POST", "/networks/bluesky/connect"), ("POST", "/networks/1/test"),
                        ("GET", "/networks/1/disconnect"), ("POST", "/networks/1/disconnect")):
        data = {**BLUESKY_FORM, "csrf_token": token} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 403, (role, url)
    assert db.scalars(select(Channel)).all() == [] and not pds.router.calls
    assert 'href="/networks/"' not in client.get("/").get_data(as_text=True)


def test_no_secret_in_logs_or_audit_rows_from_the_pages(
    admin: AuthActions, db: Session, pds: FakePDS, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mastodon_answers(rsps)
    facebook_answers(rsps)
    for kind, form in (("bluesky", BLUESKY_FORM), ("mastodon", MASTODON_FORM), ("facebook", FACEBOOK_FORM)):
        assert admin.post(f"/networks/{kind}/connect", form).status_code == 302
    details = json.dumps([e.detail for e in db.scalars(select(AuditEvent))])
    for secret in SECRETS:
        assert secret not in caplog.text and secret not in details


def test_the_networks_page_shows_the_mastodon_servers_caption_limit_or_that_it_was_assumed(
    admin: AuthActions, client: FlaskClient, db: Session, rsps: responses.RequestsMock,
) -> None:
    md.register_instance(rsps, max_characters=1000)
    rsps.get(md.VERIFY_URL, json=md.account())
    assert admin.post("/networks/mastodon/connect", MASTODON_FORM).status_code == 302
    assert "1000 characters, as the server says" in _page(client)
    channel = db.scalars(select(Channel)).one()
    rsps.replace(responses.GET, md.INSTANCE_URL, status=404, json={"error": "Record not found"})
    rsps.get(f"{md.BASE}/api/v1/instance/", status=404, json={"error": "Record not found"})
    assert admin.post(f"/networks/{channel.id}/test").status_code == 302
    assert "500 characters (the server did not say its limit" in _page(client)
