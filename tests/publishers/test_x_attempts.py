"""X's ``find_recent``: an unknown attempt is matched by its start time, photo count and the ids other
posts own, never by text alone. Every photo-only post of a trip has the same text, so these tests
use identical texts throughout. tweepy runs for real; only HTTP is intercepted (``responses``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from tests.publishers.conftest import ACCESS_SECRET, ACCESS_TOKEN, CONSUMER_KEY, CONSUMER_SECRET, assert_signed, query
from tripposter.publishers.base import Attempt, CannotTellError
from tripposter.publishers.x import AMBIGUOUS, CLOCK_SKEW, XPublisher
from tripposter.publishers.x_connect import XTokens

TEXT = "#Year5Trip #RobinHoodsBay"  # a photo-only post: the text every such post of the trip shares
TIMELINE_URL = "https://api.twitter.com/2/users/42/tweets"
STARTED = datetime(2026, 6, 3, 10, 0, 0, tzinfo=UTC)


def _publisher(tokens: XTokens) -> XPublisher:
    return XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens, timeout=9.0)


def _attempt(media: int = 1, known: frozenset[str] = frozenset()) -> Attempt:
    return Attempt("a" * 32, STARTED, media, known)


def _tweet(tweet_id: str, at: datetime | None, media: int = 1, text: str = TEXT) -> dict[str, object]:
    tweet: dict[str, object] = {"id": tweet_id, "text": f"{text} https://t.co/m{tweet_id}",
                                "edit_history_tweet_ids": [tweet_id]}
    if at is not None:
        tweet["created_at"] = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if media:
        tweet["attachments"] = {"media_keys": [f"3_{tweet_id}{i}" for i in range(media)]}
    return tweet


def _timeline(rsps: responses.RequestsMock, *tweets: dict[str, object]) -> None:
    rsps.get(TIMELINE_URL, json={"data": list(tweets), "meta": {"result_count": len(tweets)}})


def test_the_attempts_own_post_is_found_and_the_query_asks_for_time_and_media(
    rsps: responses.RequestsMock, tokens: XTokens
) -> None:
    _timeline(rsps, _tweet("9", STARTED + timedelta(seconds=4)))
    found = _publisher(tokens).find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == "9" and found.url == "https://x.com/ourschool/status/9"
    sent = query(rsps.calls[0].request)
    assert sent["tweet.fields"] == "created_at,attachments" and sent["exclude"] == "retweets,replies"
    assert sent["start_time"].startswith("2026-06-03T09:59:55")  # the attempt's start, less the clock skew
    assert_signed(rsps.calls[0].request)


def test_an_earlier_post_with_the_same_text_is_never_taken_for_a_later_attempt(
    rsps: responses.RequestsMock, tokens: XTokens
) -> None:
    _timeline(rsps, _tweet("8", STARTED - timedelta(minutes=3)), _tweet("7", STARTED - CLOCK_SKEW - timedelta(seconds=1)))
    assert _publisher(tokens).find_recent(TEXT, _attempt()) is None


def test_a_post_another_row_already_owns_is_never_this_attempts(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    _timeline(rsps, _tweet("8", STARTED + timedelta(seconds=2)))
    assert _publisher(tokens).find_recent(TEXT, _attempt(known=frozenset({"8"}))) is None


def test_a_different_number_of_photos_is_another_post(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    _timeline(rsps, _tweet("8", STARTED + timedelta(seconds=2), media=2), _tweet("9", STARTED + timedelta(seconds=3), media=0))
    assert _publisher(tokens).find_recent(TEXT, _attempt(media=1)) is None
    _timeline(rsps, _tweet("10", STARTED + timedelta(seconds=2), media=2))
    found = _publisher(tokens).find_recent(TEXT, _attempt(media=2))
    assert found is not None and found.remote_id == "10"


@pytest.mark.parametrize("second", [STARTED + timedelta(seconds=9), STARTED - timedelta(seconds=2)],
                         ids=["two-after-the-start", "one-within-the-clock-skew"])
def test_two_posts_that_could_each_be_this_attempt_go_to_a_person(
    rsps: responses.RequestsMock, tokens: XTokens, second: datetime
) -> None:
    _timeline(rsps, _tweet("12", STARTED + timedelta(seconds=5)), _tweet("11", second))
    with pytest.raises(CannotTellError) as err:
        _publisher(tokens).find_recent(TEXT, _attempt())
    assert err.value.user_message == AMBIGUOUS


def test_without_created_at_the_time_inside_the_id_is_used(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    def snowflake(at: datetime) -> str:
        return str((int(at.timestamp() * 1000) - 1288834974657) << 22)

    early, late = snowflake(STARTED - timedelta(hours=1)), snowflake(STARTED + timedelta(seconds=6))
    _timeline(rsps, _tweet(late, None), _tweet(early, None))
    found = _publisher(tokens).find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == late


def test_absent_and_other_texts_find_nothing(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    rsps.get(TIMELINE_URL, json={"meta": {"result_count": 0}})
    assert _publisher(tokens).find_recent(TEXT, _attempt()) is None
    _timeline(rsps, _tweet("8", STARTED + timedelta(seconds=2), text="#Year3Trip"))
    assert _publisher(tokens).find_recent(TEXT, _attempt()) is None


def test_entities_are_unescaped_before_comparing(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    caption = "Rock pools & a picnic <3 #Year5Trip"
    _timeline(rsps, _tweet("8", STARTED + timedelta(seconds=2), text=caption.replace("&", "&amp;").replace("<", "&lt;")))
    found = _publisher(tokens).find_recent(caption, _attempt())
    assert found is not None and found.remote_id == "8"


def test_the_account_is_looked_up_when_its_id_is_unknown(rsps: responses.RequestsMock) -> None:
    rsps.get("https://api.twitter.com/2/users/me", json={"data": {"id": "42", "username": "ourschool"}})
    _timeline(rsps, _tweet("8", STARTED + timedelta(seconds=1)))
    found = _publisher(XTokens(ACCESS_TOKEN, ACCESS_SECRET)).find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == "8"


def test_a_tier_that_cannot_read_the_timeline_says_so(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    rsps.get(TIMELINE_URL, status=403, json={"title": "Client Forbidden", "reason": "client-not-enrolled",
                                             "type": "https://api.twitter.com/2/problems/client-forbidden"})
    with pytest.raises(CannotTellError):
        _publisher(tokens).find_recent(TEXT, _attempt())
