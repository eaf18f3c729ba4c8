"""The X publisher: v2 media upload (``x_media``) then ``tweepy.Client.create_tweet``.

The client is built with ``return_type=requests.Response`` so the response headers (rate limits,
including the 24-hour posting cap) can be read; the JSON body is parsed here. tweepy 4.17 sends
posts to ``https://api.twitter.com/2/tweets`` (its hard-coded host), which X still serves.
tweepy sets no timeout, so a timeout adapter is mounted on the client's session.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy

from tripposter.publishers.base import (
    AmbiguousError,
    Attempt,
    CannotTellError,
    Post,
    Published,
    RetryableError,
    check_limits,
    parse_daily_limit,
    parse_rate_limit,
)
from tripposter.publishers.x_connect import XTokens
from tripposter.publishers.x_costs import LIMITS
from tripposter.publishers.x_media import (
    API,
    CHUNK_SIZE,
    DEFAULT_TIMEOUT,
    MediaUploader,
    error_for_exception,
    error_for_response,
    install_timeout,
    quiet_chatty_loggers,
)

_URL = re.compile(r"https?://\S+")
RECENT_POSTS_TO_CHECK = 20
# Our clock and X's may disagree by this much: a same-text post made within it just before the
# attempt started cannot be told apart from the attempt, so a person decides.
CLOCK_SKEW = timedelta(seconds=5)
_TWITTER_EPOCH_MS = 1288834974657  # X's ids carry their creation time (snowflake)
AMBIGUOUS = (
    "More than one post on the school's X account could be this one (they share the same text), so the app "
    "cannot tell which. Check the account by hand."
)


class XPublisher:
    """Posts to the school's X account with OAuth 1.0a user context."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        tokens: XTokens,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        chunk_size: int = CHUNK_SIZE,
        media_api: str = API,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        quiet_chatty_loggers()
        self.tokens = tokens
        self.client = tweepy.Client(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=tokens.access_token,
            access_token_secret=tokens.access_token_secret,
            return_type=requests.Response,
        )
        install_timeout(self.client.session, timeout)
        auth = tweepy.OAuth1UserHandler(
            consumer_key, consumer_secret, tokens.access_token, tokens.access_token_secret
        ).apply_auth()
        extra = {"sleep": sleep} if sleep is not None else {}
        self.uploader = MediaUploader(
            self.client.session, auth, api=media_api, chunk_size=chunk_size, timeout=timeout, **extra
        )
        self._user_id = tokens.user_id

    def __repr__(self) -> str:
        return f"XPublisher(account={self.tokens.screen_name or self.tokens.user_id!r})"

    def publish(self, post: Post) -> Published:
        """Check the post against X's limits, upload the images (with alt text), then create the post.

        Raises:
            InvalidPostError: the post does not fit X's limits; nothing was sent.
            RetryableError: rate limit, X server error or network fault; ``outcome_unknown`` is set
                when the post itself may have been created.
            NeedsReconnectError: the account's authorisation was refused.
            PausedError: the school's X credits ran out (402); nothing was posted.
            RejectedError: X refused the post (``duplicate`` when it is a copy of a recent post).
        """
        check_limits(post, LIMITS)  # refused here, not by X after the photos are uploaded
        media_ids = [self.uploader.upload(image.jpeg, image.alt_text) for image in post.images]
        try:
            response = self.client.create_tweet(
                text=post.text,
                media_ids=media_ids,
                reply_settings=post.reply_settings,
                user_auth=True,
            )
        except tweepy.HTTPException as exc:
            raise error_for_response(exc.response, may_have_posted=True) from exc
        except requests.RequestException as exc:
            raise error_for_exception(exc, request_sent=True) from exc
        post_id = _json(response).get("data", {}).get("id")
        if not post_id:
            raise RetryableError(
                "X's answer to the post could not be read. Checking before trying again.",
                outcome_unknown=True,
            )
        return Published(
            remote_id=str(post_id),
            url=self._url(str(post_id)),
            rate_limit=parse_rate_limit(response.headers),
            daily_limit=parse_daily_limit(response.headers),
        )

    def find_recent(self, text: str, attempt: Attempt) -> Published | None:
        """The post this attempt made: same text (links ignored), same number of photos, created after
        the attempt started, and not already recorded for another post.

        Raises:
            CannotTellError: the API tier may not read the account's posts, or more than one post fits.
            RetryableError, NeedsReconnectError, PausedError: as for ``publish``.
        """
        try:
            response = self.client.get_users_tweets(
                id=self._account_id(),
                max_results=RECENT_POSTS_TO_CHECK,
                exclude=["retweets", "replies"],
                start_time=attempt.started_at - CLOCK_SKEW,
                tweet_fields=["created_at", "attachments"],
                user_auth=True,
            )
        except tweepy.Forbidden as exc:
            raise CannotTellError(
                "The school's X plan does not let this app read back its posts, so it cannot tell "
                "whether the post went out. Check the school's X account by hand."
            ) from exc
        except tweepy.HTTPException as exc:
            raise error_for_response(exc.response) from exc
        except requests.RequestException as exc:
            raise error_for_exception(exc, request_sent=False) from exc
        fits, maybe = _candidates(_json(response).get("data") or [], text, attempt)
        if len(fits) == 1 and not maybe:
            return Published(remote_id=fits[0], url=self._url(fits[0]))
        if fits or maybe:
            raise AmbiguousError(AMBIGUOUS)
        return None

    def _account_id(self) -> str:
        if self._user_id is None:
            try:
                response = self.client.get_me(user_auth=True)
            except tweepy.Forbidden as exc:
                raise CannotTellError(
                    "The app cannot look up the school's X account. Check the account by hand."
                ) from exc
            except tweepy.HTTPException as exc:
                raise error_for_response(exc.response) from exc
            except requests.RequestException as exc:
                raise error_for_exception(exc, request_sent=False) from exc
            user_id = _json(response).get("data", {}).get("id")
            if not user_id:
                raise CannotTellError("X did not say which account is connected. Check it by hand.")
            self._user_id = str(user_id)
        return self._user_id

    def _url(self, post_id: str) -> str:
        if self.tokens.screen_name:
            return f"https://x.com/{self.tokens.screen_name}/status/{post_id}"
        return f"https://x.com/i/web/status/{post_id}"


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _comparable(text: str) -> str:
    """Caption text as X echoes it back: entities unescaped, links (t.co, media) dropped, spaces folded."""
    return " ".join(_URL.sub(" ", html.unescape(text)).split())


def _candidates(tweets: list[Any], text: str, attempt: Attempt) -> tuple[list[str], list[str]]:
    """Posts that are surely after the attempt started, and posts within the clock skew before it."""
    wanted, fits, maybe = _comparable(text), [], []
    for tweet in tweets:
        if not isinstance(tweet, dict) or "id" not in tweet:
            continue
        tweet_id = str(tweet["id"])
        if tweet_id in attempt.known_ids or _comparable(str(tweet.get("text", ""))) != wanted:
            continue
        media = (tweet.get("attachments") or {}).get("media_keys") or []
        created = _created_at(tweet)
        if len(media) != attempt.media_count or created is None or created < attempt.started_at - CLOCK_SKEW:
            continue  # another post: a different number of photos, or made before this attempt began
        (fits if created >= attempt.started_at else maybe).append(tweet_id)
    return fits, maybe


def _created_at(tweet: dict[str, Any]) -> datetime | None:
    """When X made the post: its ``created_at``, else the time inside its snowflake id."""
    raw = tweet.get("created_at")
    try:
        if isinstance(raw, str):
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        return datetime.fromtimestamp(((int(tweet["id"]) >> 22) + _TWITTER_EPOCH_MS) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
