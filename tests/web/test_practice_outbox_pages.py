"""The practice outbox on the Networks page (connect, test, disconnect: senior leaders only) and its own pages."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.web.test_access import _routes
from tests.web.test_outbox import ALT_ONE, CAPTION, _Images, _jpeg
from tripposter.config import Settings
from tripposter.models import AuditEvent, Channel, ChannelKind, Role
from tripposter.publishers.base import Post, PostImage
from tripposter.publishers.outbox import PRACTICE_URL, OutboxPublisher
from tripposter.web.core.access import access_of

PAGES = {"outbox.practice_index", "outbox.practice_show", "outbox.practice_image"}


def _page(client: FlaskClient) -> str:
    return unescape(client.get("/networks/").get_data(as_text=True))


def test_a_senior_leader_connects_tests_and_disconnects_it_with_no_account(
    auth: AuthActions, make: Factory, client: FlaskClient, db: Session, settings: Settings,
) -> None:
    auth.login(make.user(Role.ADMIN))
    page = _page(client)
    assert "a folder on this server that behaves like a network" in page and "to train staff" in page
    assert "Connect the practice outbox" in page and 'href="/outbox/practice/"' in page

    assert auth.post("/networks/practice-outbox/connect", {}).status_code == 302
    page = _page(client)
    assert "is connected as a folder on this server" in page and "Connect the practice outbox" not in page
    channel = db.scalars(select(Channel)).one()
    assert channel.kind is ChannelKind.OUTBOX and settings.practice_outbox_path.is_dir()

    assert auth.post(f"/networks/{channel.id}/test").status_code == 302
    assert "Connected as a folder on this server." in _page(client)
    confirm = client.get(f"/networks/{channel.id}/disconnect").get_data(as_text=True)
    assert "Posts will stop going to the practice outbox" in confirm and "password" not in confirm
    response = auth.post(f"/networks/{channel.id}/disconnect")
    assert response.status_code == 302
    db.expire_all()
    assert not db.get(Channel, channel.id).active  # type: ignore[union-attr]
    page = _page(client)
    assert "is disconnected: no more posts go there." in page and "Connect the practice outbox" in page
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("channel.%"))
                              .order_by(AuditEvent.id)))
    assert actions == ["channel.connected", "channel.tested", "channel.disconnected"]


def test_a_folder_that_cannot_be_written_fails_the_test_and_says_what_to_do(
    auth: AuthActions, make: Factory, client: FlaskClient, db: Session, settings: Settings,
) -> None:
    auth.login(make.user(Role.ADMIN))
    assert auth.post("/networks/practice-outbox/connect", {}).status_code == 302
    channel = db.scalars(select(Channel)).one()
    settings.practice_outbox_path.rmdir()
    settings.practice_outbox_path.write_bytes(b"")  # a file where the folder was: nothing can be written
    try:
        assert auth.post(f"/networks/{channel.id}/test").status_code == 302
        page = _page(client)
        assert "refused" in page and "Ask whoever looks after the server" in page
    finally:
        settings.practice_outbox_path.unlink()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_other_roles_cannot_connect_it(role: Role, auth: AuthActions, client: FlaskClient, make: Factory,
                                       db: Session) -> None:
    auth.login(make.user(role))
    token = auth.token("/")
    assert client.post("/networks/practice-outbox/connect", data={"csrf_token": token}).status_code == 403
    assert db.scalars(select(Channel)).all() == []


def test_its_pages_show_its_posts_to_staff_like_the_outbox(
    auth: AuthActions, make: Factory, client: FlaskClient, settings: Settings, app: Flask,
) -> None:
    box = OutboxPublisher(settings.practice_outbox_path, url_prefix=PRACTICE_URL)
    sent = box.publish(Post(text=CAPTION, images=(PostImage(_jpeg((200, 40, 40)), ALT_ONE),)))
    assert sent.url == f"/outbox/practice/{sent.remote_id}"
    assert client.get(sent.url).status_code == 302  # signed out: to the sign-in page
    auth.login(make.user(Role.TRIP_LEAD))
    listing = client.get("/outbox/practice/").get_data(as_text=True)
    assert "<h1>Practice outbox</h1>" in listing
    assert _Images(listing).found == [(f"/outbox/practice/{sent.remote_id}/0.jpg", ALT_ONE)]
    assert f'href="/outbox/practice/{sent.remote_id}"' in listing
    assert "A wet and happy day" in client.get(sent.url).get_data(as_text=True)
    image = client.get(f"{sent.url}/0.jpg")
    assert image.data == box.image_path(sent.remote_id, 0).read_bytes()
    image.close()
    assert client.get(f"/outbox/{sent.remote_id}").status_code == 404  # not in the outbox itself
    assert client.get("/outbox/practice/not-a-post").status_code == 404
    walked = {endpoint for endpoint, _, _ in _routes(app)}
    assert walked >= PAGES  # so the role walk in test_access covers them
    for endpoint in PAGES:
        assert access_of(app, endpoint) == access_of(app, "outbox.show")
