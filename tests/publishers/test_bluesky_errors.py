"""Each way Bluesky can fail, as the job queue and the school see it, and what never reaches the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.publishers.test_bluesky import CAPTION, RKEY, make_post, publisher
from tests.publishers.test_bluesky_pds import (  # noqa: F401 - pds is a fixture
    DID,
    PASSWORD,
    FakePDS,
    pds,
    session_string,
)
from tripposter.publishers.base import (
    Attempt,
    InvalidPostError,
    NeedsReconnectError,
    Post,
    PostImage,
    RejectedError,
    RetryableError,
)
from tripposter.publishers.bluesky_session import PASSWORD_REFUSED

RESET = 1_900_000_000


def _xrpc(status: int, name: str, message: str = "", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message}, headers=headers)


def test_a_rate_limited_post_says_when_to_try_again(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.applyWrites", _xrpc(429, "RateLimitExceeded", "Rate Limit Exceeded",
                                                   **{"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                                                      "ratelimit-reset": str(RESET)}))
    with pytest.raises(RetryableError) as caught:
        publisher([]).publish(make_post(1))
    assert caught.value.retry_at == datetime.fromtimestamp(RESET, tz=UTC)
    assert caught.value.outcome_unknown is False
    assert "limiting" in caught.value.user_message
    assert pds.calls["com.atproto.repo.getRecord"] == 0  # a 429 made nothing: no need to look


def test_a_rate_limited_login_is_retried_later_not_a_reconnect(pds: FakePDS) -> None:
    pds.fail("com.atproto.server.createSession", _xrpc(429, "RateLimitExceeded", **{"ratelimit-reset": str(RESET)}))
    with pytest.raises(RetryableError) as caught:
        publisher([]).publish(make_post(1))
    assert caught.value.retry_at == datetime.fromtimestamp(RESET, tz=UTC)


def test_an_expired_token_leads_to_one_login_then_the_post(pds: FakePDS) -> None:
    saved_session = session_string()
    pds.accept(saved_session)
    pds.fail("com.atproto.repo.applyWrites", _xrpc(400, "ExpiredToken", "Token has expired"))
    saved: list[str] = []
    published = publisher(saved, session=saved_session).publish(make_post(1))
    assert published.remote_id.endswith(RKEY)
    assert pds.calls["com.atproto.server.createSession"] == 1 and len(saved) == 1
    assert pds.calls["com.atproto.repo.applyWrites"] == 2


def test_a_token_refused_again_after_logging_in_asks_for_a_reconnect(pds: FakePDS) -> None:
    # The saved session is refused at the first photo (one login); the new one at the post.
    pds.fail("com.atproto.repo.applyWrites", _xrpc(401, "AuthenticationRequired"))
    with pytest.raises(NeedsReconnectError, match="connect the Bluesky account again"):
        publisher([], session=session_string()).publish(make_post(1))
    assert pds.calls["com.atproto.server.createSession"] == 1  # once, never in a loop


def test_a_wrong_app_password_asks_the_school_for_a_new_one(pds: FakePDS) -> None:
    with pytest.raises(NeedsReconnectError) as caught:
        publisher([], password="wrong-pass-word-here").publish(make_post(1))
    assert caught.value.user_message == PASSWORD_REFUSED
    assert "Settings → Privacy and security → App passwords" in caught.value.user_message
    assert pds.calls["com.atproto.repo.uploadBlob"] == 0


def test_check_connection_explains_a_refused_app_password(pds: FakePDS) -> None:
    with pytest.raises(NeedsReconnectError, match="Create a new app password"):
        publisher([], password="wrong").check_connection()


def test_the_main_password_with_email_codes_on_is_explained(pds: FakePDS) -> None:
    pds.fail("com.atproto.server.createSession", _xrpc(401, "AuthFactorTokenRequired", "A sign in code has been sent"))
    with pytest.raises(NeedsReconnectError, match="own password"):
        publisher([]).check_connection()


def test_a_photo_too_large_for_the_server_is_an_invalid_post(pds: FakePDS) -> None:
    pds.blob_limit = 100  # smaller than the photo, as an older server's 1 MB is for a bigger one
    with pytest.raises(InvalidPostError, match="too large"):
        publisher([]).publish(make_post(1))
    assert pds.calls["com.atproto.repo.applyWrites"] == 0


def test_a_413_from_the_server_is_an_invalid_post(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.uploadBlob", _xrpc(413, "PayloadTooLarge", "request entity too large"))
    with pytest.raises(InvalidPostError):
        publisher([]).publish(make_post(1))


def test_too_long_for_bluesky_is_refused_before_anything_is_sent(pds: FakePDS) -> None:
    post = Post(text="a" * 301, images=(make_post(1).images[0],))
    with pytest.raises(InvalidPostError, match="Bluesky"):
        publisher([]).publish(post)
    assert len(pds.router.calls) == 0


def test_a_server_fault_on_the_post_after_a_look_is_retryable_and_unknown(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.applyWrites", _xrpc(502, "UpstreamFailure"))
    with pytest.raises(RetryableError) as caught:
        publisher([]).publish(make_post(1))
    assert caught.value.outcome_unknown is True
    assert pds.calls["com.atproto.repo.getRecord"] == 1  # looked for the attempt's key, found none


def test_a_server_fault_on_a_photo_is_retryable_and_cannot_have_posted(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.uploadBlob", _xrpc(503, "ServiceUnavailable"))
    with pytest.raises(RetryableError) as caught:
        publisher([]).publish(make_post(1))
    assert caught.value.outcome_unknown is False


def test_a_timeout_on_the_post_is_unknown_but_a_refused_connection_is_not(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.applyWrites", httpx.ReadTimeout("slow"))
    with pytest.raises(RetryableError) as timed_out:
        publisher([]).publish(make_post(1, Attempt("3" * 32, datetime.now(UTC), 1)))
    assert timed_out.value.outcome_unknown is True
    pds.fail("com.atproto.repo.applyWrites", httpx.ConnectError("refused"))
    with pytest.raises(RetryableError) as refused:
        publisher([]).publish(make_post(1, Attempt("4" * 32, datetime.now(UTC), 1)))
    assert refused.value.outcome_unknown is False


def test_a_record_bluesky_refuses_is_rejected(pds: FakePDS) -> None:
    pds.fail("com.atproto.repo.applyWrites", _xrpc(400, "InvalidRequest", "Invalid app.bsky.feed.post record"))
    with pytest.raises(RejectedError, match="InvalidRequest") as caught:
        publisher([]).publish(make_post(1))
    assert not isinstance(caught.value, InvalidPostError)


def test_find_recent_that_cannot_reach_bluesky_is_retryable_and_sends_nothing(pds: FakePDS) -> None:
    one = publisher([])
    one.check_connection()
    pds.fail("com.atproto.repo.getRecord", httpx.ConnectTimeout("down"))
    with pytest.raises(RetryableError):
        one.find_recent(CAPTION, Attempt("5" * 32, datetime.now(UTC) - timedelta(minutes=1), 1))
    assert pds.calls["com.atproto.repo.applyWrites"] == 0


def test_no_caption_alt_text_password_or_token_reaches_the_logs(
    pds: FakePDS, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_alt = "Amelia Thornbury-Pike holding a crab"
    post = Post(text="Amelia Thornbury-Pike's crab #Year5Trip",
                images=(PostImage(make_post(1).images[0].jpeg, secret_alt),))
    saved_session = session_string()
    pds.accept(saved_session)
    pds.fail("com.atproto.repo.applyWrites", _xrpc(400, "ExpiredToken"))  # a re-login, logged
    saved: list[str] = []
    one = publisher(saved, session=saved_session)
    one.publish(post)
    with pytest.raises(NeedsReconnectError):
        publisher([], password="wrong").publish(post)

    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert caplog.records  # the test would prove nothing if nothing were logged at all
    for secret in ("Amelia", "Thornbury", "crab", PASSWORD, "wrong", *saved[0].split(":::")[2:4],
                   *saved_session.split(":::")[2:4]):
        assert secret not in logged
    assert PASSWORD not in repr(one) and PASSWORD not in repr(one._session)
