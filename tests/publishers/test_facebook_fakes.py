"""Shared fakes for the Facebook tests: Graph's URLs, answers and error bodies (no tests here)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import requests
import responses

from tests.publishers.conftest import make_jpeg
from tripposter.publishers.base import Post, PostImage
from tripposter.publishers.facebook import FacebookPublisher

PAGE_ID = "1061234567890"
PAGE_TOKEN = "EAAGpagetoken-secret-123"
GRAPH = "https://graph.facebook.com/v26.0"
PHOTOS_URL = f"{GRAPH}/{PAGE_ID}/photos"
FEED_URL = f"{GRAPH}/{PAGE_ID}/feed"
RECENT_URL = f"{GRAPH}/{PAGE_ID}/published_posts"
POST_ID = f"{PAGE_ID}_987654321"
POST_URL = f"{GRAPH}/{POST_ID}"
PERMALINK = f"https://www.facebook.com/{PAGE_ID}/posts/987654321"
CAPTION = "Rock pooling at Robin Hood's Bay & a picnic <3 #Year5Trip"


def publisher() -> FacebookPublisher:
    """The publisher under test, with a short timeout."""
    return FacebookPublisher(PAGE_ID, PAGE_TOKEN, timeout=9.0)


def post(count: int = 2, text: str = CAPTION) -> Post:
    """A post with ``count`` distinct JPEGs, each with its own alt text."""
    images = tuple(
        PostImage(make_jpeg(40, 30, noise=True, seed=i), f"Pupils on the beach, photo {i + 1}") for i in range(count)
    )
    return Post(text=text, images=images)


def graph_error(code: int, subcode: int | None = None, *, transient: bool = False) -> dict[str, object]:
    """Graph's error body."""
    error: dict[str, object] = {
        "message": f"(#{code}) Something went wrong",
        "type": "OAuthException",
        "code": code,
        "is_transient": transient,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def register_uploads(rsps: responses.RequestsMock, *photo_ids: str) -> None:
    """Each upload to the Page's photos edge answers with the next photo id."""
    for photo_id in photo_ids:
        rsps.post(PHOTOS_URL, json={"id": photo_id})


def register_permalink(rsps: responses.RequestsMock, post_id: str = POST_ID, link: str = PERMALINK) -> None:
    """The post's own node answers with its permalink."""
    rsps.get(f"{GRAPH}/{post_id}", json={"permalink_url": link, "id": post_id})


def form(request: requests.PreparedRequest) -> dict[str, str]:
    """A url-encoded form body."""
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return dict(parse_qsl(body, keep_blank_values=True))


def calls_to(rsps: responses.RequestsMock, method: str, url: str) -> list[requests.PreparedRequest]:
    """The requests sent with ``method`` to ``url`` (query string ignored), in order."""
    return [c.request for c in rsps.calls if c.request.method == method and c.request.url.split("?")[0] == url]
