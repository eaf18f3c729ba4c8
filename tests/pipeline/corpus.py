"""Generators for tricky photo files: every orientation, every metadata kind, odd modes, and bad input.

Each piece of metadata carries a unique marker string, so a test can check that the
marker is gone from the scrubbed bytes. Nothing here is a committed binary.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import ExifTags, Image, PngImagePlugin

MARKERS = {
    "gps": "MARKER-GPS-7f3a",
    "serial": "SN-MARKER-5c21",
    "make": "MARKER-MAKE-90de",
    "xmp": "MARKER-XMP-b41e",
    "iptc": "MARKER-IPTC-2a9d",
    "comment": "MARKER-COM-e6f0",
    "icc": "MARKER-ICC-13c7",
    "trail": "MARKER-TRAIL-8b52",
    "zip": "MARKER-ZIP-4d0c",
    "png": "MARKER-PNG-a7b3",
}
RED, GREEN, BLUE = (230, 20, 20), (20, 160, 60), (30, 40, 200)
# The inverse of the transpose that EXIF orientation N asks a viewer to apply.
STORE_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    """A realistic-compressing RGB picture: smooth gradients, shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 120 + 100 * np.sin(x / width * 3.1 + 0.5) * np.cos(y / height * 2.3)
    g = 90 + 80 * (y / height) + 30 * np.sin((x + y) / (width / 9))
    b = 140 - 90 * (x / width) + 40 * np.cos(np.hypot(x - width * 0.6, y - height * 0.4) / (width / 14))
    pixels = np.stack([r, g, b], axis=-1)
    for _ in range(12):  # shapes with hard edges, like objects in a scene
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.03, 0.15) * width
        inside = (x - cx) ** 2 + (y - cy) ** 2 < radius**2
        pixels[inside] = rng.uniform(0, 255, 3)
    pixels += rng.normal(0, 6, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def marked_picture(width: int = 240, height: int = 160) -> Image.Image:
    """An upright picture that shows which way is up: red block top-left, blue bottom-right."""
    image = Image.new("RGB", (width, height), GREEN)
    image.paste(RED, (0, 0, width // 3, height // 3))
    image.paste(BLUE, (width * 2 // 3, height * 2 // 3, width, height))
    return image


def stored_for(displayed: Image.Image, orientation: int) -> Image.Image:
    """The stored pixels that, with EXIF ``orientation`` applied, show ``displayed``."""
    method = STORE_FOR_ORIENTATION[orientation]
    return displayed.copy() if method is None else displayed.transpose(method)


def full_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with camera make, serial number, orientation and a GPS block, all marked."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MARKERS["make"]
    exif[ExifTags.Base.Model] = "Phone 15"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = MARKERS["serial"]
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 40.1)
    gps[ExifTags.GPS.GPSMapDatum] = MARKERS["gps"]
    return exif


def xmp_packet() -> bytes:
    """A small XMP packet carrying the XMP marker and a fake location."""
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
        + MARKERS["xmp"].encode()
        + b'" dc:description="Pupils at the museum"/></rdf:RDF></x:xmpmeta>'
    )


def iptc_segment() -> bytes:
    """A complete APP13 Photoshop/IPTC segment with a caption holding the IPTC marker."""
    caption = MARKERS["iptc"].encode()
    record = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption  # 2:120 Caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    if len(record) % 2:
        resource += b"\x00"
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def app_segment(marker: int, payload: bytes) -> bytes:
    """Build a JPEG marker segment 0xFF<marker> with ``payload``."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def splice_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    """Insert whole segments straight after a JPEG's SOI (and its APP0, if first)."""
    pos = 2
    if jpeg[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos] + b"".join(segments) + jpeg[pos:]


def jpeg_bytes(image: Image.Image, **save: object) -> bytes:
    """Encode ``image`` as JPEG with Pillow save options."""
    out = io.BytesIO()
    image.save(out, "JPEG", **({"quality": 90} | save))
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **save: object) -> bytes:
    """Encode ``image`` in ``fmt`` with Pillow save options."""
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def icc_profile(swap_red_blue: bool = True) -> bytes:
    """A matrix/TRC RGB ICC v2 profile; with ``swap_red_blue`` its red primary is sRGB's blue."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    if swap_red_blue:
        red, blue = blue, red
    desc_text = MARKERS["icc"].encode() + b"\x00"
    tags = {
        b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text + bytes(4 + 4 + 2 + 1 + 67),
        b"wtpt": _xyz((0.9642, 1.0, 0.8249)),
        b"rXYZ": _xyz(red),
        b"gXYZ": _xyz(green),
        b"bXYZ": _xyz(blue),
        b"rTRC": b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0",  # gamma 2.2
        b"cprt": b"text\0\0\0\0" + b"none\0\0\0\0",
    }
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    table_size = 4 + 12 * len(tags)
    offset, entries, body = 128 + table_size, b"", b""
    for sig, data in tags.items():
        entries += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    size = 128 + table_size + len(body)
    header = struct.pack(">I4sI4s4s4s", size, b"none", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    header += bytes(12) + b"acsp" + bytes(4 + 4 + 4 + 4 + 8 + 4) + _xyz((0.9642, 1.0, 0.8249))[8:]
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + entries + body


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def png_with_text(image: Image.Image) -> bytes:
    """A PNG with tEXt, zTXt, iTXt (including an XMP packet), eXIf and tIME chunks, all marked."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKERS["png"])
    info.add_text("Author", MARKERS["png"] + "-z", zip=True)
    info.add_itxt("Description", MARKERS["png"] + "-i", lang="en")
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 6, 1, 10, 30, 0))
    return encoded(image, "PNG", pnginfo=info, exif=full_exif())


def zip_bytes() -> bytes:
    """A small ZIP archive whose one stored file holds the ZIP marker."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("secret.txt", MARKERS["zip"] * 4)
    return out.getvalue()


def png_bomb(side: int = 20000) -> bytes:
    """A few-KB 1-bit PNG whose header claims ``side`` x ``side`` pixels (built row by row, never in memory)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # filter byte + packed bits
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _png_chunk(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))


def with_sof_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite a baseline JPEG's SOF0 header to claim ``width`` x ``height``."""
    sof = jpeg.index(b"\xff\xc0")
    return jpeg[: sof + 5] + struct.pack(">HH", height, width) + jpeg[sof + 9 :]


def with_broken_huffman_table(jpeg: bytes) -> bytes:
    """Make the first DHT's code counts impossible, so any decoder must give up."""
    dht = jpeg.index(b"\xff\xc4")
    return jpeg[: dht + 5] + b"\xff" * 16 + jpeg[dht + 21 :]


def animated(fmt: str, **save: object) -> bytes:
    """A three-frame animation in ``fmt`` (GIF, PNG for APNG, WEBP)."""
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, GREEN, BLUE)]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **save)


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    """Inputs that must be refused, each with the name of the error class expected."""
    jpeg = jpeg_bytes(photo_like(320, 240))
    png = encoded(photo_like(320, 240), "PNG")
    idat = png.index(b"IDAT")
    html = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>\n"
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>x()</script></svg>'
    return {
        "empty": (b"", "EmptyFileError"),
        "one-byte": (b"\xff", "CorruptImageError"),
        "truncated-jpeg": (jpeg[: len(jpeg) // 2], "CorruptImageError"),
        "truncated-png": (png[: len(png) // 2], "CorruptImageError"),
        "corrupt-png-middle": (png[: idat + 200] + bytes(300) + png[idat + 500 :], "CorruptImageError"),
        "corrupt-jpeg-tables": (with_broken_huffman_table(jpeg), "CorruptImageError"),
        "html": (html, "NotAnImageError"),
        "svg": (svg, "NotAnImageError"),
        "text": (b"Dear parents, the trip leaves at nine.\n" * 3, "NotAnImageError"),
        "pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "NotAnImageError"),
        "zip": (zip_bytes(), "NotAnImageError"),
        "html-then-jpeg": (html + jpeg, "NotAnImageError"),
        "zip-then-jpeg": (zip_bytes() + jpeg, "NotAnImageError"),
        "tiff": (encoded(photo_like(64, 48), "TIFF"), "UnsupportedFormatError"),
        "gif-animated": (animated("GIF"), "UnsupportedFormatError"),
        "avif-brand": (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64), "UnsupportedFormatError"),
        "apng-animated": (animated("PNG"), "AnimatedImageError"),
        "webp-animated": (animated("WEBP"), "AnimatedImageError"),
        "heif-sequence": (b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1heic" + bytes(64), "AnimatedImageError"),
        "png-bomb": (png_bomb(), "TooManyPixelsError"),
        "jpeg-sof-60000": (with_sof_size(jpeg, 60000, 60000), "TooManyPixelsError"),
    }
