"""What a senior leader types to connect a network, checked before anything is sent anywhere.

Each ``*_inputs`` function returns the channel's non-secret settings and its secrets, or raises
``ValidationError`` with a message beside each field that is wrong. Messages never repeat a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ...models import ChannelKind
from ..errors import ValidationError

BSKY_SOCIAL = "https://bsky.social"
# Bluesky shows an app password once, as four groups of four lowercase letters or digits.
APP_PASSWORD = re.compile(r"[a-z0-9]{4}(?:-[a-z0-9]{4}){3}")
HANDLE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NOT_AN_APP_PASSWORD = (
    "This does not look like an app password, which is four groups of four letters or numbers "
    "(like abcd-efgh-ijkl-mnop). If it is the account's own password, do not use it here: create an "
    "app password in Bluesky → Settings → Privacy and security → App passwords."
)
Inputs = tuple[dict[str, Any], dict[str, str]]


def inputs_for(kind: ChannelKind, form: Mapping[str, str]) -> Inputs:
    """The settings and secrets for ``kind`` from the submitted form.

    Raises:
        ValidationError: a field is missing or has the wrong shape (the message says what to enter).
    """
    parse = {ChannelKind.BLUESKY: bluesky_inputs, ChannelKind.MASTODON: mastodon_inputs,
             ChannelKind.FACEBOOK: facebook_inputs, ChannelKind.OUTBOX: outbox_inputs}[kind]
    return parse({key: (value or "").strip() for key, value in form.items()})


def bluesky_inputs(form: Mapping[str, str]) -> Inputs:
    """A handle or the account's email, an app password, and the Bluesky server (bsky.social unless set)."""
    errors: dict[str, str] = {}
    identifier = form.get("identifier", "").removeprefix("@").lower()
    if not identifier:
        errors["identifier"] = "Enter the school's Bluesky handle, for example oakfield.bsky.social."
    elif "@" in identifier:
        if not EMAIL.fullmatch(identifier):
            errors["identifier"] = "Enter the handle, or the email address the account signs in with."
    elif not HANDLE.fullmatch(identifier):
        errors["identifier"] = "A Bluesky handle looks like oakfield.bsky.social (or the school's own domain)."
    password = form.get("app_password", "").lower()
    if not password:
        errors["app_password"] = "Paste the app password Bluesky showed you."
    elif not APP_PASSWORD.fullmatch(password):
        errors["app_password"] = NOT_AN_APP_PASSWORD
    service = form.get("service", "") or BSKY_SOCIAL
    service_url = https_origin(service)
    if service_url is None:
        errors["service"] = "Leave this as https://bsky.social unless the school runs its own Bluesky server."
    if errors:
        raise ValidationError(errors)
    return {"handle": identifier, "service": service_url}, {"app_password": password}


def mastodon_inputs(form: Mapping[str, str]) -> Inputs:
    """The server's https address (the start of the school's profile address) and an access token."""
    errors: dict[str, str] = {}
    instance = https_origin(form.get("instance", ""))
    if instance is None:
        errors["instance"] = (
            "Enter the server's address, the start of the school's profile address, for example "
            "https://mastodon.social."
        )
    token = form.get("access_token", "")
    if not token or len(token) > 500 or any(c.isspace() for c in token):
        errors["access_token"] = (
            "Paste the access token from Preferences → Development → the tripposter application "
            "(\"Your access token\")."
        )
    if errors:
        raise ValidationError(errors)
    assert instance is not None  # for the type checker: errors would have been raised
    return {"instance": instance}, {"access_token": token}


def facebook_inputs(form: Mapping[str, str]) -> Inputs:
    """The Page's numeric ID and a Page access token."""
    errors: dict[str, str] = {}
    page_id = form.get("page_id", "").replace(" ", "")
    if not page_id.isdigit() or not page_id.isascii() or len(page_id) > 30:
        errors["page_id"] = (
            "The Page ID is a long number: the id shown beside the Page by GET me/accounts in the Graph "
            "API Explorer, or under the Page's About → Page transparency."
        )
    token = form.get("page_token", "")
    if not token or len(token) > 1000 or any(c.isspace() for c in token):
        errors["page_token"] = "Paste the Page access token (the Page's own access_token from GET me/accounts)."
    if errors:
        raise ValidationError(errors)
    return {"page_id": page_id}, {"page_token": token}


def outbox_inputs(form: Mapping[str, str]) -> Inputs:
    """Nothing: the practice outbox is a folder on this server, with no account and no secret."""
    return {}, {}


def https_origin(raw: str) -> str | None:
    """``https://host[:port]`` from an address typed with or without ``https://`` and any path; None if not https."""
    raw = raw.strip()
    if not raw:
        return None
    if "://" not in raw:
        raw = f"https://{raw}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "https" or parts.username or parts.password or not HANDLE.fullmatch(host):
        return None
    return f"https://{host}" + (f":{port}" if port else "")
