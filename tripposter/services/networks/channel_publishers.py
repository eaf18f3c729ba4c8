"""A channel's sealed secrets, and the publisher that posts through it.

The secrets of a channel (Bluesky's app password and saved session, Mastodon's access token, the
Facebook Page token) are one JSON object sealed with Fernet, with the same token key as the X
tokens (``Settings.token_key``), so rotating that key covers every network. The practice outbox has
none (an empty object); its publisher is the outbox's, on the folder ``Settings.practice_outbox_path``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import InvalidToken

from ...models import Channel, ChannelKind
from ...publishers.base import NeedsReconnectError, Publisher, PublishError
from ...publishers.bluesky import BlueskyPublisher
from ...publishers.facebook import FacebookPublisher
from ...publishers.mastodon import MastodonPublisher
from ...publishers.outbox import PRACTICE_URL, OutboxPublisher
from ...publishers.x_connect import TokenBox

TokenKey = bytes | str | Sequence[bytes | str]
ChannelPublisher = BlueskyPublisher | MastodonPublisher | FacebookPublisher | OutboxPublisher


class ChannelSecretBox(TokenBox):
    """``TokenBox``'s keys (several, newest first, to rotate) sealing a channel's secrets."""

    def seal(self, secrets: dict[str, str]) -> bytes:
        """Encrypt the secrets for storage."""
        return self._fernet.encrypt(json.dumps(secrets).encode())

    def open(self, sealed: bytes | None, label: str = "network") -> dict[str, str]:
        """Decrypt stored secrets.

        Raises:
            NeedsReconnectError: nothing is stored, or no configured key opens it.
        """
        if sealed is None:
            raise NeedsReconnectError(f"The school's {label} is not connected. A senior leader needs to connect it.")
        try:
            secrets = json.loads(self._fernet.decrypt(sealed))
        except (InvalidToken, ValueError) as exc:
            raise NeedsReconnectError(
                f"The saved connection to the school's {label} cannot be read (the encryption key may "
                "have changed). A senior leader needs to connect it again on the Networks page."
            ) from exc
        if not isinstance(secrets, dict):
            raise NeedsReconnectError(f"The saved connection to the school's {label} is damaged. Connect it again.")
        return {str(key): str(value) for key, value in secrets.items()}


def publisher_for_channel(channel: Channel, token_key: TokenKey, practice_root: Path | None = None) -> Publisher:
    """The publisher for ``channel``, built from its settings and its decrypted secrets (see ``build_publisher``)."""
    return build_publisher(channel, token_key, practice_root)


def build_publisher(channel: Channel, token_key: TokenKey, practice_root: Path | None = None) -> ChannelPublisher:
    """The network's own publisher class for ``channel``, with ``check_connection`` as well as ``publish``.

    Bluesky's renewed session is sealed back onto ``channel.secret`` as soon as it changes, so the
    caller's transaction stores it and the next publisher starts from it instead of logging in.
    A paused channel still gets its publisher (the "Test connection" button needs it); whoever
    publishes checks ``channel.paused_reason`` first.

    ``practice_root`` is the practice outbox's folder (``Settings.practice_outbox_path``), needed for that kind only.

    Raises:
        NeedsReconnectError: the channel is disconnected, or its secrets cannot be read.
        PublishError: the practice outbox's folder cannot be made.
    """
    label = ChannelKind(channel.kind).label
    if not channel.active:
        raise NeedsReconnectError(f"The school's {label} was disconnected. A senior leader needs to connect it.")
    box = ChannelSecretBox(token_key)
    secrets = box.open(channel.secret, label)
    if channel.kind is ChannelKind.OUTBOX:
        return _practice_outbox(practice_root)
    settings = channel.settings or {}
    try:
        if channel.kind is ChannelKind.BLUESKY:

            def keep(session: str) -> None:
                secrets["session"] = session
                channel.secret = box.seal(secrets)

            return BlueskyPublisher(
                settings["handle"], secrets["app_password"], session=secrets.get("session"), on_session=keep,
                base_url=settings["service"],
            )
        if channel.kind is ChannelKind.MASTODON:
            return MastodonPublisher(settings["instance"], secrets["access_token"])
        if channel.kind is ChannelKind.FACEBOOK:
            return FacebookPublisher(settings["page_id"], secrets["page_token"])
    except KeyError as exc:
        raise NeedsReconnectError(
            f"The saved connection to the school's {label} is incomplete. Connect it again."
        ) from exc
    raise ValueError(f"no publisher for channels of kind {channel.kind!r}")


def _practice_outbox(root: Path | None) -> OutboxPublisher:
    """The outbox's publisher on the practice folder, with its crash safety and attempt identity.

    Raises:
        PublishError: no folder was given, or it cannot be made.
    """
    if root is None:
        raise ValueError("the practice outbox needs its folder (Settings.practice_outbox_path)")
    try:
        return OutboxPublisher(root, url_prefix=PRACTICE_URL)
    except OSError as exc:
        raise PublishError(
            "The practice outbox's folder on this server cannot be made. Ask whoever looks after the server "
            "to let tripposter write to its instance folder, then press Test connection."
        ) from exc
