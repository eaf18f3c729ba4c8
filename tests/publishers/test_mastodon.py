"""The Mastodon publisher: real Mastodon.py, HTTP intercepted by `responses`; requests, limits, faults."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from tests.publishers.conftest import make_jpeg, multipart_fields
from tests.publishers.test_mastodon_fakes import (
    BASE,
    INSTANCE_URL,
    MEDIA_URL,
    STATUSES_URL,
    TOKEN,
    VERIFY_URL,
    account,
    form,
    media,
    publisher,
    register_instance,
    status,
)
from tripposter.publishers.base import (
    Attempt,
    InvalidPostError,
    NeedsReconnectError,
    Post,
    PostImage,
    Publisher,
    RejectedError,
    RetryableError,
)
from tripposter.publishers.mastodon import MAX_PROCESSING_WAIT

CAPTION = "Rock pooling at Robin Hood's Bay & a picnic <3 #Year5Trip"
ALT = "Pupils looking into a rock pool"
ATTEMPT = Attempt("0123456789abcdef0123456789abcdef", datetime(2026, 6, 3, 10, 0, tzinfo=UTC), 2)
NOW = datetime(2026, 6, 3, 10, 0, 3, tzinfo=UTC)


def _post(count: int = 2, text: str = CAPTION) -> Post:
    images = tuple(PostImage(make_jpeg(40, 30, seed=i), f"{ALT}, photo {i + 1}") for i in range(count))
    return Post(text=text, images=images, attempt=ATTEMPT)


def _flow(rsps: responses.RequestsMock, count: int = 2, **status_kwargs: object) -> None:
    register_instance(rsps)
    for i in range(count):
        rsps.post(MEDIA_URL, json=media(f"m{i + 1}"))
    rsps.post(STATUSES_URL, **(status_kwargs or {"json": status("113", "<p>caption</p>", NOW, count)}))


def test_mastodon_publisher_is_a_publisher() -> None:
    assert isinstance(publisher(), Publisher)


def test_publish_sends_instance_media_with_descriptions_then_a_public_status_with_the_key(
    rsps: responses.RequestsMock,
) -> None:
    _flow(rsps)
    published = publisher().publish(_post())

    assert published.remote_id == "113" and published.url == f"{BASE}/@school/113"
    assert [c.request.url for c in rsps.calls] == [INSTANCE_URL, MEDIA_URL, MEDIA_URL, STATUSES_URL]
    for n, call in enumerate(rsps.calls[1:3], start=1):
        fields = multipart_fields(call.request)
        assert fields["description"].decode() == f"{ALT}, photo {n}"
        assert fields["file"] == make_jpeg(40, 30, seed=n - 1)
    sent = rsps.calls[3].request
    fields = form(sent)
    # Mastodon.py 2.3.3 leaks a local into the form when a quote policy is given; Mastodon ignores it.
    fields.pop("valid_policies[]", None)
    assert fields == {
        "status": [CAPTION], "media_ids[]": ["m1", "m2"], "visibility": ["public"], "sensitive": ["0"],
        "quote_approval_policy": ["nobody"],
    }
    assert sent.headers["Idempotency-Key"] == ATTEMPT.id
    for call in rsps.calls:
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert call.request.req_kwargs["timeout"] == 7.0








def test_a_501_character_caption_on_a_500_limit_instance_is_refused_before_anything_is_sent(
    rsps: responses.RequestsMock,
) -> None:
    register_instance(rsps, max_characters=500)
    with pytest.raises(InvalidPostError) as caught:
        publisher().publish(_post(text="a" * 501))
    assert "at most 500 characters" in caught.value.user_message
    assert [c.request.url for c in rsps.calls] == [INSTANCE_URL]


def test_a_500_character_caption_with_a_long_link_fits(rsps: responses.RequestsMock) -> None:
    _flow(rsps, count=1)
    text = "a" * 476 + " https://example.org/" + "x" * 100  # 476 + 1 + 23 = 500
    publisher().publish(_post(count=1, text=text))
    assert form(rsps.calls[-1].request)["status"] == [text]


def test_a_photo_still_processing_is_waited_for(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=202, json=media("m1", processed=False))
    rsps.get(f"{BASE}/api/v1/media/m1", status=206, json=media("m1", processed=False))
    rsps.get(f"{BASE}/api/v1/media/m1", status=200, json=media("m1"))
    rsps.post(STATUSES_URL, json=status("116", "<p>x</p>", NOW))
    slept: list[float] = []
    publisher(sleep=slept.append).publish(_post(count=1))
    assert [c.request.method for c in rsps.calls] == ["GET", "POST", "GET", "GET", "POST"]
    assert len(slept) == 2 and form(rsps.calls[-1].request)["media_ids[]"] == ["m1"]


def test_a_photo_that_never_finishes_processing_is_retried_later_without_posting(
    rsps: responses.RequestsMock,
) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=202, json=media("m1", processed=False))
    rsps.get(f"{BASE}/api/v1/media/m1", status=206, json=media("m1", processed=False))
    slept: list[float] = []
    with pytest.raises(RetryableError) as caught:
        publisher(sleep=slept.append).publish(_post(count=1))
    assert caught.value.outcome_unknown is False and sum(slept) <= MAX_PROCESSING_WAIT
    assert all(c.request.url != STATUSES_URL for c in rsps.calls)


def test_a_photo_the_server_cannot_process_is_rejected(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=202, json=media("m1", processed=False))
    rsps.get(f"{BASE}/api/v1/media/m1", status=422, json={"error": "Error processing thumbnail for uploaded media"})
    with pytest.raises(RejectedError):
        publisher().publish(_post(count=1))
    assert all(c.request.url != STATUSES_URL for c in rsps.calls)


def test_429_is_retryable_at_the_rate_limit_reset(rsps: responses.RequestsMock) -> None:
    reset = (datetime.now(UTC) + timedelta(minutes=20)).replace(microsecond=0)
    _flow(rsps, count=1, status=429, json={"error": "Too many requests"},
          headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000000Z")})
    with pytest.raises(RetryableError) as caught:
        publisher().publish(_post(count=1))
    assert caught.value.retry_at is not None
    assert abs((caught.value.retry_at - reset).total_seconds()) < 1
    assert caught.value.outcome_unknown is False
    assert len(rsps.calls) == 3  # thrown back to the job queue, not slept on in the worker


@pytest.mark.parametrize("code", [401, 403])
def test_a_refused_token_needs_reconnecting(rsps: responses.RequestsMock, code: int) -> None:
    body = {"error": "The access token is invalid"} if code == 401 else {
        "error": "This action is outside the authorized scopes"}
    rsps.get(INSTANCE_URL, status=code, json=body)
    with pytest.raises(NeedsReconnectError) as caught:
        publisher().publish(_post(count=1))
    message = caught.value.user_message
    assert ("The access token was refused." in message) if code == 401 else ("write:media" in message)
    assert "senior leader" in message


def test_422_character_limit_is_an_invalid_post(rsps: responses.RequestsMock) -> None:
    said = f"Validation failed: Text character limit of 500 exceeded: {CAPTION}"
    _flow(rsps, count=1, status=422, json={"error": said})
    with pytest.raises(InvalidPostError) as caught:
        publisher().publish(_post(count=1))
    assert "too long" in caught.value.user_message
    assert "Robin Hood" not in caught.value.user_message  # the server's words are never passed on


def test_422_on_a_photo_is_rejected_and_nothing_is_posted(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=422, json={"error": "Validation failed: File content type is invalid"})
    with pytest.raises(RejectedError) as caught:
        publisher().publish(_post(count=1))
    assert not isinstance(caught.value, InvalidPostError) and "photo" in caught.value.user_message
    assert all(c.request.url != STATUSES_URL for c in rsps.calls)


def test_413_from_the_server_is_an_invalid_post(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=413, body="<html>413 Request Entity Too Large</html>")
    with pytest.raises(InvalidPostError) as caught:
        publisher().publish(_post(count=1))
    assert "larger than" in caught.value.user_message


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_on_the_status_are_retryable_but_may_have_posted(
    rsps: responses.RequestsMock, code: int
) -> None:
    _flow(rsps, count=1, status=code, body="upstream error")
    with pytest.raises(RetryableError) as caught:
        publisher().publish(_post(count=1))
    assert caught.value.outcome_unknown is True and caught.value.retry_at is None


def test_a_server_error_on_a_photo_never_hides_a_post(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.post(MEDIA_URL, status=503, body="busy")
    with pytest.raises(RetryableError) as caught:
        publisher().publish(_post(count=1))
    assert caught.value.outcome_unknown is False


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (requests.exceptions.ConnectTimeout("no connect"), False),
        (requests.exceptions.ReadTimeout("no answer"), True),
        (requests.exceptions.ConnectionError("reset"), True),
    ],
)
def test_timeouts_on_the_status_are_retryable(
    rsps: responses.RequestsMock, exc: Exception, unknown: bool
) -> None:
    _flow(rsps, count=1, body=exc)
    with pytest.raises(RetryableError) as caught:
        publisher().publish(_post(count=1))
    assert caught.value.outcome_unknown is unknown


def test_check_connection_names_the_account(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.get(VERIFY_URL, json=account())
    assert publisher().check_connection() == "@ourschool@mastodon.example"


def test_check_connection_with_a_bad_token_says_what_to_do(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.get(VERIFY_URL, status=401, json={"error": "The access token is invalid"})
    with pytest.raises(NeedsReconnectError) as caught:
        publisher().check_connection()
    assert "Preferences" in caught.value.user_message and "Development" in caught.value.user_message


def test_check_connection_to_an_unreachable_server_is_retryable(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, body=requests.exceptions.ConnectionError("name or service not known"))
    with pytest.raises(RetryableError) as caught:
        publisher().check_connection()
    assert "Could not reach https://mastodon.example. Check the server address" in caught.value.user_message


def test_check_connection_to_something_else_says_to_check_the_address(rsps: responses.RequestsMock) -> None:
    register_instance(rsps)
    rsps.get(VERIFY_URL, status=404, body="<html>Not Found</html>")
    with pytest.raises(RejectedError) as caught:
        publisher().check_connection()
    assert "did not answer like a Mastodon server" in caught.value.user_message


def test_resending_within_the_idempotency_window_is_safe() -> None:
    sender = publisher()
    assert sender.resend_is_safe(ATTEMPT, now=ATTEMPT.started_at + timedelta(minutes=49))
    assert not sender.resend_is_safe(ATTEMPT, now=ATTEMPT.started_at + timedelta(seconds=40))
    assert not sender.resend_is_safe(ATTEMPT, now=ATTEMPT.started_at + timedelta(minutes=61))


def test_no_caption_alt_text_token_or_photo_is_logged(
    rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _flow(rsps, count=1)
    sender = publisher()
    sender.publish(_post(count=1))
    assert any(r.name == "tripposter.publishers.mastodon" for r in caplog.records)
    for secret in ("Robin Hood", "rock pool", TOKEN, "JFIF"):
        assert secret not in caplog.text
    assert TOKEN not in repr(sender)
