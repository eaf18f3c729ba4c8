"""Connecting Bluesky, Mastodon and a Facebook Page: real client libraries, only HTTP intercepted."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import responses
from cryptography.fernet import Fernet
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
from tests.conftest import Factory
from tests.publishers.test_bluesky_pds import PASSWORD, FakePDS, session_string
from tests.publishers.test_facebook_fakes import PAGE_ID
from tests.publishers.test_mastodon_fakes import BASE
from tripposter.config import Settings
from tripposter.models import AuditEvent, Channel, ChannelKind, Role, User
from tripposter.publishers.base import NeedsReconnectError
from tripposter.publishers.bluesky import BlueskyPublisher
from tripposter.publishers.facebook import FacebookPublisher
from tripposter.publishers.mastodon import MastodonPublisher
from tripposter.services.errors import ServiceError, ValidationError
from tripposter.services.networks import channels
from tripposter.services.networks.channel_publishers import ChannelSecretBox, publisher_for_channel

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin(make: Factory) -> User:
    return make.user(Role.ADMIN)


def _raw_secrets(db: Session) -> list[bytes]:
    return [bytes(row) for row in db.execute(text("SELECT secret FROM channel WHERE secret IS NOT NULL")).scalars()]


def _audit(db: Session) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action.like("channel.%")).order_by(AuditEvent.id)))


def test_bluesky_connects_with_one_sign_in_and_keeps_the_session_sealed(
    db: Session, admin: User, settings: Settings, pds: FakePDS
) -> None:
    channel = channels.connect(db, admin, settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, NOW)
    db.commit()

    assert channel.display_name == BLUESKY_NAME
    assert channel.settings == {"handle": "oakfield.bsky.social", "service": "https://bsky.social"}
    assert pds.calls["com.atproto.server.createSession"] == 1
    (raw,) = _raw_secrets(db)
    assert PASSWORD.encode() not in raw and b"oakfield" not in raw
    secrets = ChannelSecretBox(settings.token_key).open(raw)
    assert secrets["app_password"] == PASSWORD and secrets["session"].count(":::") == 4
    assert [(e.action, e.actor_id, e.detail["account"]) for e in _audit(db)] == [
        ("channel.connected", admin.id, BLUESKY_NAME)]

    # The next publisher starts from the stored session: no second sign-in.
    assert channels.test_connection(db, admin, settings.token_key, channel.id, NOW).ok
    assert pds.calls["com.atproto.server.createSession"] == 1


def test_a_refused_app_password_stores_nothing_and_says_what_to_do(
    db: Session, admin: User, settings: Settings, pds: FakePDS
) -> None:
    with pytest.raises(channels.ConnectionRefusedError) as caught:
        channels.connect(db, admin, settings.token_key, ChannelKind.BLUESKY,
                         {**BLUESKY_FORM, "app_password": "wxyz-wxyz-wxyz-wxyz"}, NOW)
    assert caught.value.user_message.startswith("Nothing was saved. The app password was refused.")
    assert "App passwords" in caught.value.user_message
    assert db.scalars(select(Channel)).all() == [] and _audit(db) == []


def test_the_session_bluesky_renews_is_stored_sealed_on_the_channel(
    db: Session, admin: User, settings: Settings, pds: FakePDS
) -> None:
    channel = channels.connect(db, admin, settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, NOW)
    box = ChannelSecretBox(settings.token_key)
    expiring = session_string(access_in=timedelta(minutes=5))  # atproto renews within 15 minutes of expiry
    pds.accept(expiring)
    channel.secret = box.seal({"app_password": PASSWORD, "session": expiring})
    db.commit()

    assert channels.test_connection(db, admin, settings.token_key, channel.id, NOW).ok
    db.commit()

    assert pds.calls["com.atproto.server.refreshSession"] == 1
    assert pds.calls["com.atproto.server.createSession"] == 1  # only the connection's own sign-in
    stored = box.open(db.execute(text("SELECT secret FROM channel")).scalar_one())["session"]
    assert stored != expiring and stored.split(":::")[3] in pds.valid_refresh


def test_mastodon_connects_and_its_token_is_encrypted_at_rest(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock
) -> None:
    mastodon_answers(rsps)
    channel = channels.connect(db, admin, settings.token_key, ChannelKind.MASTODON, MASTODON_FORM, NOW)
    db.commit()
    assert (channel.display_name, channel.settings) == (
        MASTODON_NAME, {"instance": BASE, "max_characters": 500, "max_characters_from_server": True})
    assert rsps.calls[-1].request.headers["Authorization"] == f"Bearer {MASTODON_FORM['access_token']}"
    (raw,) = _raw_secrets(db)
    assert MASTODON_FORM["access_token"].encode() not in raw


def test_facebook_connects_when_the_token_is_the_pages_own(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock
) -> None:
    facebook_answers(rsps)
    channel = channels.connect(db, admin, settings.token_key, ChannelKind.FACEBOOK, FACEBOOK_FORM, NOW)
    db.commit()
    assert (channel.display_name, channel.settings) == (FACEBOOK_NAME, {"page_id": PAGE_ID})
    (raw,) = _raw_secrets(db)
    assert FACEBOOK_FORM["page_token"].encode() not in raw


def test_a_token_of_another_page_stores_nothing(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock
) -> None:
    facebook_answers(rsps, owner="999")
    with pytest.raises(channels.ConnectionRefusedError) as caught:
        channels.connect(db, admin, settings.token_key, ChannelKind.FACEBOOK, FACEBOOK_FORM, NOW)
    assert "not the school Page's own" in caught.value.user_message
    assert db.scalars(select(Channel)).all() == []


@pytest.mark.parametrize(("kind", "form", "fields"), [
    (ChannelKind.BLUESKY, {"identifier": "", "app_password": "abcd-efgh-ijkl-mnop"}, {"identifier"}),
    (ChannelKind.BLUESKY, {"identifier": "oakfield", "app_password": "MySchool2026!"}, {"identifier", "app_password"}),
    (ChannelKind.BLUESKY, {**BLUESKY_FORM, "service": "http://pds.example"}, {"service"}),
    (ChannelKind.MASTODON, {"instance": "http://mastodon.example", "access_token": "t"}, {"instance"}),
    (ChannelKind.MASTODON, {"instance": "mastodon.example", "access_token": "two words"}, {"access_token"}),
    (ChannelKind.FACEBOOK, {"page_id": "school-page", "page_token": ""}, {"page_id", "page_token"}),
])
def test_inputs_of_the_wrong_shape_are_refused_before_anything_is_sent(
    db: Session, admin: User, settings: Settings, pds: FakePDS, rsps: responses.RequestsMock,
    kind: ChannelKind, form: dict[str, str], fields: set[str],
) -> None:
    with pytest.raises(ValidationError) as caught:
        channels.connect(db, admin, settings.token_key, kind, form, NOW)
    assert set(caught.value.fields) == fields
    assert "MySchool2026!" not in caught.value.user_message
    assert not pds.router.calls and not rsps.calls


def test_a_main_password_is_refused_with_a_warning_that_says_so(db: Session, admin: User, settings: Settings) -> None:
    with pytest.raises(ValidationError) as caught:
        channels.connect(db, admin, settings.token_key, ChannelKind.BLUESKY,
                         {**BLUESKY_FORM, "app_password": "correct horse battery"}, NOW)
    assert "account's own password, do not use it here" in caught.value.fields["app_password"]


def test_a_refused_test_records_the_result_and_pauses_until_it_works_again(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock
) -> None:
    mastodon_answers(rsps)
    channel = channels.connect(db, admin, settings.token_key, ChannelKind.MASTODON, MASTODON_FORM, NOW)
    rsps.reset()
    mastodon_answers(rsps, token_ok=False)
    later = NOW + timedelta(days=3)
    result = channels.test_connection(db, admin, settings.token_key, channel.id, later)
    assert not result.ok and "Development" in result.message
    assert (channel.last_test_ok, channel.last_tested_at, channel.paused_reason) == (False, later, result.message)

    rsps.reset()
    mastodon_answers(rsps)
    assert channels.test_connection(db, admin, settings.token_key, channel.id, later).message == (
        f"Connected as {MASTODON_NAME}.")
    assert (channel.last_test_ok, channel.paused_reason) == (True, "")
    assert [(e.action, e.detail.get("ok")) for e in _audit(db)] == [
        ("channel.connected", None), ("channel.tested", False), ("channel.tested", True)]


def test_disconnect_wipes_the_secret_keeps_the_row_and_a_new_connection_is_a_new_row(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock
) -> None:
    facebook_answers(rsps)
    first = channels.connect(db, admin, settings.token_key, ChannelKind.FACEBOOK, FACEBOOK_FORM, NOW)
    again = channels.connect(db, admin, settings.token_key, ChannelKind.FACEBOOK, FACEBOOK_FORM, NOW)
    assert again.id == first.id  # connecting again replaces the connection in place
    channels.disconnect(db, admin, first.id, NOW)
    db.commit()
    assert (first.active, first.secret, first.disconnected_by, first.display_name) == (
        False, None, admin.id, FACEBOOK_NAME)
    assert _raw_secrets(db) == []
    assert channels.list_channels(db) == dict.fromkeys(ChannelKind)
    with pytest.raises(NeedsReconnectError):
        publisher_for_channel(first, settings.token_key)

    newer = channels.connect(db, admin, settings.token_key, ChannelKind.FACEBOOK, FACEBOOK_FORM, NOW)
    assert newer.id != first.id and channels.list_channels(db)[ChannelKind.FACEBOOK] is newer
    assert [e.action for e in _audit(db)] == [
        "channel.connected", "channel.reconnected", "channel.disconnected", "channel.connected"]


def test_publisher_for_channel_builds_each_networks_publisher(settings: Settings) -> None:
    box = ChannelSecretBox(settings.token_key)
    made = {
        ChannelKind.BLUESKY: ({"handle": "oakfield.bsky.social", "service": "https://pds.example"},
                              {"app_password": PASSWORD}),
        ChannelKind.MASTODON: ({"instance": BASE}, {"access_token": "tok"}),
        ChannelKind.FACEBOOK: ({"page_id": PAGE_ID}, {"page_token": "tok"}),
    }
    built = {kind: publisher_for_channel(Channel(kind=kind, settings=s, secret=box.seal(k), active=True),
                                         settings.token_key) for kind, (s, k) in made.items()}
    bluesky, mastodon, facebook = built.values()
    assert isinstance(bluesky, BlueskyPublisher) and bluesky.handle == "oakfield.bsky.social"
    assert isinstance(mastodon, MastodonPublisher) and mastodon.api_base_url == BASE
    assert isinstance(facebook, FacebookPublisher) and facebook.page_id == PAGE_ID
    assert "tok" not in repr(built) and PASSWORD not in repr(built)

    sealed_elsewhere = ChannelSecretBox(Fernet.generate_key()).seal({"access_token": "tok"})
    with pytest.raises(NeedsReconnectError, match="cannot be read"):
        publisher_for_channel(Channel(kind=ChannelKind.MASTODON, settings={"instance": BASE},
                                      secret=sealed_elsewhere, active=True), settings.token_key)


def test_no_secret_reaches_the_logs_or_the_audit_log(
    db: Session, admin: User, settings: Settings, pds: FakePDS, rsps: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mastodon_answers(rsps)
    facebook_answers(rsps)
    for kind, form in ((ChannelKind.BLUESKY, BLUESKY_FORM), (ChannelKind.MASTODON, MASTODON_FORM),
                       (ChannelKind.FACEBOOK, FACEBOOK_FORM)):
        channel = channels.connect(db, admin, settings.token_key, kind, form, NOW)
        channels.test_connection(db, admin, settings.token_key, channel.id, NOW)
        channels.disconnect(db, admin, channel.id, NOW)
    with pytest.raises(channels.ConnectionRefusedError):
        channels.connect(db, admin, settings.token_key, ChannelKind.BLUESKY,
                         {**BLUESKY_FORM, "app_password": "wxyz-wxyz-wxyz-wxyz"}, NOW)
    db.commit()
    details = json.dumps([e.detail for e in _audit(db)])
    assert len(_audit(db)) == 9
    for secret in (*SECRETS, "wxyz-wxyz-wxyz-wxyz"):
        assert secret not in caplog.text and secret not in details


def test_two_senior_leaders_connecting_at_once_leave_one_active_channel(
    db: Session, admin: User, settings: Settings, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    mastodon_answers(rsps)
    first = channels.connect(db, admin, settings.token_key, ChannelKind.MASTODON, MASTODON_FORM, NOW)
    db.commit()
    # The second request looked before the first one committed, so it saw no connected Mastodon.
    monkeypatch.setattr(channels, "active_channel", lambda session, kind: None)
    with pytest.raises(ServiceError, match="at the same moment"):
        channels.connect(db, admin, settings.token_key, ChannelKind.MASTODON, MASTODON_FORM, NOW)
    db.rollback()
    assert [c.id for c in db.scalars(select(Channel))] == [first.id]
