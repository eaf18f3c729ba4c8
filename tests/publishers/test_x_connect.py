"""Connecting the X account (real tweepy handler, intercepted HTTP) and encrypting its tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from tests.publishers.conftest import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    assert_signed,
    oauth_params,
)
from tripposter.publishers.base import NeedsReconnectError
from tripposter.publishers.x_connect import (
    ConnectError,
    TokenBox,
    TokenDecryptError,
    XTokens,
    finish_connect,
    start_connect,
)

CALLBACK = "https://school.example/admin/x/callback"
REQUEST_TOKEN_URL = "https://api.twitter.com/oauth/request_token"
ACCESS_TOKEN_URL = "https://api.twitter.com/oauth/access_token"
FORM = "application/x-www-form-urlencoded"


def _register_request_token(rsps: responses.RequestsMock) -> None:
    rsps.post(
        REQUEST_TOKEN_URL,
        body="oauth_token=req-tok&oauth_token_secret=req-secret&oauth_callback_confirmed=true",
        content_type=FORM,
    )


def test_three_legged_flow_completes(rsps: responses.RequestsMock) -> None:
    _register_request_token(rsps)
    rsps.post(
        ACCESS_TOKEN_URL,
        body="oauth_token=42-acc-tok&oauth_token_secret=acc-secret&user_id=42&screen_name=ourschool",
        content_type=FORM,
    )

    url, request_token = start_connect(CONSUMER_KEY, CONSUMER_SECRET, CALLBACK, timeout=5.0)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.twitter.com", "/oauth/authorize")
    assert parse_qs(parts.query) == {"oauth_token": ["req-tok"]}
    assert request_token["oauth_token"] == "req-tok"
    assert request_token["oauth_token_secret"] == "req-secret"
    first = rsps.calls[0].request
    assert oauth_params(first)["oauth_callback"] == CALLBACK
    assert_signed(first, token_secret=None)
    assert first.req_kwargs["timeout"] == 5.0

    tokens = finish_connect(
        CONSUMER_KEY, CONSUMER_SECRET, request_token, "verifier-123", returned_token="req-tok", timeout=5.0
    )

    assert tokens == XTokens("42-acc-tok", "acc-secret", user_id="42", screen_name="ourschool")
    second = rsps.calls[1].request
    assert second.url == ACCESS_TOKEN_URL
    params = oauth_params(second)
    assert (params["oauth_token"], params["oauth_verifier"]) == ("req-tok", "verifier-123")
    assert_signed(second, token_secret="req-secret")
    assert second.req_kwargs["timeout"] == 5.0


def test_callback_for_another_request_is_refused(rsps: responses.RequestsMock) -> None:
    token = {"oauth_token": "req-tok", "oauth_token_secret": "req-secret"}
    with pytest.raises(ConnectError):
        finish_connect(CONSUMER_KEY, CONSUMER_SECRET, token, "v", returned_token="someone-elses")
    assert len(rsps.calls) == 0


def test_expired_verifier_is_a_connect_error(rsps: responses.RequestsMock) -> None:
    rsps.post(ACCESS_TOKEN_URL, status=401, body="Invalid request token.")
    token = {"oauth_token": "req-tok", "oauth_token_secret": "req-secret"}
    with pytest.raises(ConnectError) as caught:
        finish_connect(CONSUMER_KEY, CONSUMER_SECRET, token, "stale")
    assert "start again" in caught.value.user_message


def test_bad_app_keys_are_a_connect_error(rsps: responses.RequestsMock) -> None:
    rsps.post(
        REQUEST_TOKEN_URL,
        status=401,
        json={"errors": [{"code": 32, "message": "Could not authenticate you."}]},
    )
    with pytest.raises(ConnectError):
        start_connect(CONSUMER_KEY, "wrong", CALLBACK)


def test_timeout_is_a_connect_error(rsps: responses.RequestsMock) -> None:
    rsps.post(REQUEST_TOKEN_URL, body=requests.exceptions.ConnectTimeout("no route"))
    with pytest.raises(ConnectError):
        start_connect(CONSUMER_KEY, CONSUMER_SECRET, CALLBACK)


def test_repr_and_str_hide_secrets() -> None:
    tokens = XTokens("42-very-secret-token", "even-more-secret", user_id="42", screen_name="ourschool")
    for text in (repr(tokens), str(tokens), f"{tokens}", repr([tokens])):
        assert "very-secret" not in text and "more-secret" not in text
        assert "ourschool" in text


def test_token_box_round_trip() -> None:
    box = TokenBox(TokenBox.generate_key())
    tokens = XTokens("42-tok", "tok-secret", user_id="42", screen_name="ourschool")
    sealed = box.encrypt(tokens)
    assert b"tok-secret" not in sealed and b"42-tok" not in sealed
    assert box.decrypt(sealed) == tokens


def test_token_box_wrong_key_or_tampering_is_clear() -> None:
    sealed = TokenBox(TokenBox.generate_key()).encrypt(XTokens("a", "b"))
    with pytest.raises(TokenDecryptError) as caught:
        TokenBox(TokenBox.generate_key()).decrypt(sealed)
    assert isinstance(caught.value, NeedsReconnectError)
    assert "reconnect" in caught.value.user_message

    box = TokenBox(key := TokenBox.generate_key())
    sealed = bytearray(box.encrypt(XTokens("a", "b")))
    sealed[-5] ^= 0x01
    with pytest.raises(TokenDecryptError):
        TokenBox(key).decrypt(bytes(sealed))


def test_token_box_rotates_keys() -> None:
    old, new = TokenBox.generate_key(), TokenBox.generate_key()
    sealed = TokenBox(old).encrypt(XTokens("a", "b"))
    both = TokenBox([new, old])
    assert both.decrypt(sealed) == XTokens("a", "b")
    rotated = both.rotate(sealed)
    assert TokenBox(new).decrypt(rotated) == XTokens("a", "b")
    with pytest.raises(TokenDecryptError):
        TokenBox(old).decrypt(rotated)


@pytest.mark.parametrize("key", [b"", b"too-short", "not base64 at all!!"])
def test_token_box_refuses_malformed_keys(key: bytes | str) -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        TokenBox(key)
