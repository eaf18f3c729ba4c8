"""An upload being received: encrypted as it is written, so its plaintext never touches the disk.

Werkzeug hands every file part of a multipart body to a writable stream. By default that stream
is a ``SpooledTemporaryFile`` that rolls over to an unnamed *plaintext* file past 500 KB. Ours
writes straight into the spool instead, under a fresh AES-256 key that exists only in this
object: it is never wrapped, never stored, and dies with the request, so a file left behind by a
crash is unreadable ciphertext that the start-up reconciliation deletes.

Why chunks: AES-GCM authenticates a whole message at once, and the parser hands us the body in
pieces as it arrives from a slow phone connection. Holding all of it in memory until the end
would cost up to the upload limit (25 MB) per concurrent upload for as long as the network
takes. Instead each 64 KiB of plaintext is sealed on its own, following the STREAM construction
(Hoang, Reyhanitabar, Rogaway and Vizár, 2015): the nonce is the chunk's counter plus a flag
marking the final chunk, and the file's name is the associated data. Because the key is fresh
per file, counter nonces never repeat; because the last chunk is flagged, a file cut short at a
chunk boundary fails to decrypt instead of reading as a shorter photo.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 64 * 1024
TAG = 16
_COUNTER_BYTES = 11


class StreamError(Exception):
    """The incoming file was used out of order, or its ciphertext does not decrypt."""


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(_COUNTER_BYTES, "big") + (b"\x01" if final else b"\x00")


class IncomingFile(io.RawIOBase):
    """Write the upload once, then ``seek(0)`` and read it back; ``close()`` destroys it."""

    def __init__(self, path: Path, destroy: Callable[[], bool]) -> None:
        super().__init__()
        # O_EXCL + O_NOFOLLOW: never open something planted under a name we just generated.
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        self.spool_name = path.name  # not ``name``: werkzeug would show it as the upload's filename
        self._destroy = destroy
        self._aead: AESGCM | None = AESGCM(AESGCM.generate_key(bit_length=256))
        self._pending = bytearray()  # at most one chunk of plaintext, in memory only
        self._sealed = 0  # chunks written so far
        self._written = 0
        self._finished = False
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self.destroyed: bool | None = None  # after close: True when a stat confirmed the file gone

    # -- writing -----------------------------------------------------------------------------

    def writable(self) -> bool:
        return not self.closed and not self._finished

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.writable():
            raise StreamError("this upload is already complete")
        self._pending += data
        self._written += len(data)
        # Keep at least one byte back: only the last chunk may carry the final flag, and we do not
        # know which chunk is last until the parser seeks back to read.
        while len(self._pending) > CHUNK:
            self._seal(bytes(self._pending[:CHUNK]), final=False)
            del self._pending[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, *, final: bool) -> None:
        assert self._aead is not None
        sealed = memoryview(self._aead.encrypt(_nonce(self._sealed, final), plain, self.spool_name.encode()))
        while sealed:  # os.write may write less than asked
            sealed = sealed[os.write(self._fd, sealed) :]
        self._sealed += 1

    def _finish(self) -> None:
        self._seal(bytes(self._pending), final=True)
        self._pending = bytearray()
        self._finished = True

    # -- reading -----------------------------------------------------------------------------

    def readable(self) -> bool:
        return not self.closed and self._finished

    def seekable(self) -> bool:
        return not self.closed

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.closed:
            raise ValueError("seek on a destroyed upload")
        if not self._finished:
            if (offset, whence) == (0, io.SEEK_CUR):
                return self._written
            if (offset, whence) != (0, io.SEEK_SET):
                raise StreamError("an upload can only be rewound to its start once it is complete")
            self._finish()
        size = self._written
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos if self._finished else self._written

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if not self.readable():
            raise StreamError("an upload can only be read once it is complete")
        end = self._written if size is None or size < 0 else min(self._written, self._pos + size)
        parts = []
        while self._pos < end:
            index, skip = divmod(self._pos, CHUNK)
            plain = self._chunk(index)[skip : skip + end - self._pos]
            parts.append(plain)
            self._pos += len(plain)
        return b"".join(parts)

    def readall(self) -> bytes:
        return self.read(-1)

    def _chunk(self, index: int) -> bytes:
        """Decrypt chunk ``index``; only the last one may (and must) carry the final flag."""
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        assert self._aead is not None
        final = index == self._sealed - 1
        sealed = os.pread(self._fd, CHUNK + TAG, index * (CHUNK + TAG))
        try:
            plain = self._aead.decrypt(_nonce(index, final), sealed, self.spool_name.encode())
        except InvalidTag:
            raise StreamError(f"spool file {self.spool_name} does not decrypt: it was changed on disk") from None
        self._cached = (index, plain)
        return plain

    # -- destroying --------------------------------------------------------------------------

    def close(self) -> None:
        """Forget the key, close the file and destroy it; safe to call more than once."""
        if self.closed:
            return
        self._aead, self._cached, self._pending = None, None, bytearray()
        try:
            os.close(self._fd)
        finally:
            self.destroyed = self._destroy()
            super().close()

    def __del__(self) -> None:  # a dropped upload is destroyed, never left for the reconciler
        try:
            self.close()
        except Exception:  # noqa: S110 - nothing can be reported from a finaliser
            pass
