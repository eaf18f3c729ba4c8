"""Tools for upload tests: marked photos, hand-built multipart bodies, a disk and fd scanner, a live server.

The scanner looks for a random marker in every recently written file under the given folders
*and* in every regular file this process holds open (``/proc/self/fd``). The second part is what
catches an unnamed temporary file (``O_TMPFILE``, or created then unlinked): it has no directory
entry, so no folder listing can ever show it.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import secrets
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

FD_DIR = Path("/proc/self/fd")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def marker() -> bytes:
    return b"MARKER-" + secrets.token_hex(16).encode()


def marked_jpeg(mark: bytes, size: tuple[int, int] = (1400, 1000), seed: int = 5) -> bytes:
    """A noisy JPEG well over werkzeug's 500 KB threshold with ``mark`` in a COM segment and after EOI."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92, comment=mark * 8)
    data = out.getvalue()
    assert data.index(mark) < 200 and len(data) > 600_000  # the marker arrives in the first packet
    return data + b"trailing bytes " + mark * 4


def multipart(
    fields: dict[str, str] | None = None,
    files: list[tuple[str, str, str, bytes]] | None = None,
    boundary: str = "tripposter-test-boundary-7d1f",
) -> tuple[bytes, str]:
    """A multipart/form-data body built in memory (werkzeug's test client would spool it to disk)."""
    out = io.BytesIO()
    for name, value in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, data in files or []:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        out.write(head.encode("utf-8", "surrogateescape") + f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _contains(path: str | Path, mark: bytes) -> bool:
    tail = b""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                if mark in tail + chunk:
                    return True
                tail = chunk[-len(mark) :]
    except OSError:  # vanished, or not ours to read
        return False
    return False


def open_files() -> dict[int, str]:
    """This process's open regular files: fd → what it points to ("... (deleted)" when unlinked)."""
    found = {}
    for entry in os.listdir(FD_DIR):
        try:
            target = os.readlink(FD_DIR / entry)
            if target.startswith("/") and os.path.isfile(FD_DIR / entry):
                found[int(entry)] = target
        except OSError:
            continue
    return found


def files_under(folders: list[Path]) -> set[str]:
    """Every file (or link) under ``folders``: compared before and after a request."""
    seen = set()
    for folder in folders:
        for root, _dirs, names in os.walk(folder):
            seen.update(os.path.join(root, name) for name in names)
    return seen


@dataclass
class Scanner:
    """Find ``mark`` on disk (files written since the scanner was made) or in an open file."""

    mark: bytes
    folders: list[Path]
    since: float = field(default_factory=lambda: time.time() - 2)

    @staticmethod
    def default_folders(instance: Path) -> list[Path]:
        return [Path(tempfile.gettempdir()), instance, instance / "spool"]

    def hits(self) -> list[str]:
        hits = [f"open fd {fd} -> {target}" for fd, target in open_files().items() if _contains(FD_DIR / str(fd), self.mark)]
        for folder in self.folders:
            for root, _dirs, names in os.walk(folder):
                for name in names:
                    path = os.path.join(root, name)
                    try:
                        recent = os.lstat(path).st_mtime >= self.since and os.path.isfile(path)
                    except OSError:
                        continue
                    if recent and not os.path.islink(path) and _contains(path, self.mark):
                        hits.append(path)
        return hits


class LiveServer:
    """The app on a real werkzeug server on loopback, so real sockets and real multipart parsing run."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.cookies: dict[str, str] = {}

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers={**self.cookie_header(), **(headers or {})})
            response = conn.getresponse()
            self.keep_cookies(response)
            return response.status, response.read()
        finally:
            conn.close()

    def send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """Send ``body`` in pieces; a server that answers early (413) may stop reading, which is fine."""
        conn = self.connection()
        try:
            conn.putrequest(method, path)
            for name, value in {**headers, **self.cookie_header(), "Content-Length": str(len(body))}.items():
                conn.putheader(name, value)
            conn.endheaders()
            try:
                for start in range(0, len(body), 1 << 20):
                    conn.send(body[start : start + (1 << 20)])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the answer is already waiting
            response = conn.getresponse()
            return response.status, response.headers.get("Content-Type", ""), response.read()
        finally:
            conn.close()

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]

    def login(self, email: str, password: str) -> str:
        """Sign in through the real form; return the CSRF token for the API."""
        _, page = self.request("GET", "/auth/login")
        match = CSRF.search(page.decode())
        assert match
        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": match.group(1) or match.group(2)})
        status, _ = self.request("POST", "/auth/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302
        status, body = self.request("GET", "/api/session")
        assert status == 200, body
        return str(json.loads(body)["csrf_token"])


@contextmanager
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(10)
