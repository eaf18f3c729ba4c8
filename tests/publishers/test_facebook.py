"""The Facebook Page publisher through the real requests client, HTTP intercepted by `responses`:
the exact requests, where the token goes, what is cleaned up, and what never reaches a log."""

from __future__ import annotations

import json
import logging
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import requests
import responses

from tests.publishers.conftest import make_jpeg, multipart_fields
from tests.publishers.test_facebook_fakes import (
    CAPTION,
    FEED_URL,
    GRAPH,
    PAGE_ID,
    PAGE_TOKEN,
    PERMALINK,
    PHOTOS_URL,
    POST_ID,
    POST_URL,
    calls_to,
    form,
    graph_error,
    post,
    publisher,
    register_permalink,
    register_uploads,
)
from tripposter.publishers.base import (
    InvalidPostError,
    NeedsReconnectError,
    Post,
    PostImage,
    Publisher,
    RejectedError,
    RetryableError,
)
from tripposter.publishers.facebook import LIMITS, FacebookPublisher


def _source_part(request: requests.PreparedRequest) -> tuple[str | None, str, bytes]:
    """The uploaded file part: its filename, content type and bytes."""
    raw = b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + request.body
    for part in BytesParser(policy=HTTP).parsebytes(raw).iter_parts():
        if part.get_param("name", header="content-disposition") == "source":
            return part.get_filename(), part.get_content_type(), part.get_payload(decode=True)
    raise AssertionError("no source part")


def test_facebook_publisher_is_a_publisher() -> None:
    assert isinstance(publisher(), Publisher)


def test_publish_uploads_each_photo_unpublished_with_alt_text_then_one_feed_post(
    rsps: responses.RequestsMock,
) -> None:
    register_uploads(rsps, "5551", "5552")
    rsps.post(FEED_URL, json={"id": POST_ID})
    register_permalink(rsps)
    the_post = post(count=2)

    published = publisher().publish(the_post)

    assert published.remote_id == POST_ID and published.url == PERMALINK
    assert [c.request.method for c in rsps.calls] == ["POST", "POST", "POST", "GET"]
    uploads = calls_to(rsps, "POST", PHOTOS_URL)
    assert len(uploads) == 2
    for upload, image in zip(uploads, the_post.images, strict=True):
        assert upload.headers["Content-Type"].startswith("multipart/form-data")
        fields = multipart_fields(upload)
        assert fields["published"] == b"false" and fields["temporary"] == b"true"
        assert fields["alt_text_custom"].decode() == image.alt_text
        assert "url" not in fields  # the bytes themselves, never a link to a public copy
        assert _source_part(upload) == ("photo.jpg", "image/jpeg", image.jpeg)
    feed = form(calls_to(rsps, "POST", FEED_URL)[0])
    assert feed == {
        "message": CAPTION,
        "published": "true",
        "attached_media[0]": '{"media_fbid": "5551"}',
        "attached_media[1]": '{"media_fbid": "5552"}',
    }
    assert json.loads(feed["attached_media[1]"]) == {"media_fbid": "5552"}
    assert calls_to(rsps, "GET", POST_URL)[0].url.endswith("?fields=permalink_url")


def test_the_token_travels_only_in_the_authorization_header(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, json={"id": POST_ID})
    register_permalink(rsps)
    publisher().publish(post(count=1))
    for call in rsps.calls:
        assert call.request.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
        assert PAGE_TOKEN not in call.request.url and "access_token" not in call.request.url
        body = call.request.body if isinstance(call.request.body, bytes) else str(call.request.body).encode()
        assert PAGE_TOKEN.encode() not in body


def test_the_graph_version_is_pinned_in_every_url(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, json={"id": POST_ID})
    register_permalink(rsps)
    publisher().publish(post(count=1))
    assert all(c.request.url.startswith(f"{GRAPH}/") for c in rsps.calls)


def test_without_a_permalink_the_link_is_built_from_the_post_id(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, json={"id": POST_ID})
    rsps.get(POST_URL, status=500, json=graph_error(2, transient=True))
    published = publisher().publish(post(count=1))
    assert published.remote_id == POST_ID
    assert published.url == f"https://www.facebook.com/{POST_ID}"


def test_a_post_too_big_for_facebook_is_refused_before_anything_is_sent(rsps: responses.RequestsMock) -> None:
    big = make_jpeg(2000, 1950, noise=True)
    assert LIMITS.max_image_bytes < len(big) <= 5 * 1024 * 1024  # fine for X, too big for Facebook
    with pytest.raises(InvalidPostError, match="larger than Facebook accepts"):
        publisher().publish(Post(text=CAPTION, images=(PostImage(big, "Pupils at the rock pools"),)))
    assert len(rsps.calls) == 0


def test_facebook_declares_its_limits_and_that_comments_cannot_be_closed() -> None:
    assert LIMITS.network == "Facebook" and LIMITS.max_text == 63_206
    assert LIMITS.count_text("ab\u00e9") == 3
    assert LIMITS.max_images == 4 and LIMITS.max_image_bytes == 4_000_000
    assert LIMITS.replies_can_be_closed is False


def test_a_refused_feed_post_deletes_the_photos_it_uploaded(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551", "5552")
    rsps.post(FEED_URL, status=400, json=graph_error(200))
    rsps.delete(f"{GRAPH}/5551", json={"success": True})
    rsps.delete(f"{GRAPH}/5552", json={"success": True})
    with pytest.raises(NeedsReconnectError, match="pages_manage_posts"):
        publisher().publish(post(count=2))
    deleted = [c.request.url for c in rsps.calls if c.request.method == "DELETE"]
    assert deleted == [f"{GRAPH}/5551", f"{GRAPH}/5552"]


def test_a_failed_upload_deletes_the_photos_already_uploaded(rsps: responses.RequestsMock) -> None:
    rsps.post(PHOTOS_URL, json={"id": "5551"})
    rsps.post(PHOTOS_URL, status=400, json=graph_error(324))
    rsps.delete(f"{GRAPH}/5551", json={"success": True})
    with pytest.raises(RejectedError, match="could not use one of the photos"):
        publisher().publish(post(count=3))
    assert len(calls_to(rsps, "POST", PHOTOS_URL)) == 2  # the third photo is never sent
    assert [c.request.url for c in rsps.calls if c.request.method == "DELETE"] == [f"{GRAPH}/5551"]
    assert calls_to(rsps, "POST", FEED_URL) == []


def test_a_lost_answer_to_the_feed_post_keeps_the_photos_it_may_show(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(RetryableError) as caught:
        publisher().publish(post(count=1))
    assert caught.value.outcome_unknown is True
    assert [c for c in rsps.calls if c.request.method == "DELETE"] == []


def test_a_photo_that_cannot_be_deleted_does_not_hide_the_real_error(
    rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, status=400, json=graph_error(368))
    rsps.delete(f"{GRAPH}/5551", status=500, json=graph_error(1))
    with pytest.raises(RejectedError, match="blocked"):
        publisher().publish(post(count=1))
    assert "Could not delete unpublished Facebook photo 5551" in caplog.text


def test_an_answer_without_a_post_id_is_an_unknown_outcome(rsps: responses.RequestsMock) -> None:
    register_uploads(rsps, "5551")
    rsps.post(FEED_URL, json={"success": True})
    with pytest.raises(RetryableError) as caught:
        publisher().publish(post(count=1))
    assert caught.value.outcome_unknown is True


def test_an_upload_answer_without_a_photo_id_is_retried_without_posting(rsps: responses.RequestsMock) -> None:
    rsps.post(PHOTOS_URL, json={"id": ""})
    with pytest.raises(RetryableError) as caught:
        publisher().publish(post(count=1))
    assert caught.value.outcome_unknown is False
    assert calls_to(rsps, "POST", FEED_URL) == []


def test_no_caption_alt_text_photo_or_token_reaches_the_logs(
    rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    register_uploads(rsps, "5551", "5552")
    rsps.post(FEED_URL, status=500, json=graph_error(1, transient=True))
    rsps.delete(f"{GRAPH}/5551", json={"success": True})
    with pytest.raises(RetryableError):
        publisher().publish(post(count=2))
    register_uploads(rsps, "5553", "5554")
    rsps.replace(responses.POST, FEED_URL, json={"id": POST_ID})
    register_permalink(rsps)
    publisher().publish(post(count=2))
    assert caplog.records, "the publisher logged nothing, so this test proves nothing"
    assert "Robin Hood" not in caplog.text and "Pupils on the beach" not in caplog.text
    assert PAGE_TOKEN not in caplog.text and "JFIF" not in caplog.text


def test_repr_hides_the_token() -> None:
    text = repr(publisher()) + repr(publisher().graph)
    assert PAGE_TOKEN not in text and PAGE_ID in text


@pytest.mark.parametrize(("page_id", "token"), [("our-school", PAGE_TOKEN), ("", PAGE_TOKEN), (PAGE_ID, "  ")])
def test_a_bad_page_id_or_missing_token_asks_for_the_connection_again(page_id: str, token: str) -> None:
    with pytest.raises(NeedsReconnectError):
        FacebookPublisher(page_id, token)
