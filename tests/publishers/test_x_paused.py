"""X's 402 (the school's pay-per-use credits are spent): the channel pauses, the post is kept, nothing is retried.

Real tweepy and the real uploader; only HTTP is intercepted (``responses``). The body is the one X
sends when credits run out (seen in the wild, koala73/worldmonitor#7156).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import responses

from tests.publishers.conftest import CONSUMER_KEY, CONSUMER_SECRET, MEDIA_API, TWEETS_URL, make_jpeg
from tripposter.publishers.base import (
    Attempt,
    NeedsReconnectError,
    PausedError,
    Post,
    PostImage,
    PublishError,
    RejectedError,
    RetryableError,
)
from tripposter.publishers.x import XPublisher
from tripposter.publishers.x_connect import XTokens

CREDITS_DEPLETED = {
    "title": "Payment Required",
    "detail": "credits depleted",
    "type": "https://api.x.com/2/problems/credits-depleted",
}


def _publish(tokens: XTokens) -> None:
    post = Post(text="Rock pooling at Robin Hood's Bay #Year5Trip",
                images=(PostImage(make_jpeg(), "Pupils on the beach"),))
    XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens, timeout=9.0).publish(post)


def _assert_paused(error: PublishError) -> None:
    """Paused: not a passing fault to retry on a timer, not a refusal of the post, not a reconnect."""
    assert isinstance(error, PausedError) and error.code == "paused"
    assert not isinstance(error, (RetryableError, RejectedError, NeedsReconnectError))
    message = error.user_message
    assert "credits have run out" in message and "nothing was posted" in message
    assert "senior leader" in message and "console.x.com" in message and "press Resume on the X channel" in message


def _calls_to(rsps: responses.RequestsMock, url: str) -> int:
    return sum(call.request.url == url for call in rsps.calls)


def test_402_on_the_first_upload_request_pauses_and_posts_nothing(
    rsps: responses.RequestsMock, tokens: XTokens
) -> None:
    rsps.post(f"{MEDIA_API}/2/media/upload/initialize", status=402, json=CREDITS_DEPLETED)
    with pytest.raises(PausedError) as paused:
        _publish(tokens)
    _assert_paused(paused.value)
    assert len(rsps.calls) == 1  # asked once, never again
    assert _calls_to(rsps, TWEETS_URL) == 0


def test_402_when_setting_alt_text_pauses_before_the_post(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    media_flow("5")
    rsps.replace(responses.POST, f"{MEDIA_API}/2/media/metadata", status=402, json=CREDITS_DEPLETED)
    with pytest.raises(PausedError) as paused:
        _publish(tokens)
    _assert_paused(paused.value)
    assert _calls_to(rsps, f"{MEDIA_API}/2/media/metadata") == 1
    assert _calls_to(rsps, TWEETS_URL) == 0


def test_402_on_create_tweet_pauses_once_and_is_not_an_unknown_outcome(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    media_flow("6")
    rsps.post(TWEETS_URL, status=402, json=CREDITS_DEPLETED)
    with pytest.raises(PausedError) as paused:
        _publish(tokens)
    # Not a RetryableError, so never "outcome unknown": X refused the request, and refused requests are free.
    _assert_paused(paused.value)
    assert _calls_to(rsps, TWEETS_URL) == 1


def test_402_with_an_empty_body_is_still_a_pause(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    media_flow("8")
    rsps.post(TWEETS_URL, status=402, body="")
    with pytest.raises(PausedError) as paused:
        _publish(tokens)
    _assert_paused(paused.value)


def test_402_while_reconciling_is_a_pause_too(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    rsps.get("https://api.twitter.com/2/users/42/tweets", status=402, json=CREDITS_DEPLETED)
    attempt = Attempt("b" * 32, datetime(2026, 6, 3, 10, 0, tzinfo=UTC), 1)
    with pytest.raises(PausedError) as paused:
        XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens).find_recent("#Year5Trip", attempt)
    _assert_paused(paused.value)
    assert len(rsps.calls) == 1
