"""X plumbing shared by the X publisher: timeouts, error mapping, and a v2 chunked media uploader.

tweepy 4.17 uploads media only through the retired v1.1 endpoint, so images go through X's v2
media endpoints here, signed by tweepy's own OAuth 1.0a handler (docs.x.com/x-api/media/...):

    POST {API}/2/media/upload/initialize  json {media_type, total_bytes, media_category}
                                          -> {"data": {"id", "media_key", "expires_after_secs"}}
    POST {API}/2/media/upload/{id}/append multipart: media=<chunk>, segment_index=0,1,2...
    POST {API}/2/media/upload/{id}/finalize -> {"data": {..., "processing_info"?}}
    GET  {API}/2/media/upload?command=STATUS&media_id={id}   (only while processing_info says so)
    POST {API}/2/media/metadata           json {"id": id, "metadata": {"alt_text": {"text": ...}}}

If an upload fails half-way nothing needs cleaning up: X expires media that no post uses
(``expires_after_secs``), so a retry simply uploads again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from tripposter.publishers.base import (
    NeedsReconnectError,
    PausedError,
    PublishError,
    RejectedError,
    RetryableError,
    retry_time,
)

API = "https://api.x.com"
CHUNK_SIZE = 1024 * 1024
DEFAULT_TIMEOUT = 30.0  # seconds for each HTTP call; the job queue retries on timeouts
MAX_PROCESSING_WAIT = 60.0
# These libraries log request bodies and signing details at DEBUG: captions, photo bytes, tokens.
_CHATTY_LOGGERS = ("tweepy", "requests_oauthlib", "oauthlib")
# X answers 402 Payment Required when the developer account's pay-per-use credits are spent (or its
# own spending limit is reached): requests fail until someone pays, so a timer never fixes it.
CREDITS_EXHAUSTED = (
    "X says the school's API credits have run out, so nothing was posted; the post is waiting. "
    "A senior leader should sign in at console.x.com (the X Developer Console) with the X account "
    "that owns the school's developer app, buy credits there (and raise the spending limit if one "
    "is set), then press Resume on the X channel."
)


def quiet_chatty_loggers() -> None:
    """Keep third-party loggers that would print captions, photo bytes or tokens above DEBUG."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class TimeoutAdapter(HTTPAdapter):
    """An adapter that applies a default timeout, for sessions owned by tweepy that set none."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Send with this adapter's timeout unless the caller gave one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def install_timeout(session: requests.Session, timeout: float) -> None:
    """Make every call through ``session`` time out after ``timeout`` seconds."""
    adapter = TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def _problem_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500].lower()
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get(key, "")) for key in ("detail", "title", "reason", "type")]
    for error in body.get("errors") or []:
        parts.append(str(error.get("message", "")) if isinstance(error, dict) else str(error))
        if isinstance(error, dict) and error.get("code") == 453:
            parts.append("client-not-enrolled")
    return " ".join(parts).lower()


def error_for_response(response: requests.Response, *, may_have_posted: bool = False) -> PublishError:
    """Turn a failed X response into the typed error the job queue acts on."""
    status = response.status_code
    text = _problem_text(response)
    if status == 429:
        return RetryableError(
            "X is limiting how often the school can post. The post will be sent automatically later.",
            retry_at=retry_time(response.headers),
        )
    if status == 402:
        return PausedError(CREDITS_EXHAUSTED)
    if status >= 500 or status == 408:
        return RetryableError(
            "X is having problems right now. The post will be tried again shortly.",
            outcome_unknown=may_have_posted,
        )
    if "duplicate content" in text or "is a duplicate" in text:
        return RejectedError(
            "X says this exact post is already on the school's account.", duplicate=True
        )
    if status == 401:
        return NeedsReconnectError(
            "X no longer accepts the school's connection. An admin needs to reconnect the X account."
        )
    if status == 403 and ("client-not-enrolled" in text or "client-forbidden" in text):
        return NeedsReconnectError(
            "The school's X developer app is not allowed to do this. An admin needs to check the "
            "app's access level in the X developer portal."
        )
    if status == 403:
        return NeedsReconnectError(
            "X refused to post for the school's account. An admin should check the account and "
            "reconnect it."
        )
    return RejectedError(f"X refused the post (error {status}). Check the photos and caption.")


def error_for_exception(exc: requests.RequestException, *, request_sent: bool) -> RetryableError:
    """Turn a network failure into a retryable error; a lost answer to a sent post is 'unknown'."""
    unknown = request_sent and not isinstance(exc, requests.exceptions.ConnectTimeout)
    return RetryableError(
        "Could not reach X. The post will be tried again shortly.", outcome_unknown=unknown
    )


class MediaUploader:
    """Uploads one JPEG through X's v2 chunked media endpoints and sets its alt text."""

    def __init__(
        self,
        session: requests.Session,
        auth: requests.auth.AuthBase,
        *,
        api: str = API,
        chunk_size: int = CHUNK_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session, self.auth, self.api = session, auth, api.rstrip("/")
        self.chunk_size, self.timeout, self.sleep = chunk_size, timeout, sleep

    def upload(self, jpeg: bytes, alt_text: str) -> str:
        """Upload the image and attach its alt text; returns the media id.

        Raises:
            RetryableError, NeedsReconnectError, PausedError, RejectedError: as mapped from X's answer.
        """
        init = self._call(
            "POST",
            "/2/media/upload/initialize",
            json={
                "media_type": "image/jpeg",
                "total_bytes": len(jpeg),
                "media_category": "tweet_image",
            },
        )
        media_id = str(init.get("data", {}).get("id") or "")
        if not media_id.isdigit():
            raise RetryableError("X did not accept a photo upload. The post will be tried again.")
        for index, start in enumerate(range(0, len(jpeg), self.chunk_size)):
            chunk = jpeg[start : start + self.chunk_size]
            self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={"media": ("blob", chunk, "application/octet-stream")},
                data={"segment_index": str(index)},
            )
        final = self._call("POST", f"/2/media/upload/{media_id}/finalize")
        self._wait_for_processing(media_id, final.get("data", {}).get("processing_info"))
        self._call(
            "POST",
            "/2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": alt_text}}},
        )
        return media_id

    def _wait_for_processing(self, media_id: str, info: dict[str, Any] | None) -> None:
        waited = 0.0
        while info and info.get("state") in ("pending", "in_progress"):
            delay = float(info.get("check_after_secs") or 1)
            if waited + delay > MAX_PROCESSING_WAIT:
                raise RetryableError("X is still processing a photo. The post will be tried again.")
            self.sleep(delay)
            waited += delay
            status = self._call(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )
            info = status.get("data", {}).get("processing_info")
        if info and info.get("state") == "failed":
            raise RejectedError("X could not process one of the photos. Try a different photo.")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.session.request(
                method, self.api + path, auth=self.auth, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            # Media on its own publishes nothing, so a lost answer here never hides a post.
            raise error_for_exception(exc, request_sent=False) from exc
        if not response.ok:
            raise error_for_response(response)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise RetryableError("X sent an answer that could not be read. Trying again later.") from None
        return body if isinstance(body, dict) else {}
