"""The v2 chunked media uploader, signed by tweepy's own OAuth 1.0a handler, over intercepted HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import responses
import tweepy

from tests.publishers.conftest import (
    ACCESS_SECRET,
    ACCESS_TOKEN,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    MEDIA_API,
    assert_signed,
    json_body,
    make_jpeg,
    multipart_fields,
    query,
)
from tripposter.publishers.base import (
    NeedsReconnectError,
    PausedError,
    RejectedError,
    RetryableError,
)
from tripposter.publishers.x_media import CHUNK_SIZE, MediaUploader


def _uploader(sleeps: list[float] | None = None) -> MediaUploader:
    auth = tweepy.OAuth1UserHandler(
        CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_SECRET
    ).apply_auth()
    sleep = sleeps.append if sleeps is not None else _no_sleep
    return MediaUploader(requests.Session(), auth, timeout=7.5, sleep=sleep)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected wait of {seconds}s")


def test_large_image_is_sent_in_ordered_chunks_with_alt_text(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None]
) -> None:
    jpeg = make_jpeg(1500, 1400, noise=True)
    assert len(jpeg) > 2 * CHUNK_SIZE, "the test image must need at least three chunks"
    media_flow("1880028106020515840")

    media_id = _uploader().upload(jpeg, "A class of children in front of a castle")

    assert media_id == "1880028106020515840"
    urls = [call.request.url for call in rsps.calls]
    expected_chunks = -(-len(jpeg) // CHUNK_SIZE)
    assert urls == (
        [f"{MEDIA_API}/2/media/upload/initialize"]
        + [f"{MEDIA_API}/2/media/upload/{media_id}/append"] * expected_chunks
        + [f"{MEDIA_API}/2/media/upload/{media_id}/finalize", f"{MEDIA_API}/2/media/metadata"]
    )
    init = json_body(rsps.calls[0].request)
    assert init == {"media_type": "image/jpeg", "total_bytes": len(jpeg), "media_category": "tweet_image"}

    chunks = [multipart_fields(call.request) for call in rsps.calls[1 : 1 + expected_chunks]]
    assert [int(c["segment_index"]) for c in chunks] == list(range(expected_chunks))
    assert all(len(c["media"]) <= CHUNK_SIZE for c in chunks)
    assert b"".join(c["media"] for c in chunks) == jpeg

    assert json_body(rsps.calls[-1].request) == {
        "id": media_id,
        "metadata": {"alt_text": {"text": "A class of children in front of a castle"}},
    }
    for call in rsps.calls:
        assert_signed(call.request)
        assert call.request.req_kwargs["timeout"] == 7.5


def test_small_image_is_one_append(rsps: responses.RequestsMock, media_flow: Callable[[str], None]) -> None:
    media_flow("77")
    _uploader().upload(make_jpeg(), "A picnic")
    appends = [c for c in rsps.calls if c.request.url.endswith("/append")]
    assert len(appends) == 1


def test_waits_for_processing_using_status(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{MEDIA_API}/2/media/upload/initialize", json={"data": {"id": "9"}})
    rsps.post(f"{MEDIA_API}/2/media/upload/9/append", body=b"")
    rsps.post(
        f"{MEDIA_API}/2/media/upload/9/finalize",
        json={"data": {"id": "9", "processing_info": {"state": "pending", "check_after_secs": 2}}},
    )
    rsps.get(
        f"{MEDIA_API}/2/media/upload",
        json={"data": {"id": "9", "processing_info": {"state": "succeeded"}}},
    )
    rsps.post(f"{MEDIA_API}/2/media/metadata", json={"data": {"id": "9"}})
    sleeps: list[float] = []

    assert _uploader(sleeps).upload(make_jpeg(), "A museum") == "9"

    assert sleeps == [2.0]
    status = next(c for c in rsps.calls if c.request.method == "GET")
    assert query(status.request) == {"command": "STATUS", "media_id": "9"}
    assert_signed(status.request)


def test_failed_processing_is_rejected(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{MEDIA_API}/2/media/upload/initialize", json={"data": {"id": "9"}})
    rsps.post(f"{MEDIA_API}/2/media/upload/9/append", body=b"")
    rsps.post(
        f"{MEDIA_API}/2/media/upload/9/finalize",
        json={"data": {"id": "9", "processing_info": {"state": "failed"}}},
    )
    with pytest.raises(RejectedError):
        _uploader().upload(make_jpeg(), "A museum")


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableError), (503, RetryableError), (401, NeedsReconnectError), (400, RejectedError),
     (402, PausedError)],
)
def test_upload_faults_are_typed(rsps: responses.RequestsMock, status: int, error: type) -> None:
    rsps.post(
        f"{MEDIA_API}/2/media/upload/initialize",
        status=status,
        json={"title": "problem", "detail": "something", "status": status},
    )
    with pytest.raises(error) as caught:
        _uploader().upload(make_jpeg(), "A beach")
    assert caught.value.user_message
    if isinstance(caught.value, RetryableError):
        assert caught.value.outcome_unknown is False  # media alone never publishes anything


def test_append_timeout_is_retryable_and_stops_the_upload(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{MEDIA_API}/2/media/upload/initialize", json={"data": {"id": "5"}})
    rsps.post(f"{MEDIA_API}/2/media/upload/5/append", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(RetryableError) as caught:
        _uploader().upload(make_jpeg(), "A zoo")
    assert caught.value.outcome_unknown is False
    assert not any(c.request.url.endswith("/finalize") for c in rsps.calls)


def test_missing_media_id_is_retryable(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{MEDIA_API}/2/media/upload/initialize", json={"errors": [{"detail": "?"}]})
    with pytest.raises(RetryableError):
        _uploader().upload(make_jpeg(), "A farm")
