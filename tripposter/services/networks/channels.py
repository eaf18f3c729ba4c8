"""The school's channels on Bluesky, Mastodon, a Facebook Page and the practice outbox: connect, test, disconnect.

The practice outbox has no account: connecting it checks that its folder on this server is writable.

A connection is tried through the network's real publisher (``check_connection``) before anything
is stored: if the network refuses it, nothing is saved and the error says what to do. Every change
is audited with the network and the account's name, never a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Channel, ChannelKind, User
from ...publishers.base import NeedsReconnectError, PublishError
from ..audit import events as audit
from ..errors import NotFoundError, ServiceError
from .channel_inputs import inputs_for
from .channel_publishers import ChannelSecretBox, TokenKey, build_publisher

log = logging.getLogger(__name__)  # kinds and ids only: never a token, password or session


class ConnectionRefusedError(ServiceError):
    """The network did not accept the connection; ``user_message`` says what to do."""


@dataclass(frozen=True)
class TestResult:
    """What the "Test connection" button found."""

    channel: Channel
    ok: bool
    message: str


def active_channel(session: Session, kind: ChannelKind) -> Channel | None:
    """The school's connected channel on ``kind``, if there is one."""
    return session.scalars(select(Channel).where(Channel.kind == kind, Channel.active.is_(True))).first()


def list_channels(session: Session) -> dict[ChannelKind, Channel | None]:
    """Every network, with its connected channel or None, in the order the page shows them."""
    connected = {c.kind: c for c in session.scalars(select(Channel).where(Channel.active.is_(True)))}
    return {kind: connected.get(kind) for kind in ChannelKind}


def paused_channels(session: Session) -> list[Channel]:
    """Connected channels a network has refused: nothing goes there until a senior leader acts."""
    query = select(Channel).where(Channel.active.is_(True), Channel.paused_reason != "").order_by(Channel.kind)
    return list(session.scalars(query))


def get_channel(session: Session, channel_id: int) -> Channel:
    """A connected channel by id.

    Raises:
        NotFoundError: there is no such channel, or it was disconnected.
    """
    channel = session.get(Channel, channel_id)
    if channel is None or not channel.active:
        raise NotFoundError("That network is not connected (it may have been disconnected already).")
    return channel


def check(channel: Channel, token_key: TokenKey, practice_root: Path | None = None) -> str:
    """The account's name as the network reports it, through the channel's own publisher.

    Raises:
        ConnectionRefusedError: the network refused, could not be reached, or the secrets are unreadable.
    """
    return _checked(channel, token_key, practice_root)[0]


def _checked(channel: Channel, token_key: TokenKey, practice_root: Path | None) -> tuple[str, dict[str, Any]]:
    """``check``, and what the network said of its limits, to keep on the channel (Mastodon's caption limit).

    Raises:
        ConnectionRefusedError: as ``check``.
    """
    try:
        publisher = build_publisher(channel, token_key, practice_root)
        display = publisher.check_connection()
        read = getattr(publisher, "caption_limit", None)
        limit, said = read() if callable(read) else (None, False)
    except PublishError as exc:
        raise ConnectionRefusedError(exc.user_message) from exc
    return display, ({} if limit is None else {"max_characters": limit, "max_characters_from_server": said})


def connect(
    session: Session,
    actor: User | None,
    token_key: TokenKey,
    kind: ChannelKind,
    form: Mapping[str, str],
    now: datetime,
    practice_root: Path | None = None,
) -> Channel:
    """Check the inputs, test them on the network, then store them (secrets sealed).

    Connecting a network that is already connected replaces its connection in place.

    Raises:
        ValidationError: an input has the wrong shape (nothing was sent to the network).
        ConnectionRefusedError: the network refused the connection (nothing was stored).
        ServiceError: someone else connected the same network at the same moment (the caller rolls back).
    """
    settings, secrets = inputs_for(kind, form)
    trial = Channel(kind=kind, settings=settings, secret=ChannelSecretBox(token_key).seal(secrets), active=True)
    try:
        display, limits = _checked(trial, token_key, practice_root)
    except ConnectionRefusedError as exc:
        log.info("Connecting %s was refused; nothing stored", kind.value)
        raise ConnectionRefusedError(f"Nothing was saved. {exc.user_message}") from exc
    channel = active_channel(session, kind)
    action = "channel.reconnected" if channel is not None else "channel.connected"
    if channel is None:
        channel = Channel(kind=kind, active=True)
        session.add(channel)
    channel.settings = {**settings, **limits}
    channel.secret = trial.secret  # holds Bluesky's session from the test sign-in, so no second login
    channel.display_name = display[:200]
    channel.connected_by = actor.id if actor is not None else None
    channel.connected_at = channel.last_tested_at = now
    channel.last_test_ok, channel.last_test_message, channel.paused_reason = True, "", ""
    try:
        session.flush()
    except IntegrityError as exc:  # another senior leader connected the same network a moment ago
        raise ServiceError(
            f"The school's {kind.label} was connected by someone else at the same moment. Reload the page "
            "to see it, and connect again only if it is the wrong account."
        ) from exc
    audit.record(session, actor, action, channel, kind=kind.value, account=channel.display_name)
    log.info("Channel %s (%s) connected", channel.id, kind.value)
    return channel


def connect_practice_outbox(session: Session, actor: User | None, token_key: TokenKey, root: Path,
                            now: datetime) -> Channel:
    """Connect the practice outbox (no account: its folder only has to be writable), as ``seed-demo`` does.

    Raises:
        ConnectionRefusedError: the folder cannot be written.
    """
    return connect(session, actor, token_key, ChannelKind.OUTBOX, {}, now, root)


def test_connection(
    session: Session, actor: User | None, token_key: TokenKey, channel_id: int, now: datetime,
    practice_root: Path | None = None,
) -> TestResult:
    """Try the saved connection again and record the result and time.

    A refused connection pauses the channel with the network's message; a working one lifts any pause.

    Raises:
        NotFoundError: the channel is not connected.
    """
    channel = get_channel(session, channel_id)
    try:
        display, limits = _checked(channel, token_key, practice_root)
    except ConnectionRefusedError as exc:
        ok, message = False, exc.user_message
        if isinstance(exc.__cause__, NeedsReconnectError):
            channel.paused_reason = message
    else:
        ok, message = True, f"Connected as {display}."
        channel.display_name, channel.paused_reason = display[:200], ""
        channel.settings = {**channel.settings, **limits}  # a new dict: JSON columns see reassignment only
    channel.last_tested_at, channel.last_test_ok, channel.last_test_message = now, ok, message
    session.flush()
    audit.record(session, actor, "channel.tested", channel, kind=channel.kind.value, account=channel.display_name,
                 ok=ok)
    return TestResult(channel=channel, ok=ok, message=message)


def disconnect(session: Session, actor: User | None, channel_id: int, now: datetime) -> Channel:
    """Wipe the channel's secrets and mark it disconnected; the row stays for the records.

    Raises:
        NotFoundError: the channel is not connected.
    """
    channel = get_channel(session, channel_id)
    channel.secret = None
    channel.active = False
    channel.paused_reason = ""
    channel.disconnected_by = actor.id if actor is not None else None
    channel.disconnected_at = now
    session.flush()
    audit.record(session, actor, "channel.disconnected", channel, kind=channel.kind.value,
                 account=channel.display_name)
    log.info("Channel %s (%s) disconnected", channel.id, channel.kind.value)
    return channel


def where_posts_go(publisher: str) -> str:
    """Where posts go today, in the words the Networks page uses."""
    if publisher == "x":
        return "the school's X account"
    return "the Outbox on this machine (nothing leaves it)"
