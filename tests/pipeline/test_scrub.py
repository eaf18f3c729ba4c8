"""Orientation, colour, sizing and encoding: the picture comes out upright, sRGB, posting-size and bare."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from tests.pipeline.corpus import (
    RED,
    encoded,
    full_exif,
    icc_profile,
    jpeg_bytes,
    marked_picture,
    photo_like,
    stored_for,
)
from tripposter.pipeline.photo import Limits, scrub_photo
from tripposter.pipeline.scrub import (
    OutputTooLargeError,
    encode_jpeg,
    quality_steps,
    target_size,
)
from tripposter.pipeline.verify import verify_clean_jpeg


def decoded(jpeg: bytes) -> Image.Image:
    with Image.open(io.BytesIO(jpeg)) as image:
        return image.convert("RGB")


def assert_upright(jpeg: bytes) -> None:
    """The red block is top-left and nowhere else a corner could have moved it to."""
    image = decoded(jpeg)
    w, h = image.size
    assert (w, h) == (240, 160)
    corners = {"tl": (w // 8, h // 8), "tr": (w - w // 8, h // 8), "bl": (w // 8, h - h // 8)}
    reds = {name for name, xy in corners.items() if _near(image.getpixel(xy), RED)}
    assert reds == {"tl"}


def _near(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_orientation_is_applied(orientation: int, assert_bare: Callable[[bytes], None]) -> None:
    stored = stored_for(marked_picture(), orientation)
    result = scrub_photo(jpeg_bytes(stored, exif=full_exif(orientation)))
    assert_upright(result.jpeg)
    assert_bare(result.jpeg)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_other_formats_orientation_is_applied(fmt: str, orientation: int) -> None:
    stored = stored_for(marked_picture(), orientation)
    save = {"exif": full_exif(orientation).tobytes()} | ({"quality": 95} if fmt != "PNG" else {})
    assert_upright(scrub_photo(encoded(stored, fmt, **save)).jpeg)


@pytest.mark.parametrize(
    ("size", "long_edge", "expected"),
    [((4000, 3000), 2000, (2000, 1500)), ((3000, 4000), 2000, (1500, 2000)), ((1999, 10), 2000, (1999, 10)),
     ((4001, 3001), 2000, (2000, 1500)), ((100, 7000), 2000, (29, 2000)), ((5000, 1), 2000, (2000, 1))],
)  # fmt: skip
def test_target_size(size: tuple[int, int], long_edge: int, expected: tuple[int, int]) -> None:
    assert target_size(size, long_edge) == expected


@pytest.mark.parametrize(
    ("stored", "orientation", "expected"),
    [((4032, 3024), 1, (2000, 1500)), ((4032, 3024), 6, (1500, 2000)), ((3000, 2200), 8, (1467, 2000)),
     ((2100, 1400), 5, (1333, 2000)), ((1800, 1200), 6, (1200, 1800))],
)  # fmt: skip
def test_draft_decode_still_gives_exact_long_edge(
    stored: tuple[int, int], orientation: int, expected: tuple[int, int]
) -> None:
    flat = Image.new("RGB", stored, (90, 140, 200))  # content is irrelevant here; keep it fast
    result = scrub_photo(jpeg_bytes(flat, exif=full_exif(orientation)))
    assert (result.width, result.height) == expected == decoded(result.jpeg).size


def test_long_edge_is_a_parameter() -> None:
    result = scrub_photo(jpeg_bytes(photo_like(1600, 1200)), limits=Limits(long_edge=500))
    assert decoded(result.jpeg).size == (500, 375)


def test_embedded_icc_profile_is_converted_to_srgb() -> None:
    # The profile says "red channel = sRGB blue", so a red-coded file must come out blue.
    flat = Image.new("RGB", (64, 64), (255, 0, 0))
    result = scrub_photo(jpeg_bytes(flat, icc_profile=icc_profile()))
    r, g, b = decoded(result.jpeg).getpixel((32, 32))  # type: ignore[misc]
    assert b > 200 and r < 40
    assert "icc" in result.removed


def test_cmyk_greyscale_and_16_bit_become_rgb() -> None:
    cmyk = scrub_photo(jpeg_bytes(Image.new("CMYK", (64, 64), (0, 255, 255, 0))))
    r, g, b = decoded(cmyk.jpeg).getpixel((32, 32))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60
    grey = scrub_photo(jpeg_bytes(Image.new("L", (64, 64), 90)))
    assert _near(decoded(grey.jpeg).getpixel((32, 32)), (90, 90, 90), 3)
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    sixteen = scrub_photo(encoded(Image.fromarray(ramp), "PNG"))
    row = np.asarray(decoded(sixteen.jpeg))[32, :, 0].astype(int)
    assert abs(row[128] - 128) <= 6 and row[5] < 15 and row[250] > 240  # scaled, not clipped


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_composited_on_white(mode: str) -> None:
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 32, 64))
    source = image.convert(mode) if mode != "P" else image.convert("P", palette=Image.Palette.ADAPTIVE)
    if mode == "P":
        source.info["transparency"] = source.getpixel((48, 32))
    out = decoded(scrub_photo(encoded(source, "PNG")).jpeg)
    assert _near(out.getpixel((56, 32)), (255, 255, 255), 8)
    assert not _near(out.getpixel((8, 32)), (255, 255, 255), 60)


def test_noisy_photo_steps_quality_down_to_fit() -> None:
    noisy = jpeg_bytes(photo_like(1200, 900, seed=3), quality=98)
    roomy = scrub_photo(noisy)
    tight = scrub_photo(noisy, limits=Limits(max_output_bytes=len(roomy.jpeg) * 3 // 4))
    assert roomy.quality == 85 and tight.quality < 85
    assert len(tight.jpeg) <= len(roomy.jpeg) * 3 // 4
    with pytest.raises(OutputTooLargeError):
        scrub_photo(noisy, limits=Limits(max_output_bytes=10_000))


def test_pure_noise_at_the_default_size_fits_x_without_stepping_down() -> None:
    # The worst case for JPEG: a 2000 x 2000 picture of pure noise still fits X's 5 MB at quality 85.
    noise = np.random.default_rng(4).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
    result = scrub_photo(encoded(Image.fromarray(noise), "PNG"))
    assert result.quality == 85 and len(result.jpeg) <= 5 * 1024 * 1024


def test_a_noisy_12_megapixel_photo_is_stepped_down_to_x_s_5_mb() -> None:
    # A school posting at 4000 px (TRIPPOSTER_POSTING_LONG_EDGE) makes files X would refuse at quality 85.
    noise = np.random.default_rng(9).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    source = jpeg_bytes(Image.fromarray(noise), quality=90)
    limits = Limits(long_edge=4000)
    assert limits.max_output_bytes == 5 * 1024 * 1024  # X's own limit, not one made up for the test
    result = scrub_photo(source, limits=limits)
    assert (result.width, result.height) == (4000, 3000)
    assert result.quality < 85 and len(result.jpeg) <= 5 * 1024 * 1024
    steps = quality_steps(85)
    higher = steps[steps.index(result.quality) - 1]
    assert _encoded_size(source, higher) > 5 * 1024 * 1024  # the highest quality that fits, not any low one
    verify_clean_jpeg(result.jpeg)


def _encoded_size(jpeg: bytes, quality: int) -> int:
    out = io.BytesIO()
    decoded(jpeg).save(out, "JPEG", quality=quality, optimize=True, progressive=False, subsampling="4:2:0")
    return out.tell()


def test_quality_steps() -> None:
    assert quality_steps(85) == [85, 80, 75, 70, 65, 60, 55, 50]
    assert quality_steps(92)[:2] == [92, 80]


def test_encoder_ignores_metadata_carried_in_image_info() -> None:
    image = photo_like(200, 150)
    image.info.update(comment=b"MARKER", exif=full_exif().tobytes(), icc_profile=icc_profile(), dpi=(300, 300))
    jpeg, quality = encode_jpeg(image, quality=85, max_bytes=10**6)
    verify_clean_jpeg(jpeg)
    assert b"MARKER" not in jpeg and quality == 85 and "comment" in image.info
