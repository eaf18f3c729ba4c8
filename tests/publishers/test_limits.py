"""``check_limits``: every size limit a network declares refuses the post, saying what to change,
before a single request is sent. X's own limits count the caption as X does (links 23, emoji 2).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses

from tests.publishers.conftest import CONSUMER_KEY, CONSUMER_SECRET, TWEETS_URL, make_jpeg
from tripposter.publishers import x
from tripposter.publishers.base import InvalidPostError, NetworkLimits, Post, PostImage, check_limits
from tripposter.publishers.x import XPublisher
from tripposter.publishers.x_connect import XTokens
from tripposter.publishers.x_costs import LIMITS

# A network smaller than X in every way, so each limit can be crossed by a post base.py accepts.
SMALL = NetworkLimits(
    network="Smallnet",
    max_text=40,
    count_text=len,
    max_images=2,
    max_image_bytes=20_000,
    max_alt_text=50,
    text_unit="letters",
)
FITS_TEXT = "Pond dipping at Bramble Woods #Year3Trip"  # exactly 40
BIG_JPEG = make_jpeg(200, 150, noise=True)  # about 37 kB of noise: over Smallnet's 20,000 bytes


def _post(text: str = FITS_TEXT, count: int = 1, jpeg: bytes | None = None, alt: str = "Pupils at the pond") -> Post:
    return Post(text=text, images=tuple(PostImage(jpeg or make_jpeg(seed=i), alt) for i in range(count)))


TOO_BIG = {
    "caption": (lambda: _post(text=FITS_TEXT + "!"), "The caption is too long for Smallnet (at most 40 letters)"),
    "photos": (lambda: _post(count=3), "Smallnet takes at most 2 photos in one post."),
    "bytes": (lambda: _post(jpeg=BIG_JPEG), "A photo is larger than Smallnet accepts (20,000 bytes)"),
    "alt-text": (lambda: _post(alt="A" * 51), "A photo description is longer than Smallnet accepts (50 characters)"),
}


@pytest.mark.parametrize(("build", "message"), TOO_BIG.values(), ids=TOO_BIG.keys())
def test_each_limit_refuses_the_post_saying_what_to_change(build: Callable[[], Post], message: str) -> None:
    with pytest.raises(InvalidPostError) as refused:
        check_limits(build(), SMALL)
    assert refused.value.user_message.startswith(message)
    assert refused.value.code == "invalid_post"


def test_a_post_exactly_at_every_limit_passes() -> None:
    assert len(BIG_JPEG) > SMALL.max_image_bytes > len(make_jpeg())
    check_limits(_post(text=FITS_TEXT, count=2, alt="A" * 50), SMALL)


@pytest.mark.parametrize(("build", "message"), TOO_BIG.values(), ids=TOO_BIG.keys())
def test_the_x_publisher_checks_its_limits_before_any_request(
    rsps: responses.RequestsMock,
    tokens: XTokens,
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[], Post],
    message: str,
) -> None:
    monkeypatch.setattr(x, "LIMITS", SMALL)  # X's own photo limits are those base.py already enforces
    with pytest.raises(InvalidPostError) as refused:
        XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens).publish(build())
    assert refused.value.user_message.startswith(message)
    assert len(rsps.calls) == 0  # not even the first photo upload was started


def test_x_counts_the_caption_as_x_does(rsps: responses.RequestsMock, tokens: XTokens) -> None:
    long_link = "https://www.brambleprimary.sch.uk/" + "trips/" * 40  # 274 letters, but 23 to X
    check_limits(_post(text="a" * 256 + " " + long_link), LIMITS)  # 256 + 1 + 23 = 280
    check_limits(_post(text="\U0001f600" * 140), LIMITS)  # emoji count two: 280
    check_limits(_post(text="\u9060\u8db3" * 70), LIMITS)  # Japanese characters count two: 280
    with pytest.raises(InvalidPostError) as refused:
        XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens).publish(_post(text="\U0001f600" * 141))
    assert refused.value.user_message == (
        "The caption is too long for X (at most 280 characters, where a link counts as 23 and most emoji as 2). "
        "Shorten it."
    )
    assert len(rsps.calls) == 0


def test_x_declares_its_limits() -> None:
    assert (LIMITS.network, LIMITS.max_text, LIMITS.max_images) == ("X", 280, 4)
    assert (LIMITS.max_image_bytes, LIMITS.max_alt_text) == (5 * 1024 * 1024, 1000)
    assert LIMITS.replies_can_be_closed
    assert x.LIMITS is LIMITS  # where the publisher reads them


def test_a_post_that_fits_x_is_sent(
    rsps: responses.RequestsMock, media_flow: Callable[[str], None], tokens: XTokens
) -> None:
    media_flow("7")
    rsps.post(TWEETS_URL, status=201, json={"data": {"id": "70", "text": FITS_TEXT}})
    published = XPublisher(CONSUMER_KEY, CONSUMER_SECRET, tokens).publish(_post(text="\U0001f600" * 140))
    assert published.remote_id == "70"
