"""A posting JPEG is made to fit each network's size limit, and stays as bare as the scrub made it."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from tripposter.pipeline.fit import fit_jpeg
from tripposter.pipeline.scrub import OutputTooLargeError, encode_jpeg


def busy_jpeg(size: tuple[int, int] = (2000, 1500), quality: int = 95) -> bytes:
    """A photo with the detail of foliage or gravel: noise compresses worst of all."""
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    jpeg, _ = encode_jpeg(Image.fromarray(pixels), quality=quality, max_bytes=50_000_000)
    return jpeg


def test_a_photo_that_fits_is_sent_as_it_is() -> None:
    jpeg = busy_jpeg((400, 300))
    assert fit_jpeg(jpeg, len(jpeg)) is jpeg


@pytest.mark.parametrize("limit", [2_000_000, 1_000_000])
def test_a_photo_too_big_for_the_network_is_made_to_fit_and_stays_bare(
    limit: int, assert_bare: Callable[[bytes], None]
) -> None:
    jpeg = busy_jpeg()
    assert len(jpeg) > 2_000_000
    fitted = fit_jpeg(jpeg, limit, network="Bluesky")
    assert len(fitted) <= limit
    assert_bare(fitted)
    with Image.open(io.BytesIO(fitted)) as image:
        assert image.format == "JPEG" and image.width >= 640 and image.width / image.height == pytest.approx(4 / 3, abs=0.01)


def test_quality_comes_down_before_the_pixels_do() -> None:
    jpeg = busy_jpeg((1200, 900))
    fitted = fit_jpeg(jpeg, int(len(jpeg) * 0.6))
    with Image.open(io.BytesIO(fitted)) as image:
        assert image.size == (1200, 900)


def test_a_photo_that_cannot_fit_says_so_for_the_network() -> None:
    with pytest.raises(OutputTooLargeError, match="small enough for Bluesky"):
        fit_jpeg(busy_jpeg((800, 600)), 5_000, network="Bluesky")
