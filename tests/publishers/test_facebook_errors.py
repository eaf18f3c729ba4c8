"""Graph's error shapes, as Facebook sends them, become the publisher errors the job queue acts on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from tests.publishers.test_facebook_fakes import (
    FEED_URL,
    GRAPH,
    PAGE_ID,
    PAGE_TOKEN,
    PHOTOS_URL,
    graph_error,
    post,
    publisher,
    register_uploads,
)
from tripposter.publishers.base import NeedsReconnectError, PublishError, RejectedError, RetryableError
from tripposter.publishers.facebook import FacebookPublisher
from tripposter.publishers.facebook_graph import retry_time

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)


def _fail_feed(rsps: responses.RequestsMock, status: int, body: object, headers: dict[str, str] | None = None) -> None:
    """One photo uploads; the feed post fails as given (its photo is then deleted or kept)."""
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, status=status, json=body, headers=headers or {})
    rsps.delete(f"{GRAPH}/5551", json={"success": True})


def _publish_error(rsps: responses.RequestsMock) -> PublishError:
    with pytest.raises(PublishError) as caught:
        publisher().publish(post(count=1))
    return caught.value


@pytest.mark.parametrize(
    ("subcode", "says"),
    [
        (463, "has expired"),
        (460, "password"),
        (458, "removed the app"),
        (492, "no longer one of its admins"),
        (None, "no longer accepts"),
    ],
)
def test_an_expired_or_invalid_token_asks_a_senior_leader_to_reconnect(
    rsps: responses.RequestsMock, subcode: int | None, says: str
) -> None:
    _fail_feed(rsps, 400, graph_error(190, subcode))
    error = _publish_error(rsps)
    assert type(error) is NeedsReconnectError
    assert says in error.user_message and "reconnect the Facebook Page" in error.user_message


@pytest.mark.parametrize(("code", "status"), [(4, 400), (17, 400), (32, 400), (613, 400), (80001, 400), (None, 429)])
def test_rate_limits_are_retried_later(rsps: responses.RequestsMock, code: int | None, status: int) -> None:
    _fail_feed(rsps, status, graph_error(code) if code else {})
    error = _publish_error(rsps)
    assert type(error) is RetryableError and "limiting" in error.user_message
    assert error.retry_at is None and error.outcome_unknown is False


def test_a_rate_limit_with_a_usage_header_says_when_to_retry(rsps: responses.RequestsMock) -> None:
    usage = {"1061234567890": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 17}]}
    _fail_feed(rsps, 400, graph_error(32), {"X-Business-Use-Case-Usage": json.dumps(usage)})
    before = datetime.now(UTC)
    error = _publish_error(rsps)
    assert isinstance(error, RetryableError) and error.retry_at is not None
    assert before + timedelta(minutes=17) <= error.retry_at <= datetime.now(UTC) + timedelta(minutes=17)


@pytest.mark.parametrize(
    ("headers", "minutes"),
    [
        ({"x-business-use-case-usage": '{"1": [{"estimated_time_to_regain_access": 3}, '
                                       '{"estimated_time_to_regain_access": 9}]}'}, 9),
        ({"x-page-usage": '{"call_count": 100, "estimated_time_to_regain_access": 4}'}, 4),
        ({"x-app-usage": '{"call_count": 100}'}, None),
        ({"x-page-usage": '{"estimated_time_to_regain_access": 0}'}, None),
        ({"x-business-use-case-usage": "not json"}, None),
        ({"x-business-use-case-usage": '["odd"]'}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_retry_time_reads_the_longest_wait_in_graphs_usage_headers(
    headers: dict[str, str], minutes: int | None
) -> None:
    expected = None if minutes is None else NOW + timedelta(minutes=minutes)
    assert retry_time(requests.structures.CaseInsensitiveDict(headers), now=NOW) == expected


@pytest.mark.parametrize("code", [10, 200, 210, 299])
def test_a_missing_permission_names_the_permissions_to_grant(rsps: responses.RequestsMock, code: int) -> None:
    _fail_feed(rsps, 403, graph_error(code))
    error = _publish_error(rsps)
    assert type(error) is NeedsReconnectError
    assert "pages_manage_posts" in error.user_message and "pages_read_engagement" in error.user_message


def test_a_page_blocked_by_facebook_is_refused_and_says_where_to_look(rsps: responses.RequestsMock) -> None:
    _fail_feed(rsps, 400, graph_error(368, 1390008))
    error = _publish_error(rsps)
    assert type(error) is RejectedError and "blocked" in error.user_message and not error.duplicate


def test_a_duplicate_post_is_refused_as_a_duplicate(rsps: responses.RequestsMock) -> None:
    _fail_feed(rsps, 400, graph_error(506))
    error = _publish_error(rsps)
    assert isinstance(error, RejectedError) and error.duplicate is True


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, graph_error(1)), (500, graph_error(2, transient=True)), (400, graph_error(2)), (503, None),
     (400, graph_error(100, transient=True))],
)  # fmt: skip
def test_a_facebook_fault_on_the_feed_post_may_have_posted(
    rsps: responses.RequestsMock, status: int, body: object
) -> None:
    register_uploads(rsps, "5551")
    if body is None:
        rsps.post(FEED_URL, status=status, body="<html>Service Unavailable</html>")
    else:
        rsps.post(FEED_URL, status=status, json=body)
    error = _publish_error(rsps)
    assert type(error) is RetryableError and error.outcome_unknown is True
    assert [c for c in rsps.calls if c.request.method == "DELETE"] == []  # the post may show them


def test_a_facebook_fault_on_an_upload_cannot_have_posted(rsps: responses.RequestsMock) -> None:
    rsps.post(PHOTOS_URL, status=500, json=graph_error(1))
    error = _publish_error(rsps)
    assert type(error) is RetryableError and error.outcome_unknown is False


@pytest.mark.parametrize(
    ("fault", "unknown"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (requests.exceptions.ConnectionError("connection reset"), True),
    ],
)
def test_network_faults_on_the_feed_post(
    rsps: responses.RequestsMock, fault: requests.RequestException, unknown: bool
) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, body=fault)
    rsps.delete(f"{GRAPH}/5551", json={"success": True})
    error = _publish_error(rsps)
    assert type(error) is RetryableError and error.outcome_unknown is unknown
    assert "Could not reach Facebook" in error.user_message


def test_a_timeout_on_an_upload_cannot_have_posted(rsps: responses.RequestsMock) -> None:
    rsps.post(PHOTOS_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    error = _publish_error(rsps)
    assert type(error) is RetryableError and error.outcome_unknown is False


def test_every_call_has_a_timeout(rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    real_send = requests.adapters.HTTPAdapter.send

    def send(self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: object) -> object:
        seen.append(kwargs.get("timeout"))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    rsps.post(PHOTOS_URL, status=500, json=graph_error(1))
    _publish_error(rsps)
    assert seen == [(9.0, 9.0)]


@pytest.mark.parametrize(("code", "says"), [(324, "could not use one of the photos"), (100, "error 100")])
def test_other_refusals_are_not_retried(rsps: responses.RequestsMock, code: int, says: str) -> None:
    _fail_feed(rsps, 400, graph_error(code))
    error = _publish_error(rsps)
    assert type(error) is RejectedError and says in error.user_message


def test_an_error_body_with_a_200_status_is_still_an_error(rsps: responses.RequestsMock) -> None:
    _fail_feed(rsps, 200, graph_error(190, 463))
    assert type(_publish_error(rsps)) is NeedsReconnectError


def test_an_unreadable_success_answer_to_the_feed_post_is_an_unknown_outcome(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, status=200, body="not json")
    error = _publish_error(rsps)
    assert type(error) is RetryableError and error.outcome_unknown is True


def test_the_default_timeouts_are_ten_seconds_to_connect_and_thirty_to_answer() -> None:
    assert FacebookPublisher(PAGE_ID, PAGE_TOKEN).graph.timeout == (10.0, 30.0)
