"""Fitting one post to each network the school posts to: the caption's length and each photo's size.

The same rules hold everywhere (the name guard, consent, faces), and the same final text goes to
every network. Only the sizes differ: a caption within X's 280 may be over Bluesky's 300 graphemes
(Bluesky counts a link in full, X as 23), so the teacher is told when the post is queued, naming the
network; and a photo over a network's byte limit is re-encoded smaller just before it is sent there.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Channel, ChannelKind
from ...pipeline.errors import Problem
from ...pipeline.fit import fit_jpeg
from ...publishers import base as pub
from ...publishers.bluesky_records import LIMITS as BLUESKY
from ...publishers.facebook import LIMITS as FACEBOOK
from ...publishers.mastodon_api import DEFAULT_MAX_CHARACTERS, NETWORK, count_text

# Known before any request: Mastodon's own limit is read from the server when sending, so the
# default (500, as Mastodon ships) is the check here.
MASTODON = pub.NetworkLimits(network=NETWORK, max_text=DEFAULT_MAX_CHARACTERS, count_text=count_text)
KNOWN: dict[ChannelKind, pub.NetworkLimits] = {
    ChannelKind.BLUESKY: BLUESKY, ChannelKind.MASTODON: MASTODON, ChannelKind.FACEBOOK: FACEBOOK,
}


def caption_problems(session: Session, text: str) -> list[Problem]:
    """A problem for each connected network the final text is too long for."""
    kinds = session.scalars(select(Channel.kind).where(Channel.active.is_(True))).all()
    problems = []
    for kind in sorted(set(kinds)):
        limits = KNOWN[kind]
        length = limits.count_text(text)
        if length > limits.max_text:
            problems.append(Problem(
                "length",
                f"With the school's hashtags added the post is {length} characters long for {limits.network}, "
                f"which allows {limits.max_text}. Shorten the caption by {length - limits.max_text} characters "
                "(a link counts in full there).",
            ))
    return problems


def fit_to(request: pub.Post, limits: pub.NetworkLimits) -> pub.Post:
    """The request with each photo made to fit the network's byte limit (the same picture, smaller).

    Raises:
        OutputTooLargeError: a photo cannot be made small enough (a ``PipelineError``).
    """
    images = tuple(
        image if len(image.jpeg) <= limits.max_image_bytes
        else pub.PostImage(fit_jpeg(image.jpeg, limits.max_image_bytes, network=limits.network), image.alt_text)
        for image in request.images
    )
    return replace(request, images=images)


def publish_fitted(publisher: pub.Publisher, request: pub.Post, limits: pub.NetworkLimits) -> pub.Published:
    """Publish ``request``; if the server takes smaller photos than its network's limit, fit and send once more.

    Safe to repeat: photos are uploaded before the post is made, so a photo refused as too large
    means no post exists yet (an older Bluesky server still taking 1 MB, say).

    Raises:
        PublishError: as the publisher's ``publish``; OutputTooLargeError if a photo cannot be made that small.
    """
    try:
        return publisher.publish(request)
    except pub.ImageTooLargeError as exc:
        smaller = exc.retry_within
        if smaller is None or smaller >= limits.max_image_bytes:
            raise
        return publisher.publish(fit_to(request, replace(limits, max_image_bytes=smaller)))


def limits_of(publisher: object, kind: ChannelKind) -> pub.NetworkLimits:
    """The publisher's own limits where it reads them from its server (Mastodon), else the known ones."""
    read = getattr(publisher, "limits", None)
    return read() if callable(read) else KNOWN[kind]
