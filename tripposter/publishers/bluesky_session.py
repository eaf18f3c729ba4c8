"""The school's Bluesky session: reused while it lasts, one login when it does not, and error mapping.

Bluesky allows 30 logins (``createSession``) per 5 minutes and 300 a day per account, so the app
never logs in per post. The session string (atproto's ``export_session_string``) is saved by the
caller through ``on_session`` whenever it changes, and the next publisher starts from it. atproto
renews the access token itself (``refreshSession``) when it is within 15 minutes of expiring; this
module logs in with the app password only when there is no session, it cannot be read, its refresh
token has expired, or Bluesky refuses it, and not again within ``RELOGIN_GAP`` of its last login.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
from atproto_client import Client
from atproto_client.client.session import Session, SessionEvent
from atproto_client.exceptions import (
    LoginRequiredError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from tripposter.publishers.base import (
    InvalidPostError,
    NeedsReconnectError,
    PublishError,
    RejectedError,
    RetryableError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0  # seconds for each HTTP call; the job queue retries on timeouts
# A session refused within this long of logging in is not logged in again: the password or account
# is the problem, and logins are scarce (30 per 5 minutes, 300 a day).
RELOGIN_GAP = timedelta(minutes=5)
LIBRARY_ERRORS = (AtProtocolError, httpx.HTTPError)  # everything atproto or its transport raises
_TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})
PASSWORD_REFUSED = (
    "The app password was refused. Create a new app password in Bluesky → Settings → Privacy and "
    "security → App passwords, then paste it here."
)
MAIN_PASSWORD = (
    "Bluesky asked for a sign-in code, which means the account's own password was given. Use an app "
    "password instead: Bluesky → Settings → Privacy and security → App passwords."
)
SUSPENDED = (
    "Bluesky says the school's account is suspended or deactivated. Sign in to Bluesky to check the "
    "account, then connect it again."
)


def error_details(exc: BaseException) -> tuple[int | None, str]:
    """The HTTP status and XRPC error name (e.g. ``ExpiredToken``) of a failed call, when there is one."""
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return None, ""
    content = exc.response.content
    return exc.response.status_code, content.error if isinstance(content, XrpcError) else ""


def is_token_refused(exc: BaseException) -> bool:
    """Bluesky refused the session itself (expired, revoked or missing token), not the request."""
    if isinstance(exc, LoginRequiredError):
        return True
    status, name = error_details(exc)
    return status == 401 or (status == 400 and name in _TOKEN_ERRORS)


def error_for(exc: BaseException, *, may_have_posted: bool = False) -> PublishError:
    """Turn a failed atproto call into the typed error the job queue acts on (plain English)."""
    status, name = error_details(exc)
    if status is None:
        cause = exc.__cause__ if isinstance(exc, RequestErrorBase) else exc  # atproto wraps httpx's
        never_sent = isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout))
        return RetryableError(
            "Could not reach Bluesky. The post will be tried again shortly.",
            outcome_unknown=may_have_posted and not never_sent,
        )
    if isinstance(exc, RateLimitExceededError) or status == 429:
        return RetryableError(
            "Bluesky is limiting how often the school can post. The post will be sent automatically later.",
            retry_at=_retry_at(exc),
        )
    if status == 413 or name in ("BlobTooLarge", "PayloadTooLarge"):
        return InvalidPostError(
            "The school's Bluesky server refused a photo as too large, even made smaller to fit. Post a less "
            "detailed photo there, or ask whoever runs the school's Bluesky server what size it takes."
        )
    if status >= 500 or status == 408:
        return RetryableError(
            "Bluesky is having problems right now. The post will be tried again shortly.",
            outcome_unknown=may_have_posted,
        )
    if name in ("AccountTakedown", "AccountDeactivated"):
        return NeedsReconnectError(SUSPENDED)
    if is_token_refused(exc):
        return NeedsReconnectError(
            "Bluesky no longer accepts the school's connection. A senior leader needs to connect the "
            "Bluesky account again with a new app password."
        )
    return RejectedError(f"Bluesky refused the post ({name or f'error {status}'}). Check the photos and caption.")


def _retry_at(exc: BaseException) -> datetime | None:
    if not isinstance(exc, RateLimitExceededError):
        return None
    if exc.reset_at is not None:
        return exc.reset_at
    if exc.retry_after is not None:
        return datetime.now(UTC) + timedelta(seconds=exc.retry_after)
    return None


def quiet_chatty_loggers() -> None:
    """httpcore traces every request at DEBUG; keep it above DEBUG so nothing of a post is logged."""
    logger = logging.getLogger("httpcore")
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


class BlueskySession:
    """An atproto client signed in as the school, logging in with the app password only when needed."""

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        session: str | None,
        on_session: Callable[[str], None],
        base_url: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        quiet_chatty_loggers()
        self.handle = handle
        self._password = app_password
        self._saved = session
        self._on_session = on_session
        self._ready = False
        self._logged_in_at: datetime | None = None
        self.client = Client(base_url=base_url, request=Request(timeout=httpx.Timeout(timeout)))
        self.client.on_session_change(self._changed)

    def __repr__(self) -> str:
        return f"BlueskySession(handle={self.handle!r})"

    @property
    def did(self) -> str:
        """The account's DID (its permanent id), known once signed in."""
        session = self.client._session  # atproto keeps the live session here; no public getter
        if session is None:
            raise LoginRequiredError
        return session.did

    @property
    def account_handle(self) -> str:
        """The account's current handle as Bluesky reports it (the school may have signed in by email)."""
        session = self.client._session
        return session.handle if session is not None else self.handle

    def call(self, action: Callable[[Client], T]) -> T:
        """Run ``action`` signed in; if Bluesky refuses the session, log in once and run it again.

        A refused session means the request was not carried out, so running it again is safe.
        Raises the library's own errors for the caller to map (``error_for``), except that a refused
        app password raises ``NeedsReconnectError``.
        """
        self._ensure()
        try:
            return action(self.client)
        except LIBRARY_ERRORS as exc:
            if not is_token_refused(exc) or self._just_logged_in():
                raise
            log.info("Bluesky refused the saved session (%s); logging in again", error_details(exc)[1] or "401")
        self.login()
        return action(self.client)

    def login(self) -> None:
        """Log in with the app password (one ``createSession``); ``on_session`` stores the result.

        Raises:
            NeedsReconnectError: the app password, or the account, was refused.
            RetryableError: Bluesky's login limit, a server fault or no connection.
        """
        try:
            self.client.login(self.handle, self._password, fetch_bsky_profile=False)
        except LIBRARY_ERRORS as exc:
            status, name = error_details(exc)
            if name in ("AccountTakedown", "AccountDeactivated"):
                raise NeedsReconnectError(SUSPENDED) from exc
            if name == "AuthFactorTokenRequired":
                raise NeedsReconnectError(MAIN_PASSWORD) from exc
            if status in (400, 401):
                raise NeedsReconnectError(PASSWORD_REFUSED) from exc
            raise error_for(exc) from exc
        self._ready = True
        self._logged_in_at = datetime.now(UTC)

    def _just_logged_in(self) -> bool:
        return self._logged_in_at is not None and datetime.now(UTC) - self._logged_in_at < RELOGIN_GAP

    def _ensure(self) -> None:
        if self._ready:
            return
        if self._saved and self._import(self._saved):
            self._ready = True
            return
        self.login()

    def _import(self, saved: str) -> bool:
        """Start from the saved session unless it cannot be read or can no longer be renewed."""
        try:
            session = Session.decode(saved)
            refresh_exp = session.refresh_jwt_payload.exp
            if session.access_jwt_payload.exp is None or refresh_exp is None:
                return False
            if datetime.fromtimestamp(refresh_exp, tz=UTC) <= datetime.now(UTC) + timedelta(minutes=1):
                return False  # renewing would be refused: log in instead of wasting a call
            self.client.login(session_string=saved, fetch_bsky_profile=False)
        except (ValueError, TypeError, AtProtocolError):
            log.info("The saved Bluesky session could not be read; logging in again")
            return False
        return True

    def _changed(self, event: SessionEvent, session: Session) -> None:
        if event is SessionEvent.IMPORT:
            return  # the caller already holds this one
        try:
            self._on_session(session.export())
        except Exception:  # noqa: BLE001 - storing is the caller's; the session still works in memory
            log.warning("Could not store the renewed Bluesky session; the app will log in again next time")
