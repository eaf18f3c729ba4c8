"""Bluesky's limits and record keys: graphemes counted as Bluesky counts them, TIDs as atproto defines them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from atproto_client.models.string_formats import TID_RE

from tests.publishers.conftest import make_jpeg
from tripposter.publishers.base import Attempt, InvalidPostError, Post, PostImage, check_limits
from tripposter.publishers.bluesky import LIMITS
from tripposter.publishers.bluesky_records import aspect_ratio, count_graphemes, rkey_for, tid

FAMILY = "👨‍👩‍👧‍👦"  # one grapheme of seven code points
FLAG = "🏴󠁧󠁢󠁷󠁬󠁳󠁿"  # the Welsh flag: one grapheme of seven code points


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [("Year 5", 6), (FAMILY, 1), (FLAG, 1), ("🇬🇧", 1), ("👍🏽", 1), ("e\u0301", 1), ("नमस्ते", 3), ("Ysgol Gymraeg", 13)],
)
def test_graphemes_are_what_a_reader_sees_as_one_character(text: str, graphemes: int) -> None:
    assert count_graphemes(text) == graphemes


def test_the_limits_are_bluesky_s() -> None:
    assert (LIMITS.network, LIMITS.max_text, LIMITS.max_images) == ("Bluesky", 300, 4)
    assert (LIMITS.max_image_bytes, LIMITS.max_alt_text, LIMITS.replies_can_be_closed) == (2_000_000, 2000, True)


def _post(text: str) -> Post:
    return Post(text=text, images=(PostImage(make_jpeg(), "A class photo"),))


def test_300_emoji_fit_though_they_are_2100_code_points() -> None:
    text = FAMILY * 300
    assert len(text) == 2100
    check_limits(_post(text), LIMITS)
    with pytest.raises(InvalidPostError, match=r"too long for Bluesky \(at most 300 characters\)"):
        check_limits(_post(text + "!"), LIMITS)


def test_a_tid_is_13_sortable_characters_with_the_time_first() -> None:
    assert tid(0, 0) == "2222222222222"
    assert tid((1 << 53) - 1, 1023) == "bzzzzzzzzzzzz"  # 2**63 - 1: the top bit stays clear
    earlier, later = tid(1_780_000_000_000_000, 1023), tid(1_780_000_000_000_001, 0)
    assert TID_RE.match(earlier) and TID_RE.match(later) and earlier < later
    with pytest.raises(ValueError):
        tid(1 << 53, 0)


def test_the_record_key_carries_the_attempts_start_to_the_microsecond() -> None:
    started = datetime(2026, 6, 3, 10, 0, 0, 123456, tzinfo=UTC)
    key = rkey_for(Attempt("ab" * 16, started, 1))
    value = 0
    for char in key:
        value = value * 32 + "234567abcdefghijklmnopqrstuvwxyz".index(char)
    assert value >> 10 == int(started.timestamp()) * 1_000_000 + 123456
    assert TID_RE.match(rkey_for(None)) and rkey_for(None) != rkey_for(None)


def test_the_aspect_ratio_is_read_from_the_photo() -> None:
    ratio = aspect_ratio(make_jpeg(120, 90))
    assert ratio is not None and (ratio.width, ratio.height) == (120, 90)
    assert aspect_ratio(b"\xff\xd8\xff not really a jpeg") is None
