"""A fake Mastodon instance for the Mastodon publisher's tests (helpers only, no tests): Mastodon 4.5 JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from tripposter.publishers.mastodon import MastodonPublisher

BASE = "https://mastodon.example"
TOKEN = "mastodon-access-token-SECRET-123"
INSTANCE_URL = f"{BASE}/api/v2/instance/"
MEDIA_URL = f"{BASE}/api/v2/media"
STATUSES_URL = f"{BASE}/api/v1/statuses"
VERIFY_URL = f"{BASE}/api/v1/accounts/verify_credentials"
ACCOUNT_STATUSES_URL = f"{BASE}/api/v1/accounts/1099/statuses"


def instance(
    max_characters: int = 500, api_version: int | None = 7, version: str | None = None, **media: int
) -> dict[str, Any]:
    """``/api/v2/instance`` of a Mastodon server (4.5 is API version 7)."""
    body: dict[str, Any] = {
        "domain": "mastodon.example",
        "title": "Mastodon Example",
        "version": "4.5.0",
        "configuration": {
            "statuses": {"max_characters": max_characters, "max_media_attachments": 4,
                         "characters_reserved_per_url": 23},
            "media_attachments": {"image_size_limit": 16_777_216, "description_limit": 1500, **media},
        },
    }
    if api_version is not None:
        body["api_versions"] = {"mastodon": api_version}
        if api_version < 7:
            body["version"] = "4.3.2"
    if version is not None:
        body["version"] = version
    return body


def media(media_id: str, processed: bool = True) -> dict[str, Any]:
    """A MediaAttachment; ``url`` stays null while the server is still processing it."""
    return {
        "id": media_id, "type": "image",
        "url": f"{BASE}/system/media/{media_id}.jpg" if processed else None,
        "preview_url": None, "remote_url": None, "meta": {}, "description": "(set)", "blurhash": None,
    }


def status(status_id: str, content: str, created: datetime, media_count: int = 1) -> dict[str, Any]:
    """A Status as Mastodon renders it: the caption as HTML, hashtags and links as anchors."""
    return {
        "id": status_id,
        "uri": f"{BASE}/users/school/statuses/{status_id}",
        "url": f"{BASE}/@school/{status_id}",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "content": content,
        "visibility": "public",
        "media_attachments": [media(f"{status_id}{i}") for i in range(media_count)],
        "account": account(),
    }


def account() -> dict[str, Any]:
    """The CredentialAccount of the school's account."""
    return {"id": "1099", "username": "ourschool", "acct": "ourschool", "url": f"{BASE}/@ourschool"}


def register_instance(rsps: responses.RequestsMock, **kwargs: Any) -> None:
    """The instance document the publisher reads once for its limits."""
    rsps.get(INSTANCE_URL, json=instance(**kwargs))


def publisher(**kwargs: Any) -> MastodonPublisher:
    """A publisher whose waits for media processing are recorded instead of slept."""
    kwargs.setdefault("sleep", lambda seconds: None)
    return MastodonPublisher(BASE, TOKEN, timeout=7.0, **kwargs)


def form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    """A form-encoded request body, every field as a list (``media_ids[]`` repeats)."""
    body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
    return parse_qs(body, keep_blank_values=True)


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    """A request's query string."""
    return parse_qs(urlsplit(request.url).query)
