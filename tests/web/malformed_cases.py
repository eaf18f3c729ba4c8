"""The malformed requests of tests/web/test_malformed_uploads.py, one readable id each.

A case is a request built from the signed-in context (trip, CSRF token, a ready photo) and the
4xx it must get. Bodies are built in memory: werkzeug's test client would otherwise spool a
multipart body to a temporary file of its own and muddy the leftover-file checks.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from tests.pipeline.corpus import (
    animated,
    encoded,
    jpeg_bytes,
    photo_like,
    png_bomb,
    with_broken_huffman_table,
    with_sof_size,
    zip_bytes,
)
from tests.web.probe import multipart

KEY = "fresh"  # each request gets its own idempotency key, so no case replays another's
MB = 1024 * 1024


@dataclass
class Ctx:
    trip_id: int
    csrf: str
    photo_id: str = ""


Request = tuple[str, str, bytes, dict[str, str]]  # method, path, body, headers
Build = Callable[[Ctx], Request]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    status: int
    says: str = ""  # a fragment the message must contain
    needs_photo: bool = False


def _jpeg() -> bytes:
    return jpeg_bytes(photo_like(320, 240))


def _png() -> bytes:
    return encoded(photo_like(320, 240), "PNG")


def _heic() -> bytes:
    out = io.BytesIO()
    photo_like(320, 240).save(out, "HEIF")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))

    idat = zlib.compress(bytes(64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>x()</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>\n"


def fresh_key(key: str = KEY) -> str:
    return str(uuid.uuid4()) if key == KEY else key


def api_upload(data: bytes | Callable[[], bytes], filename: str = "IMG_0001.jpg", ctype: str = "image/jpeg",
               field: str = "photo", key: str | None = KEY) -> Build:
    def build(ctx: Ctx) -> Request:
        payload = data() if callable(data) else data
        body, content_type = multipart(files=[(field, filename, ctype, payload)])
        headers = {"Content-Type": content_type, "X-CSRFToken": ctx.csrf} | ({"Idempotency-Key": fresh_key(key)} if key else {})
        return "POST", f"/api/trips/{ctx.trip_id}/photos", body, headers

    return build


def api_raw(body: bytes | Callable[[], bytes], content_type: str | None) -> Build:
    """A hand-made body for the upload endpoint (bad multipart, wrong kind of body)."""

    def build(ctx: Ctx) -> Request:
        headers = {"X-CSRFToken": ctx.csrf, "Idempotency-Key": fresh_key(KEY)} | ({"Content-Type": content_type} if content_type else {})
        return "POST", f"/api/trips/{ctx.trip_id}/photos", body() if callable(body) else body, headers

    return build


def page_upload(data: bytes | Callable[[], bytes] | None, key: str | None = KEY, csrf: bool = True,
                boundary: bool = True) -> Build:
    def build(ctx: Ctx) -> Request:
        fields = ({"csrf_token": ctx.csrf} if csrf else {}) | ({"key": fresh_key(key).replace("-", "")} if key else {})
        files = [] if data is None else [("photo", "IMG_0001.jpg", "image/jpeg", data() if callable(data) else data)]
        body, content_type = multipart(fields, files)
        return "POST", f"/post/trips/{ctx.trip_id}/photos", body, {"Content-Type": content_type if boundary else
                                                                     "multipart/form-data"}

    return build


def api_json(method: str, path: str, payload: object = None, *, raw: bytes | None = None,
             content_type: str = "application/json", key: bool = False) -> Build:
    def build(ctx: Ctx) -> Request:
        value = payload(ctx) if callable(payload) else payload
        body = raw if raw is not None else json.dumps(value).encode()
        headers = {"Content-Type": content_type, "X-CSRFToken": ctx.csrf} | ({"Idempotency-Key": fresh_key(KEY)} if key else {})
        return method, path.format(ctx=ctx), body, headers

    return build


def form(path: str, fields: dict[str, str] | Callable[[Ctx], dict[str, str]], csrf: bool = True) -> Build:
    def build(ctx: Ctx) -> Request:
        from urllib.parse import urlencode

        values = fields(ctx) if callable(fields) else fields
        body = urlencode(({"csrf_token": ctx.csrf} if csrf else {}) | values).encode()
        return "POST", path.format(ctx=ctx), body, {"Content-Type": "application/x-www-form-urlencoded"}

    return build


def without_csrf(build: Build) -> Build:
    def stripped(ctx: Ctx) -> Request:
        method, path, body, headers = build(ctx)
        return method, path, body, {k: v for k, v in headers.items() if k != "X-CSRFToken"}

    return stripped


def _truncated(make: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: (data := make())[: len(data) // 2]


def _multipart_cut() -> bytes:
    body, _ = multipart(files=[("photo", "IMG.jpg", "image/jpeg", _jpeg())])
    return body[: len(body) // 2]


def _two_files(second: str) -> Callable[[], bytes]:
    return lambda: multipart(files=[("photo", "a.jpg", "image/jpeg", _jpeg()), (second, "b.jpg", "image/jpeg", _jpeg())])[0]


BOUNDARY = "multipart/form-data; boundary=tripposter-test-boundary-7d1f"


def upload_cases() -> list[Case]:
    return [
        Case("empty-file", api_upload(b""), 400, "arrived empty"),
        Case("one-byte", api_upload(b"\xff"), 422),
        Case("truncated-jpeg", api_upload(_truncated(_jpeg)), 422, "cut off"),
        Case("truncated-png", api_upload(_truncated(_png), "a.png", "image/png"), 422, "cut off"),
        Case("truncated-heic", api_upload(_truncated(_heic), "IMG.HEIC", "image/heic"), 422, "cut off"),
        Case("corrupt-jpeg-tables", api_upload(lambda: with_broken_huffman_table(_jpeg())), 422),
        Case("pdf-with-jpg-extension", api_upload(PDF, "photo.jpg"), 422, "not a photo"),
        Case("text-sent-as-image-jpeg", api_upload(b"Dear parents, the coach leaves at nine.\n" * 4), 422, "not a photo"),
        Case("html-sent-as-image-png", api_upload(HTML, "x.png", "image/png"), 422, "not a photo"),
        Case("svg", api_upload(SVG, "x.svg", "image/svg+xml"), 422),
        Case("svg-sent-as-jpeg", api_upload(SVG), 422),
        Case("tiff", api_upload(lambda: encoded(photo_like(64, 48), "TIFF"), "x.tif", "image/tiff"), 422),
        Case("pdf", api_upload(PDF, "x.pdf", "application/pdf"), 422),
        Case("gif", api_upload(lambda: encoded(photo_like(64, 48), "GIF"), "x.gif", "image/gif"), 422),
        Case("gif-animated", api_upload(lambda: animated("GIF"), "x.gif", "image/gif"), 422),
        Case("bmp", api_upload(lambda: encoded(photo_like(64, 48), "BMP"), "x.bmp", "image/bmp"), 422),
        Case("avif", api_upload(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64)), 422),
        Case("webp-animated", api_upload(lambda: animated("WEBP"), "x.webp", "image/webp"), 422),
        Case("apng-animated", api_upload(lambda: animated("PNG"), "x.png", "image/png"), 422),
        Case("zip", api_upload(zip_bytes, "x.zip", "application/zip"), 422),
        Case("zip-then-jpeg-polyglot", api_upload(lambda: zip_bytes() + _jpeg()), 422),
        Case("html-then-jpeg-polyglot", api_upload(lambda: HTML + _jpeg()), 422),
        Case("jpeg-then-zip-polyglot", api_upload(lambda: _jpeg() + zip_bytes()), 422, "attached after the picture"),
        Case("jpeg-then-pdf-polyglot", api_upload(lambda: _jpeg() + PDF), 422, "attached after the picture"),
        Case("png-then-html-polyglot", api_upload(lambda: _png() + HTML, "a.png", "image/png"), 422, "attached after"),
        Case("png-decompression-bomb", api_upload(png_bomb, "bomb.png", "image/png"), 422),
        Case("jpeg-header-claims-200-mp", api_upload(lambda: with_sof_size(_jpeg(), 20000, 10000)), 422),
        Case("png-header-claims-200-mp", api_upload(lambda: _png_claiming(20000, 10000), "x.png", "image/png"), 422),
        Case("name-dot-dot", api_upload(PDF, "../x.jpg"), 422, "not a photo"),
        Case("name-leading-dash", api_upload(PDF, "-x.jpg"), 422, "not a photo"),
        Case("name-1000-chars", api_upload(PDF, "x" * 1000 + ".jpg"), 422, "not a photo"),
        Case("name-rtl-override", api_upload(PDF, "photo\u202egpj.exe"), 422, "not a photo"),
        Case("name-nul-byte", api_upload(PDF, "x\x00.jpg"), 422, "not a photo"),
        Case("name-empty", api_upload(PDF, ""), 422, "not a photo"),
        Case("name-absolute", api_upload(PDF, "/etc/passwd"), 422, "not a photo"),
        Case("name-windows-traversal", api_upload(PDF, "..\\..\\boot.ini"), 422, "not a photo"),
        Case("name-header-injection", api_upload(PDF, 'x.jpg"\r\nContent-Type: text/html\r\nX: "'), 422),
    ]


def structure_cases() -> list[Case]:
    return [
        Case("multipart-missing-boundary", api_raw(lambda: multipart(files=[("photo", "a.jpg", "image/jpeg", _jpeg())])[0],
                                                   "multipart/form-data"), 400, "No photo arrived"),
        Case("multipart-truncated", api_raw(_multipart_cut, BOUNDARY), 400, "No photo arrived"),
        Case("multipart-no-file-part", api_raw(lambda: multipart({"photo": "not a file"})[0], BOUNDARY), 400, "No photo"),
        Case("multipart-two-photos", api_raw(_two_files("photo"), BOUNDARY), 400, "one photo at a time"),
        Case("multipart-photo-and-another-file", api_raw(_two_files("extra"), BOUNDARY), 400, "one photo at a time"),
        Case("multipart-wrong-field-name", api_upload(_jpeg, field="image"), 400, "No photo arrived"),
        Case("multipart-garbage", api_raw(b"\x00\xff" * 500, BOUNDARY), 400, "No photo arrived"),
        Case("multipart-other-boundary", api_raw(lambda: multipart(files=[("photo", "a.jpg", "image/jpeg", _jpeg())],
                                                                   boundary="another")[0], BOUNDARY), 400),
        Case("multipart-part-without-headers", api_raw(b"--tripposter-test-boundary-7d1f\r\n\r\nxx\r\n"
                                                       b"--tripposter-test-boundary-7d1f--\r\n", BOUNDARY), 400),
        Case("urlencoded-instead-of-multipart", api_raw(b"photo=abc", "application/x-www-form-urlencoded"), 400),
        Case("json-instead-of-multipart", api_raw(b'{"photo": "abc"}', "application/json"), 400),
        Case("no-body-at-all", api_raw(b"", None), 400, "No photo arrived"),
        Case("body-50-mb", api_raw(lambda: bytes(50 * MB), BOUNDARY), 413, "too large"),
        Case("body-just-over-the-limit", api_raw(lambda: bytes(25 * MB + 64 * 1024 + 1), BOUNDARY), 413, "too large"),
        Case("no-idempotency-key", api_upload(_jpeg, key=None), 400, "Idempotency-Key"),
        Case("idempotency-key-too-short", api_upload(_jpeg, key="abc"), 422, "idempotency key"),
        Case("idempotency-key-10k-chars", api_upload(_jpeg, key="k" * 10_000), 422, "idempotency key"),
        Case("idempotency-key-bad-chars", api_upload(_jpeg, key="../../etc/passwd"), 422, "idempotency key"),
        Case("no-csrf-token", without_csrf(api_upload(_jpeg)), 400, "reload"),
        Case("page-empty-file", page_upload(b""), 400, "arrived empty"),
        Case("page-pdf", page_upload(PDF), 422, "not a photo"),
        Case("page-no-file-part", page_upload(None), 400, "No photo arrived"),
        Case("page-missing-key", page_upload(_jpeg, key=None), 422, "idempotency key"),
        Case("page-missing-csrf", page_upload(_jpeg, csrf=False), 400, "reload"),
        Case("page-missing-boundary", page_upload(_jpeg, boundary=False), 400),
        Case("page-body-50-mb", lambda ctx: ("POST", f"/post/trips/{ctx.trip_id}/photos", bytes(50 * MB),
                                             {"Content-Type": BOUNDARY}), 413, "too large"),
    ]


def every_case() -> list[Case]:
    from tests.web.malformed_json_cases import form_cases, json_cases

    return upload_cases() + structure_cases() + json_cases() + form_cases()
