"""Recognising uploads by content, and refusing bad ones before their pixels are decoded."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFile

from tests.pipeline.corpus import (
    bad_inputs,
    encoded,
    jpeg_bytes,
    marked_picture,
    photo_like,
    png_bomb,
    with_sof_size,
)
from tripposter.pipeline import decode
from tripposter.pipeline.decode import (
    CorruptImageError,
    FileTooLargeError,
    NotAnImageError,
    TooManyPixelsError,
    load_pixels,
    open_image,
    sniff,
)
from tripposter.pipeline.errors import PipelineError
from tripposter.pipeline.photo import Limits, scrub_photo

BAD = bad_inputs()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_with_the_right_error(name: str) -> None:
    data, expected = BAD[name]
    with pytest.raises(PipelineError) as caught:
        scrub_photo(data)
    assert type(caught.value).__name__ == expected
    assert caught.value.code != PipelineError.code
    assert caught.value.user_message.endswith(".") and len(caught.value.user_message) > 30


def test_every_error_class_is_a_named_pipeline_error() -> None:
    for name in {expected for _, expected in BAD.values()}:
        cls = getattr(decode, name)
        assert issubclass(cls, PipelineError) and name.endswith("Error")


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("HEIF", "heif")],
)
def test_sniff_recognises_accepted_kinds_by_content(fmt: str, kind: str) -> None:
    assert sniff(encoded(marked_picture(), fmt)) == kind


def test_opening_reads_only_the_header() -> None:
    image, kind = open_image(jpeg_bytes(photo_like(320, 240)), max_bytes=10**6, max_pixels=10**6)
    assert (kind, image.size) == ("jpeg", (320, 240))
    assert image._im is None  # lazily opened: no pixel memory yet


def test_byte_limit_is_a_parameter() -> None:
    data = jpeg_bytes(photo_like(320, 240))
    with pytest.raises(FileTooLargeError, match="bigger than"):
        scrub_photo(data, limits=Limits(max_bytes=len(data) - 1))
    assert scrub_photo(data, limits=Limits(max_bytes=len(data))).width == 320


def test_pixel_limit_is_a_parameter() -> None:
    data = jpeg_bytes(photo_like(320, 240))
    with pytest.raises(TooManyPixelsError, match="megapixels"):
        scrub_photo(data, limits=Limits(max_pixels=320 * 240 - 1))
    assert scrub_photo(data, limits=Limits(max_pixels=320 * 240)).height == 240


def test_header_between_pillow_warning_and_error_is_refused_without_warning() -> None:
    # 100 MP: above Pillow's warning threshold, below its error one; warnings are errors here.
    with pytest.raises(TooManyPixelsError):
        scrub_photo(with_sof_size(jpeg_bytes(photo_like(64, 48)), 10_000, 10_000))


def test_bomb_is_refused_before_decoding_even_without_pillows_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # someone else switched Pillow's check off
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(TooManyPixelsError):
        scrub_photo(png_bomb(8000))  # 64 MP: over our 50 MP default
    with pytest.raises(TooManyPixelsError):
        scrub_photo(with_sof_size(jpeg_bytes(photo_like(64, 48)), 60_000, 60_000))


def test_truncated_jpeg_refused_even_if_pillow_is_told_to_accept_truncation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = jpeg_bytes(photo_like(320, 240))
    with pytest.raises(CorruptImageError):
        scrub_photo(data[: len(data) - 100])


def test_name_and_extension_play_no_part() -> None:
    # The API takes bytes only; an HTML page is refused whatever it would have been called.
    with pytest.raises(NotAnImageError):
        open_image(b"<html>" + b" " * 64 + jpeg_bytes(marked_picture()), max_bytes=10**6, max_pixels=10**6)


def test_load_pixels_uses_reduced_scale_for_jpeg() -> None:
    image, _ = open_image(jpeg_bytes(photo_like(1600, 1200)), max_bytes=10**7, max_pixels=10**7)
    loaded = load_pixels(image, (400, 300))
    assert loaded.size == (400, 300)  # DCT scaling by 1/4, not a full decode
