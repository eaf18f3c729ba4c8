"""What the Bluesky publisher writes: its limits, the attempt's record key, and the three records.

A post goes out as one ``com.atproto.repo.applyWrites`` call holding three creates, all under the
same record key: the post, its threadgate (an empty allow list: nobody can reply) and its postgate
(quoting disabled). The PDS applies the writes as one commit, so the post never exists without its
gates, and the record key comes from the attempt, so a second send of the same attempt is refused.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import UTC, datetime
from typing import Any

import regex
from atproto_client import models
from atproto_client.utils import facet_detection
from PIL import Image, UnidentifiedImageError

from tripposter.publishers.base import Attempt, NetworkLimits

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
POSTGATE = "app.bsky.feed.postgate"
GATES = (THREADGATE, POSTGATE)
# Bluesky's own app caps alt text at 2,000 graphemes (MAX_ALT_TEXT in social-app's constants);
# the lexicon sets no limit of its own.
MAX_ALT_TEXT = 2000
MAX_IMAGE_BYTES = 2_000_000  # since April 2026; older or self-hosted servers may still say ~1 MB
OLDER_SERVER_IMAGE_BYTES = 1_000_000  # the limit of the lexicon before, still kept by some servers
_GRAPHEME = regex.compile(r"\X")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as the atproto TID spec says


def count_graphemes(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters), as Bluesky counts its 300.

    ``regex``'s ``\\X`` is a full UAX #29 segmenter kept current with each Unicode release (emoji
    ZWJ sequences, flags, skin tones, Indic conjuncts); atproto's own counter says it is only an
    approximation, and the ``grapheme`` package has not had a release since 2020.
    """
    return len(_GRAPHEME.findall(text))


LIMITS = NetworkLimits(
    network="Bluesky",
    max_text=300,
    count_text=count_graphemes,
    text_unit="characters",
    max_images=4,
    max_image_bytes=MAX_IMAGE_BYTES,
    max_alt_text=MAX_ALT_TEXT,
    replies_can_be_closed=True,
)


def tid(micros: int, clock_id: int) -> str:
    """An atproto TID: 53 bits of microseconds since 1970 then a 10-bit clock id, base32-sortable."""
    if not 0 <= micros < 1 << 53 or not 0 <= clock_id < 1 << 10:
        raise ValueError("a TID holds 53 bits of microseconds and a 10-bit clock id")
    value = (micros << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -5, -5))


def rkey_for(attempt: Attempt | None) -> str:
    """The post's record key: fixed by the attempt, so every send of one attempt writes the same key.

    The time is when the attempt started (committed before anything was sent); the clock id comes
    from the attempt's id, so two attempts started in the same microsecond still differ (1 in 1024).
    With no attempt there is nothing to recover by, so the key is fresh.
    """
    if attempt is None:
        return tid(_micros(datetime.now(UTC)), secrets.randbelow(1024))
    digest = hashlib.sha256(attempt.id.encode()).digest()
    return tid(_micros(attempt.started_at), int.from_bytes(digest[:2], "big") & 0x3FF)


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def aspect_ratio(jpeg: bytes) -> models.AppBskyEmbedDefs.AspectRatio | None:
    """The photo's width and height (read from its header), so Bluesky lays it out before loading."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return None
    return models.AppBskyEmbedDefs.AspectRatio(width=width, height=height)


def post_record(
    text: str, images: list[models.AppBskyEmbedImages.Image], created_at: str
) -> models.AppBskyFeedPost.Record:
    """The post: caption, links and hashtags made clickable (no mentions: they need look-ups), photos."""
    facets = facet_detection.detect_facets(text) or None
    return models.AppBskyFeedPost.Record(
        text=text,
        created_at=created_at,
        facets=facets,
        embed=models.AppBskyEmbedImages.Main(images=images),
    )


def gate_records(post_uri: str, created_at: str) -> dict[str, Any]:
    """The threadgate (nobody can reply) and postgate (nobody can quote) for the post, by collection."""
    return {
        THREADGATE: models.AppBskyFeedThreadgate.Record(post=post_uri, allow=[], created_at=created_at),
        POSTGATE: models.AppBskyFeedPostgate.Record(
            post=post_uri,
            created_at=created_at,
            embedding_rules=[models.AppBskyFeedPostgate.DisableRule()],
        ),
    }


def at_uri(did: str, collection: str, rkey: str) -> str:
    """The at:// address of one record in the account's repository."""
    return f"at://{did}/{collection}/{rkey}"


def web_url(handle: str, rkey: str) -> str:
    """Where people see the post on bsky.app."""
    return f"https://bsky.app/profile/{handle}/post/{rkey}"
