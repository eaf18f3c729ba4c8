"""The school's X account service: encrypted tokens, pause, limits, term reminders and the publisher."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tripposter.config import Settings
from tripposter.models import AuditEvent, Role, XAccount
from tripposter.publishers.base import NeedsReconnectError, RateLimit
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.publishers.x import XPublisher
from tripposter.publishers.x_connect import TokenBox, XTokens
from tripposter.services.errors import ServiceError, ValidationError
from tripposter.services.networks.x_account import (
    NotConnectedError,
    daily_remaining,
    disconnect,
    get_account,
    load_tokens,
    pause,
    publisher_for,
    record_limits,
    save_tokens,
    set_reply_settings,
    term_reminder,
    term_start,
)
from tripposter.services.networks.x_account_connect import open_request_token, seal_request_token
from tripposter.services.school.settings import get_school

NOW = datetime(2025, 10, 6, 9, 30, tzinfo=UTC)
TOKENS = XTokens("42-secret-access-token", "secret-access-token-secret", user_id="42", screen_name="ourschool")


@pytest.fixture
def box(settings: Settings) -> TokenBox:
    return TokenBox(settings.token_key)


def _actions(db: Session) -> list[str]:
    return [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_tokens_are_stored_encrypted_and_round_trip(db: Session, make: Factory, box: TokenBox) -> None:
    admin = make.user(Role.ADMIN)
    account = save_tokens(db, admin, box, TOKENS, NOW)
    db.commit()

    raw = db.execute(text("SELECT tokens FROM x_account")).scalar_one()
    assert TOKENS.access_token.encode() not in raw and TOKENS.access_token_secret.encode() not in raw
    assert load_tokens(db, box) == TOKENS
    assert (account.screen_name, account.user_id, account.connected_by) == ("ourschool", "42", admin.id)
    assert account.connected_at == NOW and account.rotated_at == NOW
    assert _actions(db)[-1] == "x.connected"
    details = json.dumps([e.detail for e in db.scalars(select(AuditEvent))])
    assert TOKENS.access_token not in details and TOKENS.access_token_secret not in details


def test_same_account_again_is_a_rotation_and_lifts_the_pause(db: Session, make: Factory, box: TokenBox) -> None:
    admin = make.user(Role.ADMIN)
    save_tokens(db, admin, box, TOKENS, NOW)
    pause(db, "X refused the saved tokens.")
    later = NOW + timedelta(days=100)
    fresh = dataclasses.replace(TOKENS, access_token="42-new-token", access_token_secret="new-secret")

    account = save_tokens(db, admin, box, fresh, later)

    assert account.connected_at == NOW and account.rotated_at == later
    assert account.paused_reason == ""
    assert load_tokens(db, box) == fresh
    assert _actions(db) == ["user.created", "x.connected", "x.paused", "x.tokens_rotated"]


def test_a_different_account_is_a_new_connection(db: Session, box: TokenBox) -> None:
    save_tokens(db, None, box, TOKENS, NOW)
    record_limits(db, RateLimit(limit=17, remaining=3, reset_at=NOW + timedelta(hours=2)))
    other = XTokens("7-other", "other-secret", user_id="7", screen_name="otherschool")

    account = save_tokens(db, None, box, other, NOW + timedelta(days=1))

    assert account.connected_at == NOW + timedelta(days=1)
    assert account.daily_remaining is None and account.screen_name == "otherschool"
    assert _actions(db)[-1] == "x.connected"


def test_load_tokens_needs_a_connection_and_the_right_key(db: Session, box: TokenBox) -> None:
    with pytest.raises(NotConnectedError, match="not connected"):
        load_tokens(db, box)
    save_tokens(db, None, box, TOKENS, NOW)
    with pytest.raises(NotConnectedError, match="reconnect") as caught:
        load_tokens(db, TokenBox(Fernet.generate_key()))
    assert isinstance(caught.value, NeedsReconnectError) and isinstance(caught.value, ServiceError)


def test_disconnect_forgets_the_tokens(db: Session, box: TokenBox) -> None:
    with pytest.raises(ServiceError):
        disconnect(db, None)
    save_tokens(db, None, box, TOKENS, NOW)

    account = disconnect(db, None)

    assert account.tokens is None and account.connected_at is None
    assert _actions(db)[-1] == "x.disconnected"
    with pytest.raises(NotConnectedError):
        load_tokens(db, box)


def test_pause_keeps_the_first_reason_and_audits_once(db: Session, box: TokenBox) -> None:
    save_tokens(db, None, box, TOKENS, NOW)
    pause(db, "X says the tokens were revoked.")
    pause(db, "Posting to X is paused: something else.")
    assert get_account(db).paused_reason == "X says the tokens were revoked."  # type: ignore[union-attr]
    assert _actions(db).count("x.paused") == 1


def test_limits_are_remembered_until_the_window_passes(db: Session, box: TokenBox) -> None:
    record_limits(db, RateLimit(limit=17, remaining=3, reset_at=NOW))  # no account yet: ignored
    assert get_account(db) is None
    save_tokens(db, None, box, TOKENS, NOW)
    record_limits(db, RateLimit(limit=17, remaining=3, reset_at=NOW + timedelta(hours=5)))
    record_limits(db, None)
    account = get_account(db)
    assert daily_remaining(account, NOW) == 3
    assert daily_remaining(account, NOW + timedelta(hours=5)) is None
    assert daily_remaining(None, NOW) is None


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2025, 9, 1), date(2025, 9, 1)),
        (date(2025, 8, 31), date(2025, 4, 15)),
        (date(2025, 12, 31), date(2025, 9, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 4, 14), date(2026, 1, 1)),
        (date(2026, 4, 15), date(2026, 4, 15)),
    ],
)
def test_term_start(today: date, start: date) -> None:
    assert term_start(today) == start


def _account(rotated: datetime | None, *, tokens: bytes | None = b"sealed") -> XAccount:
    return XAccount(tokens=tokens, rotated_at=rotated, connected_at=rotated)


def test_term_reminder_boundaries() -> None:
    autumn = date(2025, 9, 1)
    # 23:30 UTC on 31 August is already 1 September in London: changed this term.
    assert term_reminder(_account(datetime(2025, 8, 31, 23, 30, tzinfo=UTC)), autumn) is None
    assert term_reminder(_account(datetime(2025, 9, 1, 10, tzinfo=UTC)), date(2025, 12, 31)) is None
    late = term_reminder(_account(datetime(2025, 8, 31, 22, 59, tzinfo=UTC)), autumn)
    assert late is not None and "31 August 2025" in late and "1 September 2025" in late and "Reconnect" in late
    assert term_reminder(_account(datetime(2026, 4, 14, 12, tzinfo=UTC)), date(2026, 4, 15)) is not None
    assert term_reminder(_account(None), autumn) is not None  # never recorded: remind
    assert term_reminder(_account(None, tokens=None), autumn) is None  # not connected: nothing to change
    assert term_reminder(None, autumn) is None


def test_publisher_is_the_outbox_by_default(db: Session, settings: Settings) -> None:
    publisher = publisher_for(db, settings)
    assert isinstance(publisher, OutboxPublisher) and publisher.root == settings.outbox_path


def test_publisher_for_x_needs_keys_a_connection_and_no_pause(db: Session, settings: Settings, box: TokenBox) -> None:
    x = dataclasses.replace(settings, publisher="x", x_consumer_key="ck", x_consumer_secret="cs")
    with pytest.raises(NotConnectedError, match="TRIPPOSTER_X_CONSUMER_KEY"):
        publisher_for(db, dataclasses.replace(x, x_consumer_secret=""))
    with pytest.raises(NotConnectedError, match="not connected"):
        publisher_for(db, x)
    save_tokens(db, None, box, TOKENS, NOW)

    publisher = publisher_for(db, x)

    assert isinstance(publisher, XPublisher) and publisher.tokens == TOKENS
    pause(db, "X refused the saved tokens.")
    with pytest.raises(NotConnectedError, match="paused: X refused the saved tokens"):
        publisher_for(db, x)


def test_reply_settings_are_checked_and_audited(db: Session, make: Factory) -> None:
    admin = make.user(Role.ADMIN)
    with pytest.raises(ValidationError):
        set_reply_settings(db, admin, "everyone")
    set_reply_settings(db, admin, "following")
    assert get_school(db).reply_settings == "following"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "school.updated")).one()
    assert event.detail == {"fields": ["reply_settings"], "changes": {"reply_settings": ["mentionedUsers", "following"]}}


def test_sealed_request_token_hides_its_secret_and_expires(settings: Settings) -> None:
    token = {"oauth_token": "req-tok", "oauth_token_secret": "req-secret", "oauth_callback_confirmed": "true"}
    sealed = seal_request_token(settings.token_key, token)

    assert "req-secret" not in sealed
    opened = open_request_token(settings.token_key, sealed)
    assert opened == {"oauth_token": "req-tok", "oauth_token_secret": "req-secret"}
    fernet = Fernet(settings.token_key)
    stale = fernet.encrypt_at_time(fernet.decrypt(sealed), int(time.time()) - 16 * 60).decode()
    for bad in (None, "", stale, sealed[:-4] + "AAAA", seal_request_token(Fernet.generate_key().decode(), token)):
        with pytest.raises(ServiceError, match="Press Connect"):
            open_request_token(settings.token_key, bad)
    other_purpose = fernet.encrypt(json.dumps({"oauth_token": "a", "oauth_token_secret": "b"}).encode()).decode()
    with pytest.raises(ServiceError):
        open_request_token(settings.token_key, other_purpose)
