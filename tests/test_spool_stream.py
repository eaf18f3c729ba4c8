"""An upload is sealed chunk by chunk as it arrives: only ciphertext on disk, tampering detected."""

from __future__ import annotations

import gc
import io
import os
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tripposter.spool import Spool
from tripposter.spool_stream import CHUNK, TAG, IncomingFile, StreamError


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", Fernet.generate_key())


def received(spool: Spool, data: bytes, piece: int = 65536) -> IncomingFile:
    """Feed ``data`` as werkzeug does (in pieces), then rewind as it does before handing it over."""
    incoming = spool.incoming()
    for start in range(0, len(data), piece):
        incoming.write(data[start : start + piece])
    incoming.seek(0)
    return incoming


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])
def test_round_trip_and_only_ciphertext_on_disk(spool: Spool, size: int) -> None:
    data = secrets.token_bytes(size)
    incoming = received(spool, data, piece=7919)  # a prime, so pieces straddle chunk boundaries
    on_disk = (spool.root / incoming.spool_name).read_bytes()
    chunks = max(1, -(-size // CHUNK))
    assert len(on_disk) == size + chunks * TAG
    assert size < 16 or data[:16] not in on_disk
    assert incoming.read() == data and incoming.read() == b""
    incoming.seek(CHUNK - 3)
    assert incoming.read(10) == data[CHUNK - 3 : CHUNK + 7]
    incoming.close()
    assert incoming.destroyed is True and spool.names() == []


def test_plaintext_marker_never_reaches_the_file(spool: Spool) -> None:
    mark = b"MARKER-" + secrets.token_hex(16).encode()
    data = (mark + secrets.token_bytes(1000)) * 300
    incoming = received(spool, data)
    assert mark not in (spool.root / incoming.spool_name).read_bytes()
    incoming.close()


@pytest.mark.parametrize("cut", ["mid-chunk", "chunk-boundary", "last-byte"])
def test_a_truncated_file_does_not_decrypt(spool: Spool, cut: str) -> None:
    incoming = received(spool, secrets.token_bytes(3 * CHUNK))
    path = spool.root / incoming.spool_name
    length = {"mid-chunk": CHUNK + 100, "chunk-boundary": 2 * (CHUNK + TAG), "last-byte": path.stat().st_size - 1}[cut]
    os.truncate(path, length)
    with pytest.raises(StreamError):
        incoming.read()
    incoming.close()


def test_a_changed_byte_does_not_decrypt(spool: Spool) -> None:
    incoming = received(spool, secrets.token_bytes(2 * CHUNK))
    path = spool.root / incoming.spool_name
    with open(path, "r+b") as fh:
        fh.seek(CHUNK + TAG + 5)
        byte = fh.read(1)
        fh.seek(CHUNK + TAG + 5)
        fh.write(bytes([byte[0] ^ 1]))
    incoming.seek(0)
    assert len(incoming.read(CHUNK)) == CHUNK  # the first chunk is intact
    with pytest.raises(StreamError):
        incoming.read()
    incoming.close()


def test_used_in_order_only(spool: Spool) -> None:
    incoming = spool.incoming()
    incoming.write(b"abc")
    with pytest.raises(StreamError):
        incoming.read()
    with pytest.raises(StreamError):
        incoming.seek(2)
    assert incoming.tell() == 3
    incoming.seek(0)
    with pytest.raises(StreamError):
        incoming.write(b"more")
    assert io.BufferedReader(incoming).read() == b"abc"  # usable by the standard io wrappers
    incoming.close()
    incoming.close()
    assert spool.names() == []


def test_closing_mid_upload_and_dropping_destroy_the_file(spool: Spool) -> None:
    broken = spool.incoming()
    broken.write(secrets.token_bytes(3 * CHUNK))  # the connection drops here
    assert len(spool.names()) == 1
    broken.close()
    assert spool.names() == [] and broken.destroyed is True
    dropped = spool.incoming()
    dropped.write(b"abc")
    del dropped
    gc.collect()
    assert spool.names() == []


def test_the_name_is_not_exposed_as_a_filename(spool: Spool) -> None:
    incoming = spool.incoming()
    assert incoming.spool_name.endswith(".part") and not hasattr(incoming, "name")
    incoming.close()
