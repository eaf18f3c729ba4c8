"""Facebook's ``find_recent`` and ``check_connection``: an unknown attempt is matched on the Page's own
published posts by message, photo count, time and the ids other posts own, never by text alone. Every
photo-only post of a trip has the same text, so these tests use identical texts throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from tests.publishers.conftest import query
from tests.publishers.test_facebook_fakes import GRAPH, PAGE_ID, RECENT_URL, graph_error, publisher
from tripposter.publishers.base import AmbiguousError, Attempt, CannotTellError, NeedsReconnectError, RetryableError
from tripposter.publishers.facebook import AMBIGUOUS, CLOCK_SKEW

TEXT = "#Year5Trip #RobinHoodsBay"
STARTED = datetime(2026, 6, 3, 10, 0, 0, tzinfo=UTC)


def _attempt(media: int = 2, known: frozenset[str] = frozenset()) -> Attempt:
    return Attempt("a" * 32, STARTED, media, known)


def _post(number: int, at: datetime, photos: int = 2, message: str = TEXT) -> dict[str, object]:
    """A published post as Graph lists it: an album attachment when it has several photos."""
    if photos == 1:
        attachments = [{"type": "photo"}]
    else:
        attachments = [{"type": "album", "subattachments": {"data": [{"type": "photo"}] * photos}}]
    return {
        "id": f"{PAGE_ID}_{number}",
        "message": message,
        "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "attachments": {"data": attachments},
    }


def _recent(rsps: responses.RequestsMock, *posts: dict[str, object], next_page: bool = False) -> None:
    body: dict[str, object] = {"data": list(posts)}
    if next_page:
        body["paging"] = {"next": f"{RECENT_URL}?after=abc"}
    rsps.get(RECENT_URL, json=body)


def _permalink(rsps: responses.RequestsMock, number: int) -> None:
    post_id = f"{PAGE_ID}_{number}"
    rsps.get(f"{GRAPH}/{post_id}", json={"id": post_id, "permalink_url": f"https://www.facebook.com/p/{number}"})


def test_the_attempts_own_post_is_found_with_a_query_for_time_message_and_photos(
    rsps: responses.RequestsMock,
) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=4)))
    _permalink(rsps, 9)
    found = publisher().find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == f"{PAGE_ID}_9" and found.url == "https://www.facebook.com/p/9"
    sent = query(rsps.calls[0].request)
    assert sent["since"] == str(int((STARTED - CLOCK_SKEW).timestamp()))
    assert sent["fields"].startswith("id,message,created_time,attachments{")
    assert "subattachments" in sent["fields"] and sent["limit"] == "100"
    assert "access_token" not in rsps.calls[0].request.url


def test_a_single_photo_post_counts_as_one_photo(rsps: responses.RequestsMock) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=2), photos=1))
    _permalink(rsps, 9)
    found = publisher().find_recent(TEXT, _attempt(media=1))
    assert found is not None and found.remote_id == f"{PAGE_ID}_9"


def test_an_earlier_post_with_the_same_text_is_never_taken_for_a_later_attempt(
    rsps: responses.RequestsMock,
) -> None:
    _recent(rsps, _post(8, STARTED - timedelta(minutes=3)), _post(7, STARTED - CLOCK_SKEW - timedelta(seconds=1)))
    assert publisher().find_recent(TEXT, _attempt()) is None


def test_a_same_text_post_within_the_clock_skew_before_the_start_is_ambiguous(
    rsps: responses.RequestsMock,
) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=3)), _post(8, STARTED - timedelta(seconds=2)))
    with pytest.raises(AmbiguousError, match="cannot tell which"):
        publisher().find_recent(TEXT, _attempt())
    assert AMBIGUOUS.startswith("More than one post")


def test_a_lone_post_within_the_clock_skew_is_never_taken_as_the_attempts(rsps: responses.RequestsMock) -> None:
    _recent(rsps, _post(8, STARTED - timedelta(seconds=2)))
    with pytest.raises(AmbiguousError):
        publisher().find_recent(TEXT, _attempt())


def test_two_posts_that_fit_are_ambiguous_never_a_guess(rsps: responses.RequestsMock) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=3)), _post(10, STARTED + timedelta(seconds=40)))
    with pytest.raises(AmbiguousError):
        publisher().find_recent(TEXT, _attempt())


def test_posts_already_recorded_for_other_attempts_are_skipped(rsps: responses.RequestsMock) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=3)), _post(10, STARTED + timedelta(seconds=40)))
    _permalink(rsps, 10)
    found = publisher().find_recent(TEXT, _attempt(known=frozenset({f"{PAGE_ID}_9"})))
    assert found is not None and found.remote_id == f"{PAGE_ID}_10"


def test_a_different_photo_count_or_message_is_another_post(rsps: responses.RequestsMock) -> None:
    _recent(
        rsps,
        _post(9, STARTED + timedelta(seconds=3), photos=3),
        _post(10, STARTED + timedelta(seconds=3), message=TEXT + " #Beach"),
        {"id": f"{PAGE_ID}_11", "message": TEXT, "created_time": "2026-06-03T10:00:09+0000"},  # no photos
    )
    assert publisher().find_recent(TEXT, _attempt()) is None


def test_spacing_that_facebook_folds_still_matches(rsps: responses.RequestsMock) -> None:
    _recent(rsps, _post(9, STARTED + timedelta(seconds=3), message="#Year5Trip  #RobinHoodsBay\n"))
    _permalink(rsps, 9)
    assert publisher().find_recent(TEXT, _attempt()) is not None


def test_nothing_published_since_the_attempt_means_no_post(rsps: responses.RequestsMock) -> None:
    _recent(rsps)
    assert publisher().find_recent(TEXT, _attempt()) is None


@pytest.mark.parametrize("code", [10, 200])
def test_a_token_that_may_not_read_the_page_cannot_tell(rsps: responses.RequestsMock, code: int) -> None:
    rsps.get(RECENT_URL, status=403, json=graph_error(code))
    with pytest.raises(CannotTellError, match="pages_read_engagement") as caught:
        publisher().find_recent(TEXT, _attempt())
    assert type(caught.value) is CannotTellError


def test_an_expired_token_while_reconciling_asks_for_a_reconnect(rsps: responses.RequestsMock) -> None:
    rsps.get(RECENT_URL, status=400, json=graph_error(190, 463))
    with pytest.raises(NeedsReconnectError):
        publisher().find_recent(TEXT, _attempt())


def test_a_rate_limit_while_reconciling_is_retried(rsps: responses.RequestsMock) -> None:
    rsps.get(RECENT_URL, status=400, json=graph_error(4))
    with pytest.raises(RetryableError):
        publisher().find_recent(TEXT, _attempt())


@pytest.mark.parametrize("body", [{"data": "odd"}, {"paging": {}}])
def test_an_unreadable_list_cannot_tell_rather_than_saying_no_post(
    rsps: responses.RequestsMock, body: dict[str, object]
) -> None:
    rsps.get(RECENT_URL, json=body)
    with pytest.raises(CannotTellError, match="could not be read"):
        publisher().find_recent(TEXT, _attempt())


def test_a_full_page_of_new_posts_cannot_tell(rsps: responses.RequestsMock) -> None:
    others = [_post(100 + i, STARTED + timedelta(seconds=i), message=f"post {i}") for i in range(100)]
    _recent(rsps, *others, next_page=True)
    with pytest.raises(CannotTellError, match="too many"):
        publisher().find_recent(TEXT, _attempt())


def test_check_connection_names_the_page_after_checking_the_token_and_read_access(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{GRAPH}/me", json={"id": PAGE_ID, "name": "Bramble Hill Primary"})
    _recent(rsps)
    assert publisher().check_connection() == "Bramble Hill Primary"
    assert query(rsps.calls[0].request) == {"fields": "id,name"}
    assert query(rsps.calls[1].request) == {"fields": "id", "limit": "1"}


def test_check_connection_refuses_a_token_for_another_page_or_a_person(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH}/me", json={"id": "10223344", "name": "Someone"})
    with pytest.raises(NeedsReconnectError, match="not the school Page's own"):
        publisher().check_connection()


def test_check_connection_says_which_permission_is_missing(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH}/me", json={"id": PAGE_ID, "name": "Bramble Hill Primary"})
    rsps.get(RECENT_URL, status=403, json=graph_error(10))
    with pytest.raises(NeedsReconnectError, match="pages_read_engagement"):
        publisher().check_connection()


def test_check_connection_with_an_expired_token(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH}/me", status=400, json=graph_error(190, 463))
    with pytest.raises(NeedsReconnectError, match="expired"):
        publisher().check_connection()


def test_a_created_time_without_an_offset_is_read_as_utc_and_a_broken_one_is_skipped(
    rsps: responses.RequestsMock,
) -> None:
    naive = _post(9, STARTED + timedelta(seconds=3))
    naive["created_time"] = "2026-06-03T10:00:03"
    broken = _post(10, STARTED + timedelta(seconds=3))
    broken["created_time"] = "yesterday"
    _recent(rsps, naive, broken)
    _permalink(rsps, 9)
    found = publisher().find_recent(TEXT, _attempt())
    assert found is not None and found.remote_id == f"{PAGE_ID}_9"
