"""Draw the phone page's icons (a camera on the brand blue) into static/icons/.

Run once after changing the design: ``.venv/bin/python scripts/make_icons.py``. The PNGs are
committed, so nothing is drawn at run time.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 92, 173)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    """A camera drawn at ``size`` px; a maskable icon keeps it inside the central 80 % safe zone."""
    scale = 4  # draw large, then shrink, for smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGB", (big, big), BRAND)
    draw = ImageDraw.Draw(image)
    if not maskable:  # a rounded tile; a maskable icon is full-bleed and the launcher cuts its shape
        image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BRAND)
    body = 0.56 if maskable else 0.68  # share of the side the camera spans
    w, h = big * body, big * body * 0.68
    x0, y0 = (big - w) / 2, (big - h) / 2 + big * 0.03
    draw.rounded_rectangle((x0 + w * 0.28, y0 - h * 0.16, x0 + w * 0.62, y0 + h * 0.1), radius=big // 40, fill=WHITE)
    draw.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=big // 18, fill=WHITE)
    cx, cy, r = big / 2, y0 + h / 2, h * 0.32
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=BRAND)
    r2 = r * 0.62
    draw.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every icon the manifest and the page name."""
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192).save(OUT / "icon-192.png", optimize=True)
    icon(512).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
