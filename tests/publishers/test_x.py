"""The X publisher: real tweepy, HTTP intercepted by `responses`; payloads, headers and fault mapping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import requests
import responses

from tests.publishers.conftest import (
    ACCESS_SECRET,
    ACCESS_TOKEN,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    TWEETS_URL,
    assert_signed,
    json_body,
    make_jpeg,
    query,
)
from tripposter.publishers.base import (
    NeedsReconnectError,
    Post,
    PostImage,
    Publisher,
    RejectedError,
    RetryableError,
    retry_time,
)
from tripposter.publishers.x import XPublisher
from tripposter.publishers.x_connect import XTokens

CAPTION = "Rock pooling at Robin Hood's Bay & a picnic <3 #Year5Trip"
RESET = 1_900_000_000
TIMELINE_URL = "https://api.twitter.com/2/users/42/tweets"


def _publisher(tokens: XTokens) -> XPublisher:
    return XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens, timeout=9.0)


def _post(count: int = 2) -> Post:
    images = tuple(
        PostImage(make_jpeg(40, 30, seed=i), f"Pupils on the beach, photo {i + 1}")
        for i in range(count)
    )
    return Post(text=CAPTION, images=images)


def _created(post_id: str = "1890000000000000001", **headers: str) -> dict:
    return {
        "json": {"data": {"id": post_id, "text": CAPTION, "edit_history_tweet_ids": [post_id]}},
        "status": 201,
        "headers": headers,
    }


def test_x_publisher_is_a_publisher(tokens: XTokens) -> None:
    assert isinstance(_publisher(tokens), Publisher)


def test_publish_uploads_media_then_posts_with_ids_and_reply_settings(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    media_flow("111")
    media_flow("222")
    rsps.post(
        TWEETS_URL,
        **_created(
            **{
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "99",
                "x-rate-limit-reset": str(RESET),
                "x-user-limit-24hour-limit": "17",
                "x-user-limit-24hour-remaining": "16",
                "x-user-limit-24hour-reset": str(RESET + 60),
                "x-app-limit-24hour-limit": "1667",
                "x-app-limit-24hour-remaining": "1600",
                "x-app-limit-24hour-reset": str(RESET + 120),
            }
        ),
    )

    published = _publisher(tokens).publish(_post(count=2))

    assert published.remote_id == "1890000000000000001"
    assert published.url == "https://x.com/ourschool/status/1890000000000000001"
    assert published.rate_limit is not None
    assert (published.rate_limit.limit, published.rate_limit.remaining) == (100, 99)
    assert published.rate_limit.reset_at == datetime.fromtimestamp(RESET, tz=UTC)
    assert published.daily_limit is not None
    assert (published.daily_limit.limit, published.daily_limit.remaining) == (17, 16)

    tweet_call = rsps.calls[-1]
    assert tweet_call.request.url == TWEETS_URL
    assert json_body(tweet_call.request) == {
        "text": CAPTION,
        "media": {"media_ids": ["111", "222"]},
        "reply_settings": "mentionedUsers",
    }
    assert [c.request.url.rsplit("/", 1)[-1] for c in rsps.calls[:-1]].count("metadata") == 2
    for call in rsps.calls:
        assert_signed(call.request)
        assert call.request.req_kwargs["timeout"] == 9.0


def test_url_falls_back_without_screen_name(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None]
) -> None:
    media_flow("1")
    rsps.post(TWEETS_URL, **_created("99"))
    published = _publisher(XTokens(ACCESS_TOKEN, ACCESS_SECRET)).publish(_post(count=1))
    assert published.url == "https://x.com/i/web/status/99"
    assert published.rate_limit is None and published.daily_limit is None


def _fail_tweet(rsps: responses.RequestsMock, media_flow: Callable[[str], None], **kwargs: object) -> None:
    media_flow("1")
    rsps.post(TWEETS_URL, **kwargs)


def test_429_is_retryable_at_the_reset_time(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    _fail_tweet(
        rsps,
        media_flow,
        status=429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        headers={
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(RESET),
        },
    )
    with pytest.raises(RetryableError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.retry_at == datetime.fromtimestamp(RESET, tz=UTC)
    assert caught.value.outcome_unknown is False


def test_429_for_the_daily_cap_waits_for_the_daily_reset(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    _fail_tweet(
        rsps,
        media_flow,
        status=429,
        json={"title": "Too Many Requests", "status": 429},
        headers={
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "97",
            "x-rate-limit-reset": str(RESET),
            "x-user-limit-24hour-limit": "17",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(RESET + 50_000),
        },
    )
    with pytest.raises(RetryableError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.retry_at == datetime.fromtimestamp(RESET + 50_000, tz=UTC)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable_but_may_have_posted(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens, status: int
) -> None:
    _fail_tweet(rsps, media_flow, status=status, body="upstream error")
    with pytest.raises(RetryableError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.outcome_unknown is True
    assert caught.value.retry_at is None


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (requests.exceptions.ConnectTimeout("no connect"), False),
        (requests.exceptions.ReadTimeout("no answer"), True),
        (requests.exceptions.ConnectionError("reset"), True),
    ],
)
def test_network_faults_are_retryable(
    rsps: responses.RequestsMock,
    media_flow: Callable[[str], None],
    tokens: XTokens,
    exc: Exception,
    unknown: bool,
) -> None:
    _fail_tweet(rsps, media_flow, body=exc)
    with pytest.raises(RetryableError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.outcome_unknown is unknown


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        (403, {"title": "Forbidden", "type": "about:blank", "status": 403,
               "detail": "You are not permitted to perform this action."}),
        (403, {"title": "Client Forbidden", "reason": "client-not-enrolled",
               "type": "https://api.twitter.com/2/problems/client-forbidden",
               "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
                         "keys and tokens from a Twitter developer App that is attached to a Project."}),
    ],
)
def test_auth_refusals_need_reconnect(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens, status: int, body: dict
) -> None:
    _fail_tweet(rsps, media_flow, status=status, json=body)
    with pytest.raises(NeedsReconnectError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert "admin" in caught.value.user_message


def test_duplicate_content_is_rejected_as_duplicate(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    # The body X sends today (seen in the wild, e.g. akrherz/iembot#163).
    _fail_tweet(
        rsps,
        media_flow,
        status=403,
        json={
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )
    with pytest.raises(RejectedError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.duplicate is True


def test_bad_request_is_rejected_not_duplicate(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    _fail_tweet(
        rsps,
        media_flow,
        status=400,
        json={"errors": [{"message": "Your media IDs are invalid."}], "title": "Invalid Request"},
    )
    with pytest.raises(RejectedError) as caught:
        _publisher(tokens).publish(_post(count=1))
    assert caught.value.duplicate is False


def test_failed_upload_never_creates_the_post(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    rsps.post("https://api.x.com/2/media/upload/initialize", status=503, body="busy")
    with pytest.raises(RetryableError):
        _publisher(tokens).publish(_post(count=1))
    assert all(call.request.url != TWEETS_URL for call in rsps.calls)


def test_nothing_secret_or_private_is_logged(
    rsps: responses.RequestsMock,
    media_flow: Callable[[str], None],
    tokens: XTokens,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("tweepy", "requests_oauthlib", "oauthlib"):  # undo what earlier tests set
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    caplog.set_level(logging.DEBUG)  # also clears the loggers' level caches
    media_flow("1")
    rsps.post(TWEETS_URL, **_created())
    _publisher(tokens).publish(_post(count=1))
    assert "Robin Hood" not in caplog.text
    assert ACCESS_TOKEN not in caplog.text and ACCESS_SECRET not in caplog.text
    assert "JFIF" not in caplog.text


def test_repr_hides_tokens(tokens: XTokens) -> None:
    text = repr(_publisher(tokens))
    assert ACCESS_TOKEN not in text and ACCESS_SECRET not in text and CONSUMER_SECRET not in text


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-rate-limit-reset": "soon"}, {"x-rate-limit-reset": "99999999999999999999"}],
)
def test_retry_time_without_usable_headers_is_none(headers: dict[str, str]) -> None:
    assert retry_time(headers) is None


def test_post_repr_leaves_out_caption_alt_text_and_bytes() -> None:
    text = repr(_post(count=1))
    assert "Robin Hood" not in text and "Pupils on the beach" not in text and "JFIF" not in text
