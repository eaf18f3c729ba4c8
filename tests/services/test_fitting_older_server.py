"""A Bluesky server that still takes only 1 MB photos: the photo is fitted to 1 MB and the post goes once.

atproto runs for real against the fake server behind respx; the server refuses the first upload
as too large, exactly as an older PDS answers.
"""

from __future__ import annotations

import pytest

from tests.pipeline.test_fit import busy_jpeg
from tests.publishers.test_bluesky import ATTEMPT, CAPTION, publisher
from tests.publishers.test_bluesky_pds import FakePDS, pds  # noqa: F401 - fixture
from tripposter.models import ChannelKind
from tripposter.publishers import base as pub
from tripposter.publishers.bluesky_records import OLDER_SERVER_IMAGE_BYTES
from tripposter.services.networks.fitting import KNOWN, fit_to, publish_fitted

UPLOAD, APPLY = "com.atproto.repo.uploadBlob", "com.atproto.repo.applyWrites"


def _post(jpeg: bytes) -> pub.Post:
    return pub.Post(text=CAPTION, images=(pub.PostImage(jpeg, "Pupils by the rock pools"),), attempt=ATTEMPT)


def test_an_older_servers_1mb_limit_fits_the_photo_and_posts_once(pds: FakePDS) -> None:  # noqa: F811
    pds.blob_limit = OLDER_SERVER_IMAGE_BYTES
    photo = busy_jpeg((1400, 1000))
    assert OLDER_SERVER_IMAGE_BYTES < len(photo) <= KNOWN[ChannelKind.BLUESKY].max_image_bytes  # the premise
    request = fit_to(_post(photo), KNOWN[ChannelKind.BLUESKY])
    assert request.images[0].jpeg is photo  # it fits Bluesky's own 2,000,000

    published = publish_fitted(publisher([]), request, KNOWN[ChannelKind.BLUESKY])

    uploads = [len(r.content) for r in pds.requests(UPLOAD)]
    assert uploads[0] == len(photo) and len(uploads) == 2 and uploads[1] <= OLDER_SERVER_IMAGE_BYTES
    assert pds.calls[APPLY] == 1 and published.url
    posts = [record for (collection, _), record in pds.records.items() if collection == "app.bsky.feed.post"]
    assert len(posts) == 1 and posts[0]["embed"]["images"][0]["alt"] == "Pupils by the rock pools"


def test_a_server_that_refuses_even_1mb_is_an_invalid_post_and_nothing_is_posted(pds: FakePDS) -> None:  # noqa: F811
    pds.blob_limit = 500_000
    with pytest.raises(pub.InvalidPostError, match="too large"):
        publish_fitted(publisher([]), _post(busy_jpeg((1400, 1000))), KNOWN[ChannelKind.BLUESKY])
    assert pds.calls[UPLOAD] == 2 and pds.calls[APPLY] == 0  # tried once at 1 MB, then gave up; no post
