"""The Mastodon publisher: any instance, through Mastodon.py, with an access token of the school's account.

    GET  /api/v2/instance                 the instance's limits and version (once per publisher);
                                          /api/v1/instance when v2 is missing (before Mastodon 4.0)
    POST /api/v2/media                    file + description (alt text); 202 while still processing
    GET  /api/v1/media/{id}               polled until the photo is processed (206 -> 200)
    POST /api/v1/statuses                 status, media_ids[], visibility=public, header Idempotency-Key
    GET  /api/v1/accounts/verify_credentials, /api/v1/accounts/{id}/statuses    (find_recent)

Every status carries ``Idempotency-Key: <attempt id>``. Mastodon checks the key before anything else
and, once it has made the status, keeps the key for an hour: a re-send with the same key returns
that status instead of making another, whatever photos it carries. So ``publish`` may be called again
for the same attempt while ``resend_is_safe``: the photos upload again (Mastodon deletes unused
uploads by itself) and the status is either made once or handed back. Not straight away: the key is
stored only when the first request finishes, so a re-send that overtakes a slow first request could
still post twice; hence ``RESEND_NOT_BEFORE``. ``find_recent`` cannot use the key: it has no photos,
and a re-send that found no earlier status would make a post without them. It reads the account's
own statuses instead, matching text, photo count and time, never text alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from mastodon import Mastodon
from mastodon.errors import MastodonError, MastodonNotFoundError, MastodonUnauthorizedError, MastodonVersionError

from tripposter.publishers.base import (
    AmbiguousError,
    Attempt,
    CannotTellError,
    NetworkLimits,
    Post,
    Published,
    RejectedError,
    RetryableError,
    check_limits,
)
from tripposter.publishers.mastodon_api import (
    candidates,
    caption_limit,
    error_for,
    limits_from_instance,
    retry_time,
    supports_quote_policy,
)

log = logging.getLogger(__name__)  # ids and counts only: never captions, descriptions or the token
DEFAULT_TIMEOUT = 30.0  # seconds per HTTP call (Mastodon.py's own default is 300)
MAX_PROCESSING_WAIT = 60.0
PROCESSING_POLL = 1.0
RECENT_POSTS_TO_CHECK = 40  # Mastodon's largest page
# Our clock and the server's may disagree by this much; a same-text post within it before the
# attempt started cannot be told apart from the attempt, so a person decides.
CLOCK_SKEW = timedelta(seconds=5)
# Mastodon forgets an Idempotency-Key an hour after the status; keep a margin for clock skew.
RESEND_IS_SAFE_FOR = timedelta(minutes=50)
# ...and stores it only when the first request finishes: give a slow first request time to end.
RESEND_NOT_BEFORE = timedelta(minutes=2)
AMBIGUOUS = (
    "More than one post on the school's Mastodon account could be this one (they share the same text "
    "and photo count), so the app cannot tell which. Check the account by hand."
)


class MastodonPublisher:
    """Posts publicly to the school's Mastodon account; the instance's limits are read once and kept."""

    def __init__(
        self,
        api_base_url: str,
        access_token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self._token, self._timeout, self._sleep = access_token, timeout, sleep
        self._session = session or requests.Session()
        self.client = self._make_client(None)
        self._instance: Mapping[str, Any] | None = None
        self._limits: NetworkLimits | None = None
        self._account: Mapping[str, Any] | None = None

    def __repr__(self) -> str:
        return f"MastodonPublisher({self.api_base_url!r})"  # never the token

    def _make_client(self, version: str | None) -> Mastodon:
        """A Mastodon.py client; with ``version`` it needs no extra call to learn the server's version."""
        client = Mastodon(
            access_token=self._token,
            api_base_url=self.api_base_url,
            request_timeout=self._timeout,
            ratelimit_method="throw",  # a rate limit goes back to the job queue; never sleep in a worker
            session=self._session,
            # "created" only so Mastodon.py takes the version we give it (it picks /api/v2/media by it);
            # checks are then switched off, as other servers' versions (GoToSocial's 0.x) would fail them.
            mastodon_version=version,
            version_check_mode="created" if version else "none",
        )
        client.version_check_mode = "none"
        return client

    def _call(self, call: Callable[..., Any], *args: Any, may_have_posted: bool = False, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except MastodonError as exc:
            raise error_for(exc, may_have_posted=may_have_posted, retry_at=retry_time(self.client)) from exc

    def _read_instance(self) -> Mapping[str, Any]:
        if self._instance is None:
            try:
                instance = self._instance_document()
            except MastodonError as exc:
                raise error_for(exc, may_have_posted=False, retry_at=retry_time(self.client)) from exc
            version = str(instance.get("version") or "").split(" ")[0] or None
            try:
                self.client = self._make_client(version)
            except MastodonVersionError:
                self.client = self._make_client("4.0.0")  # v2 answered, so at least Mastodon 4.0
            self._instance = instance
            log.info("Mastodon instance %s read (version %s)", self.api_base_url, version or "unknown")
        return self._instance

    def _instance_document(self) -> Mapping[str, Any]:
        """``/api/v2/instance``; on a server without it (before Mastodon 4.0) v1, which has the same
        ``configuration`` since 3.4; on one with neither, nothing: the defaults apply."""
        try:
            return self.client.instance_v2()  # type: ignore[no-any-return]
        except MastodonNotFoundError:
            pass
        try:
            return self.client.instance_v1()  # type: ignore[no-any-return]
        except MastodonNotFoundError:
            return {}

    def caption_limit(self) -> tuple[int, bool]:
        """The server's caption limit, and whether the server said it (False: Mastodon's default, 500).

        Raises:
            RetryableError, NeedsReconnectError: the instance could not be read.
        """
        return caption_limit(self._read_instance())

    def limits(self) -> NetworkLimits:
        """This instance's caption, photo and description limits (read from the instance once).

        Raises:
            RetryableError, NeedsReconnectError: the instance could not be read.
        """
        if self._limits is None:
            self._limits = limits_from_instance(self._read_instance())
        return self._limits

    def publish(self, post: Post) -> Published:
        """Check the post against the instance's limits, upload the photos, then post the status.

        Raises:
            InvalidPostError: the post does not fit this instance (nothing was sent).
            RetryableError: rate limit, server error or network fault; ``outcome_unknown`` is set when
                the status itself may have been created.
            NeedsReconnectError: the access token was refused.
            RejectedError: the server refused the post or a photo.
        """
        check_limits(post, self.limits())
        media_ids = [self._upload(image.jpeg, image.alt_text) for image in post.images]
        extra: dict[str, str] = {}
        if post.attempt is not None:
            extra["idempotency_key"] = post.attempt.id
        if supports_quote_policy(self._read_instance()):
            extra["quote_approval_policy"] = "nobody"  # quotes can be switched off, replies cannot
        status = self._call(
            self.client.status_post, post.text, media_ids=media_ids, visibility="public",
            may_have_posted=True, **extra,
        )
        status_id = str(status.get("id") or "")
        if not status_id:
            raise RetryableError(
                "The Mastodon server's answer to the post could not be read. Checking before trying again.",
                outcome_unknown=True,
            )
        log.info("Mastodon status %s posted on %s with %d photos", status_id, self.api_base_url, len(media_ids))
        return Published(remote_id=status_id, url=str(status.get("url") or status.get("uri") or ""))

    def _upload(self, jpeg: bytes, alt_text: str) -> str:
        """Upload one photo with its description; wait while the server processes it (a 202)."""
        media = self._call(
            self.client.media_post, jpeg, mime_type="image/jpeg", description=alt_text, file_name="photo.jpg"
        )
        waited = 0.0
        while media.get("url") is None:  # processing: 202 on upload, 206 while polled
            if waited + PROCESSING_POLL > MAX_PROCESSING_WAIT:
                raise RetryableError("The Mastodon server is still processing a photo. The post will be tried again.")
            self._sleep(PROCESSING_POLL)
            waited += PROCESSING_POLL
            media = self._call(self.client.media, media["id"])
        return str(media["id"])

    def resend_is_safe(self, attempt: Attempt, now: datetime | None = None) -> bool:
        """True while Mastodon surely holds this attempt's Idempotency-Key: ``publish`` again cannot double post."""
        age = (now or datetime.now(UTC)) - attempt.started_at
        return RESEND_NOT_BEFORE <= age < RESEND_IS_SAFE_FOR

    def check_connection(self) -> str:
        """The connected account as ``@name@instance``, or an error saying what to fix.

        Raises:
            NeedsReconnectError: the token was refused or lacks a permission.
            RetryableError: the server could not be reached. RejectedError: it is not a Mastodon server.
        """
        try:
            account = self._verified_account()
        except RetryableError as exc:
            raise RetryableError(
                f"Could not reach {self.api_base_url}. Check the server address (for example "
                "https://mastodon.social) and try again in a minute.", retry_at=exc.retry_at
            ) from exc
        except RejectedError as exc:
            raise RejectedError(
                f"{self.api_base_url} did not answer like a Mastodon server. Check the server address: "
                "it is the start of the address of the school's profile page."
            ) from exc
        acct = str(account.get("acct") or account.get("username") or "")
        domain = str((self._read_instance().get("domain") or "")) or self.api_base_url.split("://")[-1]
        return f"@{acct}" if "@" in acct else f"@{acct}@{domain}"

    def _verified_account(self) -> Mapping[str, Any]:
        if self._account is None:
            self._read_instance()
            self._account = self._call(self.client.account_verify_credentials)
        return self._account

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The status this attempt made: same text (links ignored), same number of photos, created after
        the attempt started, and not already recorded for another post.

        Raises:
            CannotTellError: the statuses cannot be read, or more than one fits (``AmbiguousError``).
            RetryableError, NeedsReconnectError: as for ``publish``.
        """
        account = self._verified_account()
        try:
            statuses = self.client.account_statuses(
                account["id"],
                min_id=attempt.started_at - CLOCK_SKEW,  # Mastodon ids carry their creation time
                limit=RECENT_POSTS_TO_CHECK,
                exclude_reblogs=True,
            )
        except MastodonError as exc:
            error = error_for(exc, may_have_posted=False, retry_at=retry_time(self.client))
            if isinstance(error, RetryableError) or isinstance(exc, MastodonUnauthorizedError):
                raise error from exc
            raise CannotTellError(
                "The app could not read the school's Mastodon posts back, so it cannot tell whether the "
                "post went out. Check the account by hand; a new access token with read:statuses fixes this."
            ) from exc
        fits, maybe = candidates(statuses, text, attempt, CLOCK_SKEW)
        log.info("Mastodon: %d recent statuses read, %d fit the attempt, %d within the clock skew",
                 len(statuses), len(fits), len(maybe))
        if len(fits) == 1 and not maybe:
            return Published(remote_id=fits[0][0], url=fits[0][1])
        if fits or maybe:
            raise AmbiguousError(AMBIGUOUS)
        if len(statuses) >= RECENT_POSTS_TO_CHECK:
            raise CannotTellError(
                "The school's Mastodon account has posted a lot since this post was tried, so the app "
                "cannot be sure. Check the account by hand."
            )
        return None

