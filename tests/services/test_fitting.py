"""One post fitted to every network it goes to: the caption's length when it is queued, each photo's bytes
before it is sent. The name guard, consent and faces are the same everywhere; only sizes differ."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from tests.lifecycle import Outing
from tests.pipeline.test_fit import busy_jpeg
from tests.services.test_publishing import queue_post, receive
from tripposter.models import Channel, ChannelKind
from tripposter.publishers import base as pub
from tripposter.publishers.x_costs import weighted_length
from tripposter.runtime import Runtime
from tripposter.services.networks.fitting import BLUESKY, KNOWN, caption_problems, fit_to, limits_of
from tripposter.services.posting import posts

# X counts a link as 23 characters; Bluesky counts every character of it.
LONG_LINK = "https://www.example.org/" + "trips/" * 40 + "lake-district-residential-2026"
CAPTION = "A brilliant morning by the lake, and the photos of the week are here: " + LONG_LINK


def _connected(session: Session, *kinds: ChannelKind) -> None:
    for kind in kinds:
        session.add(Channel(kind=kind, display_name=f"school on {kind.label}", settings={}, secret=b"sealed"))
    session.commit()


def test_a_caption_too_long_for_bluesky_is_refused_naming_bluesky_only_when_bluesky_is_connected(
    session: Session, rt: Runtime, outing: Outing
) -> None:
    assert BLUESKY.count_text(CAPTION) > 300 and weighted_length(CAPTION) < 250  # the premise
    photo = receive(session, rt, outing)
    assert queue_post(session, rt, outing, photo, caption=CAPTION).id  # only the outbox: it fits X's counting
    _connected(session, ChannelKind.BLUESKY, ChannelKind.MASTODON)
    with pytest.raises(posts.ChecksFailedError) as refused:
        queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002",
                   caption=CAPTION)
    messages = [p.message for p in refused.value.problems]
    assert any("for Bluesky, which allows 300" in m for m in messages)
    assert not any("Mastodon" in m for m in messages)  # 500, with a link counted as 23: it fits there


def test_the_live_check_names_each_network_that_cannot_take_the_caption(session: Session) -> None:
    _connected(session, ChannelKind.BLUESKY, ChannelKind.FACEBOOK)
    assert [p.rule for p in caption_problems(session, CAPTION)] == ["length"]
    assert caption_problems(session, "A brilliant morning!") == []


def test_each_photo_is_made_to_fit_the_networks_bytes_and_the_alt_text_stays() -> None:
    big, small = busy_jpeg(), busy_jpeg((300, 200))
    request = pub.Post(text="A lake", images=(pub.PostImage(big, "Pupils by a lake"), pub.PostImage(small, "Kit bags")))
    fitted = fit_to(request, KNOWN[ChannelKind.BLUESKY])
    assert len(big) > 2_000_000 >= len(fitted.images[0].jpeg)
    assert fitted.images[1].jpeg is small and [i.alt_text for i in fitted.images] == ["Pupils by a lake", "Kit bags"]
    with Image.open(io.BytesIO(fitted.images[0].jpeg)) as image:
        assert image.format == "JPEG"
    assert len(big) < 4_000_000 and fit_to(request, KNOWN[ChannelKind.FACEBOOK]).images[0].jpeg is big  # fits there


def test_a_network_that_reads_its_limits_from_its_server_is_asked() -> None:
    served = pub.NetworkLimits("Mastodon", 11_000, len, max_image_bytes=16_000_000)

    class Server:
        def limits(self) -> pub.NetworkLimits:
            return served

    assert limits_of(Server(), ChannelKind.MASTODON) is served
    assert limits_of(object(), ChannelKind.BLUESKY) is BLUESKY
