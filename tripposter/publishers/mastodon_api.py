"""Mastodon plumbing for the Mastodon publisher: the instance's limits, error mapping, and posts as text.

Mastodon.py raises its own exceptions; ``error_for`` turns them into the typed errors the job queue
acts on, with messages a teacher can follow. Server error texts are never copied into messages: a
rejected status may quote the caption back, and these messages end up in logs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from tripposter.publishers.base import (
    Attempt,
    InvalidPostError,
    NeedsReconnectError,
    NetworkLimits,
    PublishError,
    RejectedError,
    RetryableError,
)

NETWORK = "Mastodon"
# Mastodon's defaults, used when the instance does not say (an old or non-Mastodon server).
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_IMAGE_BYTES = 8 * 1024 * 1024
DEFAULT_DESCRIPTION_LIMIT = 1500
# Mastodon 4.5 (API version 7) added quote posts and the per-status ``quote_approval_policy``.
QUOTE_POLICY_API_VERSION = 7
RECONNECT = (
    "A senior leader needs to make a new access token in the school's Mastodon account "
    "(Preferences, Development, the tripposter application) and paste it into tripposter."
)
_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w", re.IGNORECASE)


def count_text(text: str) -> int:
    """The caption's length as Mastodon counts it: graphemes, every link as 23, mentions without domain."""
    return Mastodon.get_status_length(text)


def _number(section: Mapping[str, Any] | None, key: str, default: int) -> int:
    value = (section or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def caption_limit(instance: Mapping[str, Any]) -> tuple[int, bool]:
    """The instance's caption limit, and whether it said so (v2 or v1 ``configuration.statuses``, or
    Pleroma's ``max_toot_chars``); (500, False) when it does not."""
    statuses = (instance.get("configuration") or {}).get("statuses")
    for section, key in ((statuses, "max_characters"), (instance, "max_toot_chars")):
        said = _number(section if isinstance(section, Mapping) else None, key, 0)
        if said:
            return said, True
    return DEFAULT_MAX_CHARACTERS, False


def limits_from_instance(instance: Mapping[str, Any]) -> NetworkLimits:
    """What this instance accepts, from its ``/api/v2/instance`` (or v1) ``configuration``."""
    config = instance.get("configuration") or {}
    statuses, media = config.get("statuses"), config.get("media_attachments")
    return NetworkLimits(
        network=NETWORK,
        max_text=caption_limit(instance)[0],
        count_text=count_text,
        max_images=_number(statuses, "max_media_attachments", DEFAULT_MAX_MEDIA),
        max_image_bytes=_number(media, "image_size_limit", DEFAULT_IMAGE_BYTES),
        max_alt_text=_number(media, "description_limit", DEFAULT_DESCRIPTION_LIMIT),
        replies_can_be_closed=False,  # Mastodon has no switch that stops replies to a post
    )


def supports_quote_policy(instance: Mapping[str, Any]) -> bool:
    """True when the instance is Mastodon 4.5 or later, which takes ``quote_approval_policy``."""
    versions = instance.get("api_versions") or {}
    level = versions.get("mastodon") if isinstance(versions, Mapping) else None
    return isinstance(level, int) and level >= QUOTE_POLICY_API_VERSION


def _status(exc: MastodonError) -> int | None:
    """The HTTP status in a Mastodon.py API error (its args are message, status, reason, error)."""
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _server_said(exc: MastodonError) -> str:
    args = exc.args
    return str(args[3]).lower() if len(args) > 3 and args[3] else ""


def error_for(exc: MastodonError, *, may_have_posted: bool, retry_at: datetime | None = None) -> PublishError:
    """Turn a Mastodon.py exception into the typed error the job queue acts on.

    ``may_have_posted`` is True for the status call itself: a lost answer may hide a created post.
    ``retry_at`` is when the rate limit lifts, as Mastodon.py read it from ``X-RateLimit-Reset``.
    """
    if isinstance(exc, MastodonRatelimitError):
        # Mastodon.py also raises this for an unreadable rate-limit header on an answer that succeeded.
        refused = "hit rate limit" in str(exc).lower()
        return RetryableError(
            "The school's Mastodon server is limiting how often the app can post. The post will be "
            "sent automatically later.",
            retry_at=retry_at if refused else None,
            outcome_unknown=may_have_posted and not refused,
        )
    if isinstance(exc, MastodonNetworkError):
        cause = exc.__context__  # Mastodon.py re-raises the requests error inside its except block
        never_sent = isinstance(cause, requests.exceptions.ConnectTimeout)
        return RetryableError(
            "Could not reach the school's Mastodon server. The post will be tried again shortly.",
            outcome_unknown=may_have_posted and not never_sent,
        )
    status = _status(exc)
    said = _server_said(exc)
    if isinstance(exc, MastodonServerError) or status in (408, 502, 503, 504) or (status or 0) >= 500:
        return RetryableError(
            "The school's Mastodon server is having problems right now. The post will be tried again shortly.",
            outcome_unknown=may_have_posted,
        )
    if isinstance(exc, MastodonUnauthorizedError) or status == 401:
        return NeedsReconnectError(f"The access token was refused. {RECONNECT}")
    if status == 403 and "scope" in said:
        return NeedsReconnectError(
            "The access token is missing a permission tripposter needs. " + RECONNECT + " Tick "
            "write:statuses, write:media, read:accounts and read:statuses when making it."
        )
    if status == 403:
        return NeedsReconnectError(
            "The school's Mastodon server refused to post for the account; it may be suspended or its "
            "email unconfirmed. A senior leader should sign in to the account on the web and check."
        )
    if status == 413 or "file size" in said or "too large" in said:
        return InvalidPostError(
            "A photo is larger than the school's Mastodon server accepts. Choose a smaller photo or "
            "ask a senior leader to check the server's limits."
        )
    if status == 422 and "character limit" in said:
        return InvalidPostError("The caption is too long for the school's Mastodon server. Shorten it.")
    if status == 422:
        return RejectedError(
            "The school's Mastodon server refused the post or one of its photos (it could not use it). "
            "Check the photos and caption, or try a different photo."
        )
    if isinstance(exc, MastodonAPIError) and status is not None:
        return RejectedError(f"The school's Mastodon server refused the post (error {status}). Ask a senior leader.")
    return RetryableError(
        "The school's Mastodon server sent an answer the app could not read. Trying again later.",
        outcome_unknown=may_have_posted,
    )


def retry_time(client: Mastodon) -> datetime | None:
    """When the rate limit lifts: Mastodon.py's reading of ``X-RateLimit-Reset``, on our clock."""
    reset = client.ratelimit_reset
    if not isinstance(reset, int | float):
        return None
    try:
        return datetime.fromtimestamp(reset, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


class _TextOnly(HTMLParser):
    """Collects the visible text of a status's HTML, a space for each line or paragraph break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    """A status's ``content`` HTML as the text that was posted (Mastodon renders plain text to HTML)."""
    parser = _TextOnly()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


def comparable(text: str) -> str:
    """Caption text as it can be compared with a posted status: links dropped, remote mentions shortened
    (Mastodon shows ``@name@server`` as ``@name``), entities unescaped, spaces folded."""
    text = _REMOTE_MENTION.sub(r"@\1", _URL.sub(" ", html.unescape(text)))
    return " ".join(text.split())


def candidates(
    statuses: list[Any], text: str, attempt: Attempt, skew: timedelta
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Statuses surely made after the attempt started, and those within the clock skew before it."""
    wanted = comparable(text)
    fits: list[tuple[str, str]] = []
    maybe: list[tuple[str, str]] = []
    for status in statuses:
        status_id = str(status.get("id") or "")
        if not status_id or status_id in attempt.known_ids:
            continue
        if len(status.get("media_attachments") or []) != attempt.media_count:
            continue
        if comparable(plain_text(str(status.get("content") or ""))) != wanted:
            continue
        found = (status_id, str(status.get("url") or status.get("uri") or ""))
        created = status.get("created_at")
        if not isinstance(created, datetime):
            maybe.append(found)  # no readable time: it could be the attempt's, so a person decides
            continue
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        if created >= attempt.started_at:
            fits.append(found)
        elif created >= attempt.started_at - skew:
            maybe.append(found)
    return fits, maybe
