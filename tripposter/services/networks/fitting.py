"""Fitting one post to each network the school posts to: the caption's length and each photo's size.

The same rules hold everywhere (the name guard, consent, faces), and the same final text goes to
every network. Only the sizes differ: a caption within X's 280 may be over Bluesky's 300 graphemes
(Bluesky counts a link in full, X as 23), so the teacher is told when the post is queued, naming the
network; and a photo over a network's byte limit is re-encoded smaller just before it is sent there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from ...models import MAIN_NETWORK, Channel, ChannelKind, Trip
from ...pipeline.errors import Problem
from ...pipeline.fit import fit_jpeg
from ...pipeline.length import MAX_WEIGHTED_LENGTH, weighted_length
from ...publishers import base as pub
from ...publishers.bluesky_records import LIMITS as BLUESKY
from ...publishers.facebook import LIMITS as FACEBOOK
from ...publishers.mastodon_api import DEFAULT_MAX_CHARACTERS, NETWORK, count_text
from .trip_networks import connected_channels, trip_channels

# Known before any request. Mastodon's own limit is read from the server at connect and at "Test
# connection" and kept on the channel (``settings["max_characters"]``); 500, as Mastodon ships, until then.
MASTODON = pub.NetworkLimits(network=NETWORK, max_text=DEFAULT_MAX_CHARACTERS, count_text=count_text)
# The practice outbox holds what the main outbox holds: a post as X would take it.
PRACTICE = pub.NetworkLimits(network=ChannelKind.OUTBOX.label, max_text=MAX_WEIGHTED_LENGTH, count_text=weighted_length)
KNOWN: dict[ChannelKind, pub.NetworkLimits] = {
    ChannelKind.BLUESKY: BLUESKY, ChannelKind.MASTODON: MASTODON, ChannelKind.FACEBOOK: FACEBOOK,
    ChannelKind.OUTBOX: PRACTICE,
}


def caption_limits(channel: Channel) -> pub.NetworkLimits:
    """The caption limit this channel is checked against: the known one, or the Mastodon server's own."""
    limits = KNOWN[ChannelKind(channel.kind)]
    stored = (channel.settings or {}).get("max_characters")
    if limits is MASTODON and isinstance(stored, int) and not isinstance(stored, bool) and stored > 0:
        return replace(limits, max_text=stored)
    return limits


def caption_problems(session: Session, text: str, trip: Trip | None = None) -> list[Problem]:
    """A problem for each connected network (each of ``trip``'s, if given) the final text is too long for."""
    channels = trip_channels(session, trip) if trip is not None else connected_channels(session)
    problems = []
    for channel in channels:
        limits = caption_limits(channel)
        length = limits.count_text(text)
        if length > limits.max_text:
            problems.append(Problem(
                "length",
                f"With the school's hashtags added the post is {length} characters long for {limits.network}, "
                f"which allows {limits.max_text}. Shorten the caption by {length - limits.max_text} characters "
                "(a link counts in full there).",
            ))
    return problems


@dataclass(frozen=True)
class CaptionCount:
    """The final text's length on one network, as that network counts it, and what it allows."""

    network: str
    length: int
    limit: int


def caption_counts(session: Session, text: str, trip: Trip, main: str) -> list[CaptionCount]:
    """The caption's length on each of ``trip``'s networks: the main one (``main``, counted as X counts) first."""
    counts = []
    if trip.posts_to(MAIN_NETWORK):
        counts.append(CaptionCount(main, weighted_length(text), MAX_WEIGHTED_LENGTH))
    for channel in trip_channels(session, trip):
        limits = caption_limits(channel)
        counts.append(CaptionCount(limits.network, limits.count_text(text), limits.max_text))
    return counts


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
