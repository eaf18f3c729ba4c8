"""Mastodon's ``find_recent``: an unknown attempt is matched by its start time, photo count and the ids
other posts own, never by text alone. Every photo-only post of a trip has the same text, so these tests
use identical texts throughout. Mastodon.py runs for real; only HTTP is intercepted (``responses``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from tests.publishers.test_mastodon_fakes import (
    ACCOUNT_STATUSES_URL,
    BASE,
    VERIFY_URL,
    account,
    publisher,
    query,
    register_instance,
    status,
)
from tripposter.publishers.base import AmbiguousError, Attempt, CannotTellError, NeedsReconnectError, RetryableError
from tripposter.publishers.mastodon import AMBIGUOUS, CLOCK_SKEW, RECENT_POSTS_TO_CHECK

TEXT = "#Year5Trip #RobinHoodsBay"  # a photo-only post: the text every such post of the trip shares
STARTED = datetime(2026, 6, 3, 10, 0, 0, tzinfo=UTC)
# How Mastodon renders that text: hashtags become links, the caption a paragraph.
HTML = (
    '<p><a href="https://mastodon.example/tags/Year5Trip" class="mention hashtag" rel="tag">#<span>Year5Trip'
    '</span></a> <a href="https://mastodon.example/tags/RobinHoodsBay" class="mention hashtag" rel="tag">'
    "#<span>RobinHoodsBay</span></a></p>"
)


def _attempt(media: int = 1, known: frozenset[str] = frozenset()) -> Attempt:
    return Attempt("a" * 32, STARTED, media, known)


def _timeline(rsps: responses.RequestsMock, *statuses: dict[str, object]) -> None:
    _reading(rsps, json=list(statuses))


def _reading(rsps: responses.RequestsMock, **answer: object) -> None:
    """The account is verified; reading its statuses gets ``answer``."""
    register_instance(rsps)
    rsps.get(VERIFY_URL, json=account())
    rsps.get(ACCOUNT_STATUSES_URL, **answer)


def test_the_attempts_own_status_is_found_and_the_query_starts_at_the_attempt(
    rsps: responses.RequestsMock,
) -> None:
    _timeline(rsps, status("113", HTML, STARTED + timedelta(seconds=4)))
    found = publisher().find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == "113" and found.url == f"{BASE}/@school/113"
    sent = query(rsps.calls[-1].request)
    since = int((STARTED - CLOCK_SKEW).timestamp()) * 1000 << 16  # a Mastodon id holds its time
    assert sent["min_id"] == [str(since)] and sent["limit"] == [str(RECENT_POSTS_TO_CHECK)]
    assert sent["exclude_reblogs"] == ["1"]


def test_text_with_a_link_entities_and_line_breaks_still_matches(rsps: responses.RequestsMock) -> None:
    text = "Fish & chips <3\nSee https://example.org/a-very-long-path/trip-report #Year5Trip"
    html = (
        "<p>Fish &amp; chips &lt;3<br />See <a href=\"https://example.org/a-very-long-path/trip-report\" "
        'rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">'
        'example.org/a-very-long-path/</span><span class="invisible">trip-report</span></a> '
        '<a href="https://mastodon.example/tags/Year5Trip" class="mention hashtag" rel="tag">#<span>Year5Trip'
        "</span></a></p>"
    )
    _timeline(rsps, status("120", html, STARTED + timedelta(seconds=2)))
    found = publisher().find_recent(text, _attempt())
    assert found is not None and found.remote_id == "120"


def test_an_earlier_status_with_the_same_text_is_never_taken_for_a_later_attempt(
    rsps: responses.RequestsMock,
) -> None:
    _timeline(rsps, status("108", HTML, STARTED - timedelta(minutes=3)),
              status("107", HTML, STARTED - CLOCK_SKEW - timedelta(seconds=1)))
    assert publisher().find_recent(TEXT, _attempt()) is None


def test_a_status_with_another_number_of_photos_is_not_the_attempts(rsps: responses.RequestsMock) -> None:
    _timeline(rsps, status("113", HTML, STARTED + timedelta(seconds=4), media_count=3))
    assert publisher().find_recent(TEXT, _attempt(media=2)) is None


def test_a_status_already_recorded_for_another_post_is_skipped(rsps: responses.RequestsMock) -> None:
    _timeline(rsps, status("113", HTML, STARTED + timedelta(seconds=4)),
              status("114", HTML, STARTED + timedelta(seconds=9)))
    found = publisher().find_recent(TEXT, _attempt(known=frozenset({"113"})))
    assert found is not None and found.remote_id == "114"


def test_a_different_text_is_not_the_attempts(rsps: responses.RequestsMock) -> None:
    _timeline(rsps, status("113", "<p>#Year6Trip #RobinHoodsBay</p>", STARTED + timedelta(seconds=4)))
    assert publisher().find_recent(TEXT, _attempt()) is None


def test_two_statuses_that_fit_are_ambiguous(rsps: responses.RequestsMock) -> None:
    _timeline(rsps, status("113", HTML, STARTED + timedelta(seconds=4)),
              status("114", HTML, STARTED + timedelta(seconds=9)))
    with pytest.raises(AmbiguousError) as caught:
        publisher().find_recent(TEXT, _attempt())
    assert caught.value.user_message == AMBIGUOUS


def test_a_status_within_the_clock_skew_before_the_start_is_ambiguous(rsps: responses.RequestsMock) -> None:
    _timeline(rsps, status("113", HTML, STARTED - timedelta(seconds=2)))
    with pytest.raises(AmbiguousError):
        publisher().find_recent(TEXT, _attempt())


def test_a_full_page_without_the_attempt_cannot_tell(rsps: responses.RequestsMock) -> None:
    others = [status(str(200 + i), "<p>Another trip</p>", STARTED + timedelta(seconds=i + 1))
              for i in range(RECENT_POSTS_TO_CHECK)]
    _timeline(rsps, *others)
    with pytest.raises(CannotTellError):
        publisher().find_recent(TEXT, _attempt())


def test_statuses_that_cannot_be_read_cannot_tell(rsps: responses.RequestsMock) -> None:
    _reading(rsps, status=403, json={"error": "This action is outside the authorized scopes"})
    with pytest.raises(CannotTellError) as caught:
        publisher().find_recent(TEXT, _attempt())
    assert not isinstance(caught.value, AmbiguousError) and "read:statuses" in caught.value.user_message


def test_a_server_error_while_reading_is_retryable(rsps: responses.RequestsMock) -> None:
    _reading(rsps, status=503, body="busy")
    with pytest.raises(RetryableError) as caught:
        publisher().find_recent(TEXT, _attempt())
    assert caught.value.outcome_unknown is False


def test_a_refused_token_while_reconciling_needs_reconnecting(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.get(VERIFY_URL, status=401, json={"error": "The access token is invalid"})
    with pytest.raises(NeedsReconnectError):
        publisher().find_recent(TEXT, _attempt())


def test_a_token_revoked_before_reading_the_statuses_needs_reconnecting(rsps: responses.RequestsMock) -> None:
    _reading(rsps, status=401, json={"error": "The access token was revoked"})
    with pytest.raises(NeedsReconnectError):
        publisher().find_recent(TEXT, _attempt())
