"""A small Graph API client for one Facebook Page: the token in a header, timeouts, typed errors.

A client of our own on ``requests`` rather than a wrapper library: python-facebook-api (pyfacebook)
puts the token in every URL's query string, sleeps inside the request on rate limits and wraps only
some transport errors; Meta's facebook-business SDK is built for the Marketing API and also sends the
token as a parameter. Graph takes the token as ``Authorization: Bearer``, so no URL (and no log line
that prints a URL) ever holds it, and captions and alt texts travel only in request bodies.

Graph's failures arrive as ``{"error": {"code", "error_subcode", "is_transient", ...}}``
(developers.facebook.com/docs/graph-api/guides/error-handling); ``error_for_response`` turns them
into the publisher errors of ``base`` with a sentence a teacher can act on.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tripposter.publishers.base import (
    CannotTellError,
    NeedsReconnectError,
    PublishError,
    RejectedError,
    RetryableError,
)

GRAPH_API = "https://graph.facebook.com"
GRAPH_VERSION = "v26.0"  # current since 29 July 2026; Meta keeps each version for about two years
DEFAULT_TIMEOUT = 30.0  # seconds to wait for an answer; a 4 MB photo on a slow uplink fits in it
CONNECT_TIMEOUT = 10.0
POST_PERMISSION = "pages_manage_posts"
READ_PERMISSION = "pages_read_engagement"

_TOKEN_CODES = frozenset({102, 190})
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})  # app, user, Page, custom and Page-level limits
_BLOCKED = 368  # "temporarily blocked for policies violations"
_DUPLICATE = 506  # "duplicate status message"
_BAD_IMAGE_CODES = frozenset({320, 324})  # photo edit failed; missing or invalid image file
_USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")
_TOKEN_MESSAGES = {
    458: "The Facebook account that connected the school's Page has removed the app.",
    460: "The password of the Facebook account that connected the school's Page was changed.",
    463: "The school's Facebook connection has expired.",
    492: "The person who connected the school's Page is no longer one of its admins.",
}
_RECONNECT = " A senior leader needs to reconnect the Facebook Page."

logger = logging.getLogger(__name__)


class GraphClient:
    """Calls the Graph API for one Page access token; every failure is a ``PublishError``."""

    def __init__(
        self,
        token: str,
        *,
        api: str = GRAPH_API,
        version: str = GRAPH_VERSION,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base = f"{api.rstrip('/')}/{version}"
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"GraphClient({self.base!r})"  # never the token

    def get(self, path: str, params: dict[str, str], *, reading: bool = False) -> dict[str, Any]:
        """GET ``path``; ``reading`` makes a refused permission a ``CannotTellError`` (recovery)."""
        return self._call("GET", path, params=params, reading=reading)

    def post(
        self,
        path: str,
        data: dict[str, str],
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        may_have_posted: bool = False,
    ) -> dict[str, Any]:
        """POST a form (multipart when ``files``); ``may_have_posted`` if a lost answer may hide a post."""
        return self._call("POST", path, data=data, files=files, may_have_posted=may_have_posted)

    def delete(self, path: str) -> dict[str, Any]:
        """DELETE the object at ``path``."""
        return self._call("DELETE", path)

    def _call(
        self, method: str, path: str, *, may_have_posted: bool = False, reading: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            response = self.session.request(
                method, f"{self.base}/{path}", timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            raise error_for_exception(exc, request_sent=may_have_posted) from exc
        body = _json(response)
        if not response.ok or "error" in body:
            raise error_for_response(response, may_have_posted=may_have_posted, reading=reading)
        if not body and response.content:
            raise RetryableError(
                "Facebook sent an answer that could not be read. Trying again later.",
                outcome_unknown=may_have_posted,
            )
        return body


def error_for_response(
    response: requests.Response, *, may_have_posted: bool = False, reading: bool = False
) -> PublishError:
    """Turn a failed Graph answer into the typed error the job queue acts on."""
    error = _json(response).get("error")
    error = error if isinstance(error, dict) else {}
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    logger.warning(
        "Facebook refused a call: HTTP %s, code %s, subcode %s, trace %s",
        response.status_code, code, subcode, error.get("fbtrace_id"),
    )  # fmt: skip
    if code in _RATE_LIMIT_CODES or response.status_code == 429:
        return RetryableError(
            "Facebook is limiting how often the school's Page can post. The post will be sent "
            "automatically later.",
            retry_at=retry_time(response.headers),
        )
    if code in _TOKEN_CODES:
        lead = _TOKEN_MESSAGES.get(subcode or 0, "Facebook no longer accepts the school's Page connection.")
        return NeedsReconnectError(lead + _RECONNECT)
    if code == _BLOCKED:
        return RejectedError(
            "Facebook has blocked the school's Page from posting for a while because it says something "
            "broke its rules. A senior leader should read the Page's notifications on Facebook."
        )
    if code == _DUPLICATE:
        return RejectedError("Facebook says this exact post is already on the school's Page.", duplicate=True)
    if code is not None and (code == 10 or 200 <= code <= 299):
        return _permission_error(reading)
    if response.status_code >= 500 or error.get("is_transient") is True or code in (1, 2):
        return RetryableError(
            "Facebook is having problems right now. The post will be tried again shortly.",
            outcome_unknown=may_have_posted,
        )
    if code in _BAD_IMAGE_CODES:
        return RejectedError("Facebook could not use one of the photos. Try a different photo.")
    return RejectedError(
        f"Facebook refused the post (error {code or response.status_code}). Check the photos and "
        "caption, then try again."
    )


def _permission_error(reading: bool) -> PublishError:
    if reading:
        return CannotTellError(
            "The app may not read the school's Facebook Page, so it cannot tell whether the post went "
            f"out. Check the Page by hand. To fix this, reconnect the Page allowing {READ_PERMISSION}."
        )
    return NeedsReconnectError(
        "Facebook did not let the app post for the school's Page: the connection lacks a permission "
        "or the person who made it cannot create content on the Page. A senior leader needs to reconnect "
        f"the Page allowing {POST_PERMISSION} and {READ_PERMISSION}."
    )


def error_for_exception(exc: requests.RequestException, *, request_sent: bool) -> RetryableError:
    """A network failure is retryable; a lost answer to a sent post leaves its outcome unknown."""
    unknown = request_sent and not isinstance(exc, requests.exceptions.ConnectTimeout)
    return RetryableError(
        "Could not reach Facebook. The post will be tried again shortly.", outcome_unknown=unknown
    )


def retry_time(headers: Any, *, now: datetime | None = None) -> datetime | None:
    """When a rate limit lifts: the longest ``estimated_time_to_regain_access`` (minutes) in Graph's
    usage headers, or None when no header says."""
    minutes = [m for name in _USAGE_HEADERS for m in _regain_minutes(headers.get(name))]
    if not minutes or max(minutes) <= 0:
        return None
    return (now or datetime.now(UTC)) + timedelta(minutes=max(minutes))


def _regain_minutes(raw: str | None) -> list[int]:
    """Every ``estimated_time_to_regain_access`` in one usage header (flat, or per business id)."""
    try:
        usage = json.loads(raw) if raw else {}
    except ValueError:
        return []
    entries: list[Any] = [usage] if isinstance(usage, dict) else []
    for value in usage.values() if isinstance(usage, dict) else []:
        entries.extend(value if isinstance(value, list) else [])
    found = [_int(e.get("estimated_time_to_regain_access")) for e in entries if isinstance(e, dict)]
    return [m for m in found if m is not None]


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
