"""The Mastodon publisher and the instance it posts to: limits, version and the quote policy, read once.

Mastodon.py runs for real; only HTTP is intercepted (``responses``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import responses

from tests.publishers.conftest import make_jpeg
from tests.publishers.test_mastodon_fakes import (
    BASE,
    INSTANCE_URL,
    MEDIA_URL,
    STATUSES_URL,
    form,
    instance,
    media,
    publisher,
    status,
)
from tripposter.publishers.base import Post, PostImage
from tripposter.publishers.mastodon_api import DEFAULT_MAX_CHARACTERS, comparable, plain_text

V1_INSTANCE_URL = f"{BASE}/api/v1/instance/"
NOW = datetime(2026, 6, 3, 10, 0, 3, tzinfo=UTC)


def _post() -> Post:
    return Post(text="Beach day #Year5Trip", images=(PostImage(make_jpeg(), "Pupils on the sand"),))


def _publish_on(rsps: responses.RequestsMock, body: dict[str, object], media_url: str = MEDIA_URL) -> None:
    rsps.get(INSTANCE_URL, json=body)
    rsps.post(media_url, json=media("m1"))
    rsps.post(STATUSES_URL, json=status("114", "<p>x</p>", NOW))
    publisher().publish(_post())


def test_before_mastodon_4_5_no_quote_policy_is_sent(rsps: responses.RequestsMock) -> None:
    _publish_on(rsps, instance(api_version=2))
    assert "quote_approval_policy" not in form(rsps.calls[-1].request)
    # Mastodon.py was handed the version: v2 media at once, no look-up of the deprecated v1 instance.
    assert [c.request.url for c in rsps.calls] == [INSTANCE_URL, MEDIA_URL, STATUSES_URL]


def test_a_gotosocial_style_version_uploads_through_v1_media(rsps: responses.RequestsMock) -> None:
    _publish_on(rsps, instance(api_version=None, version="0.19.1 git-8f2ab5c"), f"{BASE}/api/v1/media")
    assert rsps.calls[1].request.url == f"{BASE}/api/v1/media"
    assert "quote_approval_policy" not in form(rsps.calls[-1].request)


def test_an_unreadable_version_is_taken_as_mastodon_4(rsps: responses.RequestsMock) -> None:
    _publish_on(rsps, instance(api_version=None, version="nightly"))
    assert rsps.calls[1].request.url == MEDIA_URL


def test_the_instance_is_read_once_for_the_publishers_life(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, json=instance())
    rsps.post(MEDIA_URL, json=media("m1"))
    rsps.post(STATUSES_URL, json=status("115", "<p>x</p>", NOW))
    sender = publisher()
    sender.limits()
    sender.publish(_post())
    sender.publish(_post())
    assert [c.request.url for c in rsps.calls].count(INSTANCE_URL) == 1


def test_limits_come_from_the_instance(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, json=instance(max_characters=5000, image_size_limit=10_485_760, description_limit=1000))
    limits = publisher().limits()
    assert (limits.network, limits.max_text, limits.max_images) == ("Mastodon", 5000, 4)
    assert (limits.max_image_bytes, limits.max_alt_text) == (10_485_760, 1000)
    assert limits.replies_can_be_closed is False
    # Every link counts as 23 characters, however long, and an emoji family as one.
    assert limits.count_text("See https://example.org/" + "x" * 80 + " 👨‍👩‍👧") == 4 + 23 + 2


def test_a_server_without_either_instance_document_gets_mastodons_defaults(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, status=404, json={"error": "Record not found"})
    rsps.get(V1_INSTANCE_URL, status=404, json={"error": "Record not found"})
    made = publisher()
    limits = made.limits()
    assert limits.max_text == DEFAULT_MAX_CHARACTERS and limits.max_images == 4
    assert made.caption_limit() == (DEFAULT_MAX_CHARACTERS, False)  # the default, and it says so


def test_a_server_before_mastodon_4_has_its_limit_read_from_the_v1_instance(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, status=404, json={"error": "Record not found"})
    v1 = {"uri": "mastodon.example", "title": "Old Mastodon", "version": "3.5.3",
          "configuration": {"statuses": {"max_characters": 1000, "max_media_attachments": 4}}}
    rsps.get(V1_INSTANCE_URL, json=v1)
    made = publisher()
    assert made.caption_limit() == (1000, True) and made.limits().max_text == 1000
    assert [c.request.url for c in rsps.calls] == [INSTANCE_URL, V1_INSTANCE_URL]  # read once


def test_a_pleroma_style_v1_instance_gives_max_toot_chars(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, status=404, json={"error": "Record not found"})
    rsps.get(V1_INSTANCE_URL, json={"uri": "pleroma.example", "version": "2.7.2 (compatible; Pleroma 2.5.0)",
                                    "max_toot_chars": 5000})
    assert publisher().caption_limit() == (5000, True)


def test_a_v2_instance_gives_its_own_caption_limit(rsps: responses.RequestsMock) -> None:
    rsps.get(INSTANCE_URL, json=instance(max_characters=11_000))
    assert publisher().caption_limit() == (11_000, True)


def test_nonsense_limits_fall_back_to_the_defaults(rsps: responses.RequestsMock) -> None:
    body = instance()
    body["configuration"] = {"statuses": {"max_characters": "lots", "max_media_attachments": -1}}
    rsps.get(INSTANCE_URL, json=body)
    limits = publisher().limits()
    assert (limits.max_text, limits.max_images) == (DEFAULT_MAX_CHARACTERS, 4)


def test_a_status_reads_back_as_the_caption_it_was_made_from() -> None:
    html = '<p>Picnic &amp; paddling</p><p>at <a href="https://m.example/@guide">@<span>guide</span></a></p>'
    assert comparable(plain_text(html)) == comparable("Picnic & paddling\n\nat @guide@m.example")
