"""Fakes for connecting channels (no tests here): the networks' own fakes, with only HTTP intercepted.

Bluesky is the in-memory server of tests/publishers/test_bluesky_pds.py behind respx (atproto uses
httpx); Mastodon and Facebook answer through `responses` (Mastodon.py and the Graph client use requests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx
import responses

from tests.publishers import test_facebook_fakes as fb
from tests.publishers import test_mastodon_fakes as md
from tests.publishers.test_bluesky_pds import HANDLE, PASSWORD, FakePDS

BLUESKY_FORM = {"identifier": f"@{HANDLE}", "app_password": PASSWORD, "service": ""}
MASTODON_FORM = {"instance": "mastodon.example/@ourschool", "access_token": md.TOKEN}
FACEBOOK_FORM = {"page_id": fb.PAGE_ID, "page_token": fb.PAGE_TOKEN}
SECRETS = (PASSWORD, md.TOKEN, fb.PAGE_TOKEN)
BLUESKY_NAME = f"Oakfield Primary School (@{HANDLE})"
MASTODON_NAME = "@ourschool@mastodon.example"
FACEBOOK_NAME = "Oakfield Primary School"


@pytest.fixture
def pds() -> Iterator[FakePDS]:
    """The fake Bluesky server; any other httpx request fails the test."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield FakePDS(router)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every requests call intercepted; none reaches a network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def mastodon_answers(rsps: responses.RequestsMock, *, token_ok: bool = True) -> None:
    """The instance document, and verify_credentials accepting (or refusing) the token."""
    md.register_instance(rsps)
    if token_ok:
        rsps.get(md.VERIFY_URL, json=md.account())
    else:
        rsps.get(md.VERIFY_URL, status=401, json={"error": "The access token is invalid"})


def facebook_answers(rsps: responses.RequestsMock, *, owner: str = fb.PAGE_ID) -> None:
    """``me`` answering as ``owner`` (the Page itself unless told), and the Page's posts readable."""
    rsps.get(f"{fb.GRAPH}/me", json={"id": owner, "name": FACEBOOK_NAME})
    rsps.get(fb.RECENT_URL, json={"data": []})
