"""Fixtures for the publishers: generated JPEGs, X credentials, and HTTP intercepted by `responses`."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature
from PIL import Image

from tripposter.publishers.x_connect import XTokens

CONSUMER_KEY = "ck-test-consumer"
CONSUMER_SECRET = "cs-test-consumer-secret"
ACCESS_TOKEN = "42-access-token"
ACCESS_SECRET = "at-test-access-secret"
MEDIA_API = "https://api.x.com"
TWEETS_URL = "https://api.twitter.com/2/tweets"  # tweepy 4.17's hard-coded host


def make_jpeg(width: int = 64, height: int = 48, *, noise: bool = False, seed: int = 1) -> bytes:
    """A real JPEG; with ``noise`` it barely compresses, so size can be pushed past a chunk."""
    if noise:
        rng = random.Random(seed)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 120, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every HTTP call is answered by registered fakes; an unregistered call fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def tokens() -> XTokens:
    """The school's access token pair, as the connect flow would store it."""
    return XTokens(ACCESS_TOKEN, ACCESS_SECRET, user_id="42", screen_name="ourschool")


def _authorization(request: requests.PreparedRequest) -> str:
    header = request.headers.get("Authorization", "")
    # requests_oauthlib's OAuth1Session leaves the header as bytes; tweepy's handler gives str.
    return header.decode() if isinstance(header, bytes) else header


def oauth_params(request: requests.PreparedRequest) -> dict[str, str]:
    """The OAuth 1.0a parameters in a request's Authorization header."""
    header = _authorization(request)
    assert header.startswith("OAuth "), f"not OAuth 1.0a signed: {request.url}"
    params = signature.collect_parameters(
        headers={"Authorization": header}, exclude_oauth_signature=False
    )
    return dict(params)


def assert_signed(request: requests.PreparedRequest, token_secret: str | None = ACCESS_SECRET) -> None:
    """The request carries an OAuth 1.0a HMAC-SHA1 signature that verifies with our secrets."""
    params = oauth_params(request)
    assert params["oauth_consumer_key"] == CONSUMER_KEY
    assert params["oauth_signature"]
    body = request.body
    form = "application/x-www-form-urlencoded" in request.headers.get("Content-Type", "")
    oauth_request = OAuthRequest(request.url, request.method, body if form else None, dict(request.headers))
    oauth_request.params = signature.collect_parameters(
        uri_query=urlsplit(request.url).query,
        body=body if form else None,
        headers={"Authorization": _authorization(request)},
    )
    oauth_request.signature = params["oauth_signature"]
    assert signature.verify_hmac_sha1(oauth_request, CONSUMER_SECRET, token_secret), request.url


def multipart_fields(request: requests.PreparedRequest) -> dict[str, bytes]:
    """The parts of a multipart/form-data body, by field name."""
    raw = b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + request.body
    message = BytesParser(policy=HTTP).parsebytes(raw)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


def json_body(request: requests.PreparedRequest) -> dict:
    """A request's JSON body."""
    return json.loads(request.body)


def query(request: requests.PreparedRequest) -> dict[str, str]:
    """A request's query string."""
    return dict(parse_qsl(urlsplit(request.url).query))


@pytest.fixture
def media_flow(rsps: responses.RequestsMock) -> Callable[[str], None]:
    """Register a successful v2 upload (initialize, append, finalize, metadata) for ``media_id``."""

    def register(media_id: str) -> None:
        rsps.post(
            f"{MEDIA_API}/2/media/upload/initialize",
            json={"data": {"id": media_id, "media_key": f"3_{media_id}", "expires_after_secs": 86400}},
        )
        rsps.post(f"{MEDIA_API}/2/media/upload/{media_id}/append", json={"data": {"expires_at": 1}})
        rsps.post(
            f"{MEDIA_API}/2/media/upload/{media_id}/finalize",
            json={"data": {"id": media_id, "media_key": f"3_{media_id}", "size": 10}},
        )
        rsps.post(f"{MEDIA_API}/2/media/metadata", json={"data": {"id": media_id}})

    return register
