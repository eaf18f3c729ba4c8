"""Turn decoded pixels into an upright, sRGB, posting-size, metadata-free baseline JPEG.

Speed comes from decoding less: a JPEG is asked to decode at 1/2, 1/4 or 1/8 scale
(libjpeg's DCT scaling, via ``Image.draft``) when the posting size allows, and the rest
of the reduction is an integer box ``reduce`` followed by one Lanczos pass. The picture
is turned upright *after* resizing, because the long edge is the same either way and
transposing a small image is cheaper.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

import numpy as np
from PIL import Image, ImageCms

from tripposter.pipeline.errors import PipelineError

_ORIENTATION_TAG: Final = 0x0112
# EXIF Orientation value -> the transpose that makes the stored pixels upright.
_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_PROFILE_SPACE: Final = {"RGB ": "RGB", "GRAY": "L", "CMYK": "CMYK"}
_LOWEST_QUALITY: Final = 50
_QUALITY_STEP: Final = 5
WHITE: Final = (255, 255, 255)


class OutputTooLargeError(PipelineError):
    """Even at the lowest quality we allow, the JPEG is over the size X accepts."""

    code = "output_too_large"


def orientation(image: Image.Image) -> int:
    """Return the EXIF orientation (1-8) of an opened image; 1 if absent or nonsense."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # damaged EXIF only warns
            value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # damaged EXIF: treat the picture as stored upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def target_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """Return ``size`` scaled so its long edge is ``min(long_edge, current long edge)``."""
    width, height = size
    longest = max(width, height)
    if longest <= long_edge:
        return size
    scale = long_edge / longest
    if width >= height:
        return long_edge, max(1, round(height * scale))
    return max(1, round(width * scale)), long_edge


def to_posting_pixels(image: Image.Image, turn: int, long_edge: int) -> Image.Image:
    """Make a loaded image RGB, sRGB, at most ``long_edge`` on its long side, and upright."""
    icc = image.info.get("icc_profile")
    image = _flatten(image)
    size = target_size(image.size, long_edge)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    image = _to_srgb(image, icc)
    if turn in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[turn])
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Reduce any mode to L, RGB or CMYK (the spaces an ICC profile may describe); alpha goes on white."""
    mode = image.mode
    if mode in ("L", "RGB", "CMYK"):
        return image
    if mode.startswith("I") or mode == "F":
        # Pillow clips 16-bit values to 255 when converting; scale them down instead.
        values = np.asarray(image).astype(np.float64)
        top = 65535.0 if mode != "F" and values.max() > 255 else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).round().astype(np.uint8)
        return Image.fromarray(grey)
    if mode == "1":
        return image.convert("L")
    has_alpha = "A" in mode or "a" in mode or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded profile to sRGB RGB; without a usable one, convert plainly."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if _PROFILE_SPACE.get(source.profile.xcolor_space) == image.mode:
                converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
                if converted is not None:
                    return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile only costs colour accuracy, never safety
    return image if image.mode == "RGB" else image.convert("RGB")


def quality_steps(start: int) -> list[int]:
    """Return the qualities to try: ``start``, then down in steps of 5 to 50."""
    steps = [start]
    steps += [q for q in range(80, _LOWEST_QUALITY - 1, -_QUALITY_STEP) if q < start]
    return steps


def encode_jpeg(image: Image.Image, *, quality: int, max_bytes: int) -> tuple[bytes, int]:
    """Encode RGB pixels as a bare baseline JPEG no bigger than ``max_bytes``; return it and the quality used.

    Raises:
        OutputTooLargeError: still over ``max_bytes`` at quality 50.
    """
    # Pillow copies ``info`` through convert/resize and saves some of it (e.g. a
    # comment) unless told otherwise, so the pixels go out with an empty info.
    kept_info, image.info = image.info, {}
    try:
        for step in quality_steps(quality):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=step, optimize=True, progressive=False, subsampling="4:2:0")
            if out.tell() <= max_bytes:
                return out.getvalue(), step
    finally:
        image.info = kept_info
    raise OutputTooLargeError(
        "This photo is too detailed to fit X's 5 MB limit even at lower quality. "
        "Please crop it or choose a different photo."
    )
