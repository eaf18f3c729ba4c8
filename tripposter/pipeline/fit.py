"""The posting JPEG made to fit one network's size limit (Bluesky 2,000,000 bytes, some servers 1 MB).

The image is already scrubbed and blurred; only its size changes. Quality comes down first (as the
scrub does), then, if that is not enough, the pixels shrink a fifth at a time. The result is encoded
afresh from pixels, so it is as bare as the scrub's own output, and it is verified to be.
"""

from __future__ import annotations

import io

from PIL import Image

from .scrub import OutputTooLargeError, encode_jpeg
from .verify import verify_clean_jpeg

SMALLEST_EDGE = 640  # below this a trip photo is no longer worth posting
SHRINK = 0.8


def fit_jpeg(jpeg: bytes, max_bytes: int, *, quality: int = 85, network: str = "the network") -> bytes:
    """``jpeg`` itself if it fits in ``max_bytes``, else a smaller re-encoding of the same picture.

    Raises:
        OutputTooLargeError: it cannot fit even at the lowest quality and ``SMALLEST_EDGE`` pixels.
    """
    if len(jpeg) <= max_bytes:
        return jpeg
    with Image.open(io.BytesIO(jpeg)) as opened:
        image = opened.convert("RGB")
    while True:
        try:
            smaller, _ = encode_jpeg(image, quality=quality, max_bytes=max_bytes)
        except OutputTooLargeError:
            width, height = image.size
            if max(width, height) * SHRINK < SMALLEST_EDGE:
                raise OutputTooLargeError(
                    f"This photo cannot be made small enough for {network} ({max_bytes:,} bytes). "
                    "Please choose a less detailed photo."
                ) from None
            image = image.resize((round(width * SHRINK), round(height * SHRINK)), Image.Resampling.LANCZOS)
            continue
        verify_clean_jpeg(smaller)
        return smaller
